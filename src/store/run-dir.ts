/**
 * Reads a run directory back, a line at a time: the manifest whole, then every record of
 * series.jsonl, intervals.hlog and samples.jsonl handed to the caller as it is read, so
 * memory does not grow with the run. What is damaged (a torn last line, a truncated log, a
 * missing file) is named in `incomplete` and everything else is kept.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { join } from 'node:path';
import { CbError, type ErrorCode } from '../model/errors.js';
import { FORMAT_VERSION, READABLE_FORMATS, RUN_FILES } from '../model/files.js';
import type { Histogram } from '../model/histogram.js';
import type { IntervalRecord, LoadSample, SeriesRecord, StoredSample } from '../model/records.js';
import type { RunManifest } from '../model/manifest.js';
import { parseIntervalLogLine } from './interval-log.js';
import { readLoadSampleFile } from './load-sample-file.js';

export interface RunDirectory {
  dir: string;
  manifest: RunManifest;
  /** Why the stored data may be partial (crash, truncated file). Empty when whole. */
  incomplete: string[];
}

export function openRunDirectory(dir: string): RunDirectory {
  const manifestPath = join(dir, RUN_FILES.manifest);
  if (!existsSync(manifestPath)) {
    throw new CbError('CB_RUN_DIR_INVALID', `${dir} is not a run directory: ${RUN_FILES.manifest} is missing`);
  }
  const manifest = readJson<RunManifest>(manifestPath);
  if (!isObject(manifest) || typeof manifest.runId !== 'string' || typeof manifest.status !== 'string') {
    throw new CbError('CB_RUN_DIR_INVALID', `${manifestPath} is not a coldbench manifest (no runId or status)`);
  }
  if (!READABLE_FORMATS.includes(manifest.format as number)) {
    const found =
      manifest.format === undefined ? 'format 1 (no "format" field: written before coldbench had interval logs)' : `format ${JSON.stringify(manifest.format)}`;
    throw new CbError(
      'CB_RUN_FORMAT',
      `${manifestPath} is ${found}; this coldbench reads formats ${READABLE_FORMATS.join(' and ')} (it writes ${FORMAT_VERSION}): analyse it with the coldbench that wrote it, or run the scenario again`,
    );
  }
  if (!Array.isArray(manifest.targets) || !Array.isArray(manifest.verdicts)) {
    throw new CbError('CB_RUN_DIR_INVALID', `${manifestPath} has no list of targets or verdicts`);
  }
  const incomplete: string[] = [];
  if (manifest.status === 'running') incomplete.push('the run did not finish (no end recorded: it crashed or is still running)');
  if (manifest.interrupted) incomplete.push('the run was interrupted');
  if (Array.isArray(manifest.incomplete)) incomplete.push(...manifest.incomplete.filter((reason) => typeof reason === 'string'));
  return { dir, manifest, incomplete };
}

export function readSeries(run: RunDirectory, onRecord: (record: SeriesRecord) => void): void {
  readJsonLines<SeriesRecord>(run, RUN_FILES.series, false, (r) => typeof r.type === 'string' && typeof r.probe === 'string', onRecord);
}

/** Every sample: the JSON lines of samples.jsonl, then the load samples of samples.bin (format 3). */
export function readSamples(run: RunDirectory, onSample: (sample: StoredSample) => void): void {
  readJsonSamples(run, onSample);
  const damage = readBinarySamples(run, onSample);
  if (damage) run.incomplete.push(damage);
}

/** The load samples of samples.bin, up to any damage, which is returned as a CB_SAMPLES_DAMAGED reason. */
export function readBinarySamples(run: RunDirectory, onSample: (sample: LoadSample) => void): string | undefined {
  const path = join(run.dir, RUN_FILES.loadSamples);
  if (!existsSync(path)) return undefined;
  const damage = readLoadSampleFile(path, join(run.dir, RUN_FILES.dictionary), onSample);
  return damage && `${SAMPLES_DAMAGED}${RUN_FILES.loadSamples} is damaged at byte ${damage.offset} (${damage.reason}); read up to there`;
}

const SAMPLES_DAMAGED = `${'CB_SAMPLES_DAMAGED' satisfies ErrorCode}: `;

/** What readBinarySamples said of a damaged samples.bin, among a run's incomplete reasons, without its code. */
export function samplesDamage(incomplete: readonly string[]): string | undefined {
  return incomplete.find((reason) => reason.startsWith(SAMPLES_DAMAGED))?.slice(SAMPLES_DAMAGED.length);
}

