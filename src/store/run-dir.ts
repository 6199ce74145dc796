/** Reads a run directory back. Analysis and reports work only from what this returns. */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { basename, join } from 'node:path';
import { CbError } from '../model/errors.js';
import type { Sample, SeriesRecord } from '../model/records.js';
import { HistogramSet, type HistogramsFile } from './histograms.js';
import type { RunManifest } from './manifest.js';
import { RUN_FILES } from '../model/files.js';

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
  if (!isObject(manifest) || typeof manifest.runId !== 'string' || !isObject(manifest.scenario) || typeof manifest.status !== 'string') {
    throw new CbError('CB_RUN_DIR_INVALID', `${manifestPath} is not a coldbench manifest (no runId, status or scenario)`);
  }
  const incomplete: string[] = [];
  if (manifest.status === 'running') incomplete.push('the run did not finish (no end recorded: it crashed or is still running)');
  if (manifest.interrupted) incomplete.push('the run was interrupted');

  const samples = readJsonLines<Sample>(join(dir, RUN_FILES.samples), incomplete, true, (r) => r.type === 'sample' && typeof r.kind === 'string' && typeof r.target === 'string' && timesAreNumbers(r));
  const series = readJsonLines<SeriesRecord>(join(dir, RUN_FILES.series), incomplete, false, (r) => typeof r.type === 'string');

  const histogramsPath = join(dir, RUN_FILES.histograms);
  let histograms: HistogramSet | undefined;
  if (existsSync(histogramsPath)) {
    try {
      histograms = HistogramSet.fromFile(JSON.parse(readFileSync(histogramsPath, 'utf8')) as HistogramsFile);
    } catch (error) {
      incomplete.push(`${RUN_FILES.histograms} is damaged (${(error as Error).message}); rebuilt from ${RUN_FILES.samples}`);
    }
  } else if (samples.length > 0) {
    incomplete.push(`${RUN_FILES.histograms} is missing; rebuilt from ${RUN_FILES.samples}`);
  }
  if (!histograms) {
    histograms = new HistogramSet();
    for (const sample of samples) histograms.add(sample);
    for (const record of series) histograms.add(record);
  }
  return { dir, manifest, samples, series, histograms, incomplete };
}

/** Every time field (…Ms, …At) present holds a number (gapsMs a list of them): analysis does arithmetic on them. */
function timesAreNumbers(record: Record<string, unknown>): boolean {
  return Object.entries(record).every(([key, value]) => {
    if (value === undefined || !/(Ms|At)$/.test(key)) return true;
    return Array.isArray(value) ? value.every((v) => typeof v === 'number' && Number.isFinite(v)) : typeof value === 'number' && Number.isFinite(value);
  });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a JSON-lines file, skipping (and reporting) lines a crash left truncated and lines that are not records. */
function readJsonLines<T>(path: string, incomplete: string[], required: boolean, isRecord: (value: Record<string, unknown>) => boolean): T[] {
  const name = basename(path);
  if (!existsSync(path)) {
    if (required) incomplete.push(`${name} is missing`);
    return [];
  }
  const records: T[] = [];
  forEachLine(path, (line, number) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      incomplete.push(`${name} line ${number} is truncated or not JSON; skipped`);
      return;
    }
    if (isObject(value) && isRecord(value)) records.push(value as T);
    else incomplete.push(`${name} line ${number} is not a coldbench record; skipped`);
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
