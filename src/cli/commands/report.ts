import { exitCodeFor } from '../../analysis/outcome.js';
import { writeReports } from '../../report/write-reports.js';
import { printSummary } from '../print.js';

export function reportCommand(args: { runDir: string; json: boolean }): number {
  const summary = writeReports(args.runDir);
  if (args.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else printSummary(summary, args.runDir, process.stdout);
  return exitCodeFor(summary.verdicts);
}