function readJsonSamples(run: RunDirectory, onSample: (sample: StoredSample) => void): void {
  readJsonLines<StoredSample>(
    run,
    RUN_FILES.samples,
    true,
    (r) =>
      ((r.type === 'sample' && typeof r.kind === 'string') || (r.type === 'checkpoint' && typeof r.stream === 'number')) &&
      typeof r.target === 'string' &&
      typeof r.probe === 'string' &&
      timesAreNumbers(r),
    onSample,
  );
}

/** Returns false when there is no interval log (the caller rebuilds from samples). */
export function readIntervals(run: RunDirectory, onInterval: (interval: IntervalRecord, histogram: Histogram) => void): boolean {
  const path = join(run.dir, RUN_FILES.intervals);
  if (!existsSync(path)) {
    run.incomplete.push(`${RUN_FILES.intervals} is missing; histograms rebuilt from the samples`);
    return false;
  }
  forEachLine(path, (line, number) => {
    try {
      if (line === undefined) throw new Error(`longer than ${MAX_LINE_CHARS} characters`);
      const parsed = parseIntervalLogLine(line.trimEnd());
      if (parsed) onInterval(parsed.interval, parsed.histogram);
    } catch (error) {
      run.incomplete.push(`${RUN_FILES.intervals} line ${number} is truncated or damaged (${(error as Error).message}); skipped`);
    }
  });
  return true;
}

/** Every time field (…Ms, …At) present holds a number (gapsMs a list of them, reportedLatencyMs a map of them): analysis does arithmetic on them. */
function timesAreNumbers(record: Record<string, unknown>): boolean {
  for (const key in record) {
    const value = record[key];
    if (value === undefined || !(key.endsWith('Ms') || key.endsWith('At'))) continue;
    const numbers = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [value];
    if (!numbers.every(isFiniteNumber)) return false;
  }
  return true;
}

const isFiniteNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a JSON-lines file, skipping (and reporting) lines a crash left truncated and lines that are not records. */
function readJsonLines<T>(
  run: RunDirectory,
  name: string,
  required: boolean,
  isRecord: (value: Record<string, unknown>) => boolean,
  onRecord: (record: T) => void,
): void {
  const path = join(run.dir, name);
  if (!existsSync(path)) {
    if (required) run.incomplete.push(`${name} is missing`);
    return;
  }
  forEachLine(path, (line, number) => {
    if (line === undefined) {
      run.incomplete.push(`${name} line ${number} is longer than ${MAX_LINE_CHARS} characters; skipped`);
      return;
    }
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      run.incomplete.push(`${name} line ${number} is truncated or not JSON; skipped`);
      return;
    }
    if (isObject(value) && isRecord(value)) onRecord(value as T);
    else run.incomplete.push(`${name} line ${number} is not a coldbench record; skipped`);
  });
}

/** A record a run writes is a few hundred bytes (a long stream's gaps a few MB): a longer line is damage, skipped without being held. */
const MAX_LINE_CHARS = 16 << 20;

/**
 * Reads a file 64 kB at a time: a run of a million samples never sits in memory as one
 * string. Not larger: a chunk string over V8's large-object limit goes straight to the old
 * generation, which only a full collection frees, and RSS then grows with the file (1 MB
 * chunks: 151 MB peak on a 1M-request run; 64 kB: 100 MB, and faster). Each chunk is searched
 * once, so a long line costs its length, not its length squared; a line over MAX_LINE_CHARS
 * is handed over as undefined. Only regular files are read (a link to /dev/zero never ends).
 */
function forEachLine(path: string, onLine: (line: string | undefined, number: number) => void): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 16);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let tooLong = false;
  let number = 0;
  try {
    if (!fstatSync(fd).isFile()) throw new CbError('CB_RUN_DIR_INVALID', `${path} is not a regular file`);
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      const text = decoder.write(buffer.subarray(0, read));
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        onLine(tooLong ? undefined : pending + text.slice(start, end), ++number);
        pending = '';
        tooLong = false;
        start = end + 1;
      }
      if (!tooLong) pending += text.slice(start);
      if (pending.length > MAX_LINE_CHARS) {
        tooLong = true;
        pending = '';
      }
    }
    pending += decoder.end();
    if (pending || tooLong) onLine(tooLong ? undefined : pending, ++number);
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
