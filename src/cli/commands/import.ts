import { importK6 } from '../../importers/k6.js';
import { writeReports } from '../../report/write-reports.js';
import { parseSloFlags } from '../../scenario/schema.js';
import { exitCodeFor } from '../../analysis/outcome.js';
import { printResult } from '../print.js';

/** Imports k6 output files as one run directory and reports it; lines left out are named on stderr. */
export async function importK6Command(args: { files: string[]; out: string; json: boolean; slo: string[] }): Promise<number> {
  const slo = args.slo.length ? parseSloFlags(args.slo) : undefined;
  const { dir, requests, skipped } = await importK6(args.files, args.out, { slo });
  for (const line of skipped) process.stderr.write(`skipped ${line}\n`);
  process.stderr.write(`imported ${requests} k6 requests from ${args.files.length} file(s) into ${dir}\n`);
  const summary = writeReports(dir);
  printResult(summary, dir, args.json);
  return slo ? exitCodeFor(summary.verdicts) : 0;
}
