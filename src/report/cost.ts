/** The cost table as coldbench prints it: Markdown (terminal and CI), and rows for the HTML page. */
import type { CostReport } from '../model/price-sheet.js';
import { formatCount, formatPercent } from '../model/units.js';
import { renderMarkdownTable, type Table } from './text.js';

export function costTable(report: CostReport): Table {
  const money = new Intl.NumberFormat('en', { style: 'currency', currency: report.currency });
  const levels = report.platforms[0]?.cells.map((cell) => `${formatCount(cell.requestsPerMonth)}/month`) ?? [];
  return {
    header: ['platform', 'billing', ...levels, `within ${formatPercent(report.within)}`],
    rows: report.platforms.map((p) => [
      p.name,
      p.billing,
      ...p.cells.map((c) => `${money.format(c.cost)} (${c.low === null ? 'no interval' : `${money.format(c.low)}–${money.format(c.high!)}`}; ${c.sizing})`),
      p.spread === null ? 'NO (no interval)' : `${p.predictable ? 'yes' : 'NO'} (±${formatPercent(p.spread)})`,
    ]),
  };
}

/** Under the table: how to read it, what each platform's figures rest on, and where its prices come from. */
export function costNotes(report: CostReport): string[] {
  return [
    `Monthly cost in ${report.currency} (${report.hoursPerMonth} hours a month), with its 90% interval from the measurement (a bootstrap over each stage's instances, and the capacity between the rate that held and the one that broke). "within" reads the migration study's "within 10% of projections": the widest interval's half-width as a share of its cost. Peak rate = mean × ${report.peakToMean}.`,
    ...report.platforms.flatMap((p) => [
      `${p.name} (${p.target}):`,
      ...p.assumptions.map((a) => `- ${a}`),
      ...(p.unbounded ? [`- no interval: ${p.unbounded}`] : []),
      `- prices: ${p.sources.map((s) => `${s.price} ${s.value}${s.note ? ` = ${s.note}` : ''} (${s.source}, read ${s.read})`).join('; ')}`,
    ]),
  ];
}

export function renderCostMarkdown(report: CostReport): string {
  return ['## What it costs', '', renderMarkdownTable(costTable(report)), '', ...costNotes(report), ''].join('\n');
}
