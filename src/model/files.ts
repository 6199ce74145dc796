/** The files of a run directory, and the version of their format. */

/**
 * Bumped when a reader of the old format would misread the new one. 2: interval logs,
 * probe records in series.jsonl, provenance in the manifest. 3: load samples as binary
 * records in samples.bin with their strings in samples.dict.jsonl (store/load-sample-file.ts).
 */
export const FORMAT_VERSION = 3;
/** Formats this coldbench still reads: a format 2 run keeps its load samples in samples.jsonl. */
export const READABLE_FORMATS: readonly number[] = [2, 3];

export const RUN_FILES = {
  manifest: 'manifest.json',
  samples: 'samples.jsonl',
  loadSamples: 'samples.bin',
  dictionary: 'samples.dict.jsonl',
  series: 'series.jsonl',
  intervals: 'intervals.hlog',
  histograms: 'histograms.json',
  summary: 'summary.json',
  report: 'report.md',
  html: 'report.html',
} as const;
