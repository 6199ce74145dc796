import { writeReports } from '../../report/write-reports.js';
import { mergeRuns } from '../../store/merge.js';
import { printSummary } from '../print.js';

/** Merges the runners' run directories, then reports the merged run as `report` would; gate it separately. */
export function mergeCommand(args: { runDirs: string[]; out: string; json: boolean }): number {
  const { dir } = mergeRuns(args.runDirs, args.out);
  const summary = writeReports(dir);
  process.stderr.write(`merged ${args.runDirs.length} runs into ${dir}\n`);
  if (args.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else printSummary(summary, dir, process.stdout);
  return 0;
}
