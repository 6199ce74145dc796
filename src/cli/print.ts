/** What the CLI prints at the end of a run or report. */
import type { Summary } from '../analysis/summary-schema.js';
import { coldStartTable, renderAligned, verdictLine } from '../report/text.js';

export function printSummary(summary: Summary, dir: string, out: NodeJS.WritableStream): void {
  const lines: string[] = [''];
  if (summary.incomplete.length) lines.push(...summary.incomplete.map((reason) => `incomplete: ${reason}`), '');
  const coldStart = coldStartTable(summary);
  if (coldStart.rows.length) lines.push('cold start (p50 / p95, n = samples)', renderAligned(coldStart), '');
  for (const verdict of summary.verdicts) lines.push(verdictLine(verdict), `  ${verdict.detail}`);
  lines.push('', `run directory: ${dir}`);
  out.write(lines.join('\n') + '\n');
}
