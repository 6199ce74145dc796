/** Reads a run directory back. Analysis and reports work only from what this returns. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CbError } from '../errors.js';
import type { Sample, SeriesRecord } from '../runner/records.js';
import { HistogramSet, type HistogramsFile } from './histograms.js';
import type { RunManifest } from './manifest.js';
import { RUN_FILES } from './run-writer.js';

export interface StoredRun {
  dir: string;
  manifest: RunManifest;
  samples: Sample[];
  /** Per-second ticks and events (stage starts, aborts). */
  series: SeriesRecord[];
  histograms: HistogramSet;
  /** Why the stored data may be partial (crash, truncated file, rebuilt histograms). Empty when whole. */
  incomplete: string[];
}

export function loadRun(dir: string): StoredRun {
  const manifestPath = join(dir, RUN_FILES.manifest);
  if (!existsSync(manifestPath)) {
    throw new CbError('CB_RUN_DIR_INVALID', `${dir} is not a run directory: ${RUN_FILES.manifest} is missing`);
  }
  const manifest = readJson<RunManifest>(manifestPath);
  const incomplete: string[] = [];
  if (manifest.status === 'running') incomplete.push('the run did not finish (no end recorded: it crashed or is still running)');
  if (manifest.interrupted) incomplete.push('the run was interrupted');

  const samples = readJsonLines<Sample>(join(dir, RUN_FILES.samples), incomplete, true);
  const series = readJsonLines<SeriesRecord>(join(dir, RUN_FILES.series), incomplete, false);

  const histogramsPath = join(dir, RUN_FILES.histograms);
  let histograms: HistogramSet;
  if (existsSync(histogramsPath)) {
    histograms = HistogramSet.fromFile(readJson<HistogramsFile>(histogramsPath));
  } else {
    histograms = new HistogramSet();
    for (const sample of samples) histograms.recordSample(sample);
    if (samples.length > 0) incomplete.push(`${RUN_FILES.histograms} is missing; rebuilt from ${RUN_FILES.samples}`);
  }
  return { dir, manifest, samples, series, histograms, incomplete };
}

/** Reads a JSON-lines file, skipping (and reporting) lines a crash left truncated. */
function readJsonLines<T>(path: string, incomplete: string[], required: boolean): T[] {
  const name = basename(path);
  if (!existsSync(path)) {
    if (required) incomplete.push(`${name} is missing`);
    return [];
  }
  const records: T[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (!line.trim()) return;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        incomplete.push(`${name} line ${index + 1} is truncated or not JSON; skipped`);
      }
    });
  return records;
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new CbError('CB_RUN_DIR_INVALID', `cannot read ${path}: ${(error as Error).message}`);
  }
}
