/** Reads a run directory back. Analysis and reports work only from what this returns. */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
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
    for (const record of series) if (record.type === 'client') histograms.recordClient(record);
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
  forEachLine(path, (line, number) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      incomplete.push(`${name} line ${number} is truncated or not JSON; skipped`);
    }
  });
  return records;
}

/** Reads a file a megabyte at a time: a run of a million samples never sits in memory as one string. */
function forEachLine(path: string, onLine: (line: string, number: number) => void): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 20);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      const lines = (pending + decoder.write(buffer.subarray(0, read))).split('\n');
      pending = lines.pop()!;
      for (const line of lines) onLine(line, ++number);
    }
    pending += decoder.end();
    if (pending) onLine(pending, ++number);
  } finally {
    closeSync(fd);
  }
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new CbError('CB_RUN_DIR_INVALID', `cannot read ${path}: ${(error as Error).message}`);
  }
}
