/** The files of a run directory, and the version of their format. */

/**
 * Bumped when a reader of the old format would misread the new one. 2: interval logs,
 * probe records in series.jsonl, provenance in the manifest.
 */
export const FORMAT_VERSION = 2;

export const RUN_FILES = {
  manifest: 'manifest.json',
  samples: 'samples.jsonl',
  series: 'series.jsonl',
  intervals: 'intervals.hlog',
  histograms: 'histograms.json',
  summary: 'summary.json',
  report: 'report.md',
  html: 'report.html',
} as const;
