import { exitCodeFor } from '../../analysis/outcome.js';
import { importK6 } from '../../importers/k6.js';
import { importVegeta } from '../../importers/vegeta.js';
import { writeReports } from '../../report/write-reports.js';
import { parseSloFlags } from '../../scenario/schema.js';
import { printResult } from '../print.js';

export interface ImportArgs {
  tool: 'k6' | 'vegeta';
  files: string[];
  out: string;
  json: boolean;
  slo: string[];
  stage?: string;
}

/** Imports another tool's result files as one run directory and reports it; lines left out are named on stderr. With --slo, exits on its verdicts as `run` does. */
export async function importCommand(args: ImportArgs): Promise<number> {
  const slo = args.slo.length ? parseSloFlags(args.slo) : undefined;
  const { dir, requests, skipped } =
    args.tool === 'k6' ? await importK6(args.files, args.out, { slo }) : await importVegeta(args.files, args.out, { slo, stage: args.stage });
  for (const line of skipped) process.stderr.write(`skipped ${line}\n`);
  process.stderr.write(`imported ${requests} ${args.tool} requests from ${args.files.length} file(s) into ${dir}\n`);
  const summary = writeReports(dir);
  printResult(summary, dir, args.json);
  return slo ? exitCodeFor(summary.verdicts) : 0;
}
