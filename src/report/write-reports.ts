/** Recomputes summary.json and report.md of a run directory from its stored data alone. */
import { writeFileAtomic } from '../store/output.js';
import { join } from 'node:path';
import { summarize } from '../analysis/summarize.js';
import type { Summary } from '../model/summary.js';
import { loadRun } from '../analysis/run-data.js';
import type { StoredRun } from '../analysis/stored-run.js';
import { RUN_FILES } from '../model/files.js';
import { renderHtmlReport } from './html.js';
import { renderMarkdownReport } from './markdown.js';
import { renderCostMarkdown } from './cost.js';
import { costMeasurements, costReport, type CostOptions } from '../analysis/cost.js';
import type { PriceSheet } from '../model/price-sheet.js';

export interface ReportOptions {
  html?: boolean;
  /** Price the run with this sheet: the reports gain the cost table (coldbench cost). */
  prices?: { sheet: PriceSheet; options: CostOptions; instances?: number };
}

export function writeReports(dir: string, options: ReportOptions = {}): Summary {
  const run = loadRun(dir);
  const summary = summarize(run);
  writeReportFiles(run, summary, options);
  return summary;
}

/** summary.json and report.md (and report.html) of a run already analysed. */
export function writeReportFiles(run: StoredRun, summary: Summary, { html = false, prices }: ReportOptions = {}): void {
  const { dir } = run;
  const cost = prices && costReport(prices.sheet, costMeasurements(run, summary, prices.instances), prices.options);
  writeFileAtomic(join(dir, RUN_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomic(join(dir, RUN_FILES.report), renderMarkdownReport(summary) + (cost ? `\n${renderCostMarkdown(cost)}` : ''));
  if (html) writeFileAtomic(join(dir, RUN_FILES.html), renderHtmlReport(run, summary, cost));
}
