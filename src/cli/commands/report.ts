import { exitCodeFor, incompleteRun } from '../../analysis/outcome.js';
import { CbError } from '../../model/errors.js';
import { writeReports } from '../../report/write-reports.js';
import { join } from 'node:path';
import { RUN_FILES } from '../../model/files.js';
import { printResult } from '../print.js';
import { samplesDamage } from '../../store/run-dir.js';
import { pricing, type CostArgs } from './cost.js';

export async function reportCommand(args: {
  runDir: string;
  json: boolean;
  html: boolean;
  allowIncomplete: boolean;
  /** Price the run too: report.md and report.html gain the cost table. */
  pricing?: Omit<CostArgs, 'runDir' | 'json'>;
}): Promise<number> {
  const prices = args.pricing && { ...(await pricing(args.pricing)), instances: args.pricing.instances };
  const summary = writeReports(args.runDir, { html: args.html, prices });
  if (args.html) process.stderr.write(`wrote ${join(args.runDir, RUN_FILES.html)}\n`);
  printResult(summary, args.runDir, args.json);
  const incomplete = incompleteRun(summary.status);
  if (incomplete && !args.allowIncomplete) throw new CbError('CB_RUN_INCOMPLETE', incomplete);
  const damaged = samplesDamage(summary.incomplete);
  if (damaged && !args.allowIncomplete) {
    throw new CbError('CB_SAMPLES_DAMAGED', `${damaged}: the figures above are of the samples before it; --allow-incomplete reports them anyway`);
  }
  return exitCodeFor(summary.verdicts);
}
