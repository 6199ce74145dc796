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

export function writeReports(dir: string, { html = false } = {}): Summary {
  const run = loadRun(dir);
  const summary = summarize(run);
  writeReportFiles(run, summary, { html });
  return summary;
}

/** summary.json and report.md (and report.html) of a run already analysed. */
export function writeReportFiles(run: StoredRun, summary: Summary, { html = false } = {}): void {
  const { dir } = run;
  writeFileAtomic(join(dir, RUN_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  writeFileAtomic(join(dir, RUN_FILES.report), renderMarkdownReport(summary));
  if (html) writeFileAtomic(join(dir, RUN_FILES.html), renderHtmlReport(run, summary));
}
