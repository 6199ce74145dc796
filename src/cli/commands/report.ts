import { exitCodeFor, incompleteRun } from '../../analysis/outcome.js';
import { CbError } from '../../model/errors.js';
import { writeReports } from '../../report/write-reports.js';
import { join } from 'node:path';
import { RUN_FILES } from '../../model/files.js';
import { printResult } from '../print.js';
import { samplesDamage } from '../../store/run-dir.js';

export function reportCommand(args: { runDir: string; json: boolean; html: boolean; allowIncomplete: boolean }): number {
  const summary = writeReports(args.runDir, { html: args.html });
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
