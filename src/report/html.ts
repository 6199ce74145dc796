/**
 * The self-contained HTML report: verdicts first, then the tables and charts of every probe,
 * with uPlot and its stylesheet inlined so the file opens with no network. uPlot because it
 * is small (50 kB), fast with thousands of points, does log scales and steps, and is MIT.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Summary } from '../model/summary.js';
import type { StoredRun } from '../analysis/stored-run.js';
import { chartSpecs } from './chart-data.js';
import { costNotes, costTable } from './cost.js';
import type { CostReport } from '../model/price-sheet.js';
import { HTML_CLIENT_SCRIPT } from './html-client.js';
import {
  billableTable,
  capacitySearchTable,
  capacityTable,
  clientTable,
  coldStartTable,
  flowTable,
  idleSweepTable,
  journeyTable,
  laneTable,
  loadTable,
  streamTable,
  verdictLine,
  type Table,
} from './text.js';

const require = createRequire(import.meta.url);
const UPLOT_JS = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
const UPLOT_CSS = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 980px; color: #222; }
h1 { font-size: 1.4rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 12px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
.pass { color: #1a7f37; } .fail { color: #cf222e; } .other { color: #9a6700; }
code { font-size: 12px; } .chart { margin: 1.5rem 0; } .chart h3 { font-size: 1rem; margin: 0 0 .3rem; }
.incomplete { background: #fff8c5; padding: .5rem 1rem; }
`;

export function renderHtmlReport(run: StoredRun, summary: Summary, cost?: CostReport): string {
  const verdicts: Table = {
    header: ['status', 'verdict', 'result', 'detail'],
    rows: summary.verdicts.map((v) => [v.status.toUpperCase(), v.title, verdictLine(v), v.detail]),
  };
  const sections = [
    ['Cold start', coldStartTable(summary)],
    ['Cold-start lanes', laneTable(summary)],
    ['Cold-start journeys', journeyTable(summary)],
    ['Idle sweep: cold share after a quiet time', idleSweepTable(summary)],
    ['Load', loadTable(summary)],
    ['Instance time (billable)', billableTable(summary)],
    ['Capacity search', capacitySearchTable(summary)],
    ['Capacity', capacityTable(summary)],
    ['Streams', streamTable(summary)],
    ['Flows', flowTable(summary)],
    ["coldbench's own client (event-loop delay)", clientTable(summary)],
  ] as const;
  // </script> inside JSON would end the script element early.
  const data = JSON.stringify(chartSpecs(run, summary)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>coldbench ${escape(summary.scenario)} ${escape(summary.runId)}</title>
<style>${UPLOT_CSS}${STYLE}</style>
</head>
<body>
<h1>coldbench: ${escape(summary.scenario)}</h1>
<p>Run <code>${escape(summary.runId)}</code>, ${escape(summary.startedAt)} → ${escape(summary.endedAt ?? 'unfinished')}, status <b>${escape(summary.status)}</b>.</p>
${summary.incomplete.length ? `<div class="incomplete"><b>Incomplete data:</b><ul>${summary.incomplete.map((r) => `<li>${escape(r)}</li>`).join('')}</ul></div>` : ''}
<h2>Verdicts</h2>
${summary.verdicts.length ? htmlTable(verdicts, (row) => (row[0] === 'PASS' ? 'pass' : row[0] === 'FAIL' ? 'fail' : 'other'), 'verdicts') : '<p>No verdicts in this scenario.</p>'}
${sections.map(([title, table]) => (table.rows.length ? `<h2>${title}</h2>${htmlTable(table)}` : '')).join('\n')}
${cost ? costSection(cost) : ''}
<h2>Charts</h2>
<p>Every latency is measured from the intended send time unless marked uncorrected; the legend of each chart shows the value under the cursor.</p>
<div id="charts"></div>
<script>${UPLOT_JS}</script>
<script type="application/json" id="chart-data">${data}</script>
<script>${HTML_CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

/** The cost table (coldbench cost), when the report was asked to price the run. */
function costSection(cost: CostReport): string {
  const [intro, ...rest] = costNotes(cost);
  const table = htmlTable(costTable(cost), (row) => (row.at(-1)!.startsWith('yes') ? 'pass' : 'fail'), 'cost');
  return `<h2>What it costs</h2>${table}<p>${escape(intro!)}</p><pre>${escape(rest.join('\n'))}</pre>`;
}

function htmlTable(table: Table, rowClass?: (row: string[]) => string, id?: string): string {
  const head = `<tr>${table.header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>`;
  const rows = table.rows.map((row) => `<tr${rowClass ? ` class="${rowClass(row)}"` : ''}>${row.map((cell) => `<td>${escape(cell)}</td>`).join('')}</tr>`);
  return `<table${id ? ` id="${id}"` : ''}>${head}${rows.join('')}</table>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
