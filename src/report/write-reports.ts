/** Recomputes summary.json and report.md of a run directory from its stored data alone. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarize } from '../analysis/summarize.js';
import type { Summary } from '../analysis/summary-schema.js';
import { loadRun } from '../store/run-dir.js';
import { RUN_FILES } from '../store/run-writer.js';
import { renderHtmlReport } from './html.js';
import { renderMarkdownReport } from './markdown.js';

export function writeReports(dir: string, { html = false } = {}): Summary {
  const run = loadRun(dir);
  const summary = summarize(run);
  writeFileSync(join(dir, RUN_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(dir, RUN_FILES.report), renderMarkdownReport(summary));
  if (html) writeFileSync(join(dir, RUN_FILES.html), renderHtmlReport(run, summary));
  return summary;
}
