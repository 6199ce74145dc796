/** The gate's Markdown summary (a CI job summary, a PR comment): verdict table first. */
import { countBy } from '../analysis/stats.js';
import type { Summary } from '../model/summary.js';
import { formatMs } from '../model/units.js';
import { renderMarkdownTable, unjudgedLine, verdictLine } from './text.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', inconclusive: '❔', insufficient: '❔', invalid: '⚠️', 'no-data': '⚠️' };

export function renderGateMarkdown(summary: Summary): string {
  const counts = countBy(summary.verdicts, (v) => v.status);
  const out = [
    `## coldbench gate: ${summary.scenario}`,
    '',
    `Run \`${summary.runId}\`: ${
      Object.entries(counts)
        .map(([status, n]) => `${n} ${status}`)
        .join(', ') || 'no verdicts'
    }.`,
    '',
  ];
  if (summary.incomplete.length) out.push(...summary.incomplete.map((reason) => `> ⚠️ incomplete run: ${reason}`), '');
  out.push(
    renderMarkdownTable({
      header: ['', 'verdict', 'result', 'detail'],
      rows: summary.verdicts.map((v) => [ICON[v.status] ?? '', v.title, `\`${verdictLine(v)}\``, v.detail]),
    }),
  );
  if (summary.unjudgedSlos.length) out.push('', `> ⚠️ ${unjudgedLine(summary)}`);
  const delays = Object.entries(summary.client).flatMap(([probe, stages]) =>
    Object.entries(stages).flatMap(([stage, d]) => (d ? [`${probe === stage ? probe : `${probe}/${stage}`} ${formatMs(d.p99)}`] : [])),
  );
  if (delays.length) out.push('', `coldbench's own event-loop delay p99: ${delays.join(', ')}.`);
  return out.join('\n') + '\n';
}
