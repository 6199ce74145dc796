import { writeReports } from '../../report/write-reports.js';
import { mergeRuns } from '../../store/merge.js';
import { printResult } from '../print.js';

/** Merges the runners' run directories, then reports the merged run as `report` would; gate it separately. */
export function mergeCommand(args: { runDirs: string[]; out: string; json: boolean }): number {
  const { dir } = mergeRuns(args.runDirs, args.out);
  const summary = writeReports(dir);
  process.stderr.write(`merged ${args.runDirs.length} runs into ${dir}\n`);
  printResult(summary, dir, args.json);
  return 0;
}
