import { exitCodeFor } from '../../analysis/outcome.js';
import { importAutocannon } from '../../importers/autocannon.js';
import { importK6 } from '../../importers/k6.js';
import { importVegeta } from '../../importers/vegeta.js';
import { writeReports } from '../../report/write-reports.js';
import { CbError } from '../../model/errors.js';
import { parseSloFlags } from '../../scenario/schema.js';
import { printResult } from '../print.js';

export interface ImportArgs {
  tool: 'k6' | 'vegeta' | 'autocannon';
  files: string[];
  out: string;
  json: boolean;
  slo: string[];
  stage?: string;
}

/** Imports another tool's result files as one run directory and reports it; lines left out are named on stderr. With --slo, exits on its verdicts as `run` does. */
export async function importCommand(args: ImportArgs): Promise<number> {
  if (args.tool !== 'vegeta' && args.stage !== undefined)
    throw new CbError('CB_USAGE', `--stage is for import vegeta: ${args.tool} output carries its own stages or none`);
  if (args.tool === 'autocannon' && args.slo.length)
    throw new CbError('CB_USAGE', "--slo judges load stages; autocannon's result is a capacity run (closed model), judged by no SLO");
  const slo = args.slo.length ? parseSloFlags(args.slo) : undefined;
  const { dir, requests, skipped } =
    args.tool === 'k6'
      ? await importK6(args.files, args.out, { slo })
      : args.tool === 'vegeta'
        ? await importVegeta(args.files, args.out, { slo, stage: args.stage })
        : await importAutocannon(args.files, args.out);
  for (const line of skipped) process.stderr.write(`skipped ${line}\n`);
  process.stderr.write(`imported ${requests} ${args.tool} requests from ${args.files.length} file(s) into ${dir}\n`);
  const summary = writeReports(dir);
  printResult(summary, dir, args.json);
  return slo ? exitCodeFor(summary.verdicts) : 0;
}
