/**
 * Load samples in format 3: one fixed 64-byte little-endian record a request in samples.bin,
 * its strings (target, probe, stage, error, instance) as numbers into a dictionary that is
 * appended to samples.dict.jsonl before any record that uses an entry reaches the disk. A
 * JSON line cost ~300 bytes and most of the recording's CPU at tens of thousands of
 * requests a second; a record is written with a few DataView stores into a reused buffer.
 * Both files are append-only and flushed within `flushMs` (dictionary first), and on exit.
 *
 * After a 16-byte header ("CBLOAD3\n", the record size as u32, 0 as u32), each record is:
 *   0 u8 flags (1 ok, 2 dropped)   1 u8 0            2 u16 status (0: none)
 *   4 u16 target   6 u16 probe   8 u16 stage        10 u16 0
 *  12 u32 error   16 u32 instance (dictionary ids, 0: none)   20 u32 response bytes
 *  24 f64 intendedAt (epoch µs)   32 f64 latency   40 f64 uncorrected latency   48 f64 ttfb
 *  56 f64 schedule lag (µs; NaN where the figure does not exist)
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import type { LoadSample, SampleError } from '../model/records.js';
import { flushAtExit, openAppendLog, type AppendLog } from './append-log.js';
import { UNTIMED, type WriteStalls } from './write-stalls.js';

export const LOAD_SAMPLE_BYTES = 64;
const HEADER_BYTES = 16;
const MAGIC = 'CBLOAD3\n';
const OK = 1;
const DROPPED = 2;
const MAX_SMALL_ID = 0xffff;

export interface LoadSampleLog {
  append(sample: LoadSample): void;
  /** Gives these strings their dictionary ids ahead of the first record that names them (a probe's targets and stages). */
  declare(values: readonly string[]): void;
  flush(): void;
  close(): void;
}

type DictionaryValue = string | SampleError;

/** `onError` hears the first write that fails; the log then keeps what it wrote and drops the rest. */
export function openLoadSampleLog(
  path: string,
  dictionaryPath: string,
  onError: (error: unknown) => void,
  { flushMs = 50, records = 1024, stalls = UNTIMED }: { flushMs?: number; records?: number; stalls?: WriteStalls } = {},
): LoadSampleLog {
  let failed = false;
  const failOnce = (error: unknown) => {
    if (failed) return;
    failed = true;
    onError(error);
  };
  const dictionary: AppendLog = openAppendLog(dictionaryPath, failOnce, { flushMs, stalls });
  const ids = new Map<string, number>();
  const idOf = (value: DictionaryValue | undefined): number => {
    if (value === undefined) return 0;
    const key = typeof value === 'string' ? value : `\0${value.code}\0${value.class}\0${value.message}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(key, id);
      dictionary.append(JSON.stringify([id, value]) + '\n');
    }
    return id;
  };
  const smallId = (value: string, what: string) => {
    const id = idOf(value);
    if (id > MAX_SMALL_ID) throw new RangeError(`more than ${MAX_SMALL_ID} distinct strings before this ${what}: a load sample's ${what} id is 16 bits`);
    return id;
  };

  const fd = openSync(path, 'a');
  if (fstatSync(fd).size === 0) {
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(LOAD_SAMPLE_BYTES, 8);
    writeSync(fd, header);
  }
  const buffer = Buffer.alloc(records * LOAD_SAMPLE_BYTES);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let used = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    // The dictionary first: a record on disk never names an entry that is not.
    dictionary.flush();
    if (used === 0 || closed || failed) return;
    try {
      stalls.timed(() => writeSync(fd, buffer, 0, used));
    } catch (error) {
      failOnce(error);
    }
    used = 0;
  };
  const stopFlushingAtExit = flushAtExit(flush);

  return {
    append(sample) {
      if (closed || failed) return;
      const at = used;
      view.setUint8(at, (sample.ok ? OK : 0) | (sample.dropped ? DROPPED : 0));
      view.setUint8(at + 1, 0);
      view.setUint16(at + 2, sample.status ?? 0, true);
      view.setUint16(at + 4, smallId(sample.target, 'target'), true);
      view.setUint16(at + 6, smallId(sample.probe, 'probe'), true);
      view.setUint16(at + 8, smallId(sample.stage, 'stage'), true);
      view.setUint16(at + 10, 0, true);
      view.setUint32(at + 12, idOf(sample.error), true);
      view.setUint32(at + 16, idOf(sample.instanceId), true);
      view.setUint32(at + 20, Math.min(sample.bytes, 0xffffffff), true);
      view.setFloat64(at + 24, micros(sample.intendedAt), true);
      view.setFloat64(at + 32, micros(sample.latencyMs), true);
      view.setFloat64(at + 40, micros(sample.uncorrectedLatencyMs), true);
      view.setFloat64(at + 48, micros(sample.ttfbMs), true);
      view.setFloat64(at + 56, micros(sample.scheduleLagMs), true);
      used += LOAD_SAMPLE_BYTES;
      if (used === buffer.length) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushMs);
        timer.unref();
      }
    },
    declare(values) {
      for (const value of values) smallId(value, 'name');
    },
    flush,
    close() {
      flush();
      closed = true;
      stopFlushingAtExit();
      closeSync(fd);
      dictionary.close();
    },
  };
}

const micros = (ms: number | undefined): number => (ms === undefined ? NaN : Math.round(ms * 1000));
const millis = (us: number): number | undefined => (Number.isNaN(us) ? undefined : us / 1000);

/** Where a sample file stops being readable: its byte offset and why. */
export interface SampleFileDamage {
  offset: number;
  reason: string;
}

/**
 * Hands every record of a load sample file over as a LoadSample, 64 kB at a time. Reading
 * stops at the first damage (a torn last record, a record naming no dictionary entry, a
 * wrong header), which is returned; everything before it is kept.
 */
export function readLoadSampleFile(path: string, dictionaryPath: string, onSample: (sample: LoadSample) => void): SampleFileDamage | undefined {
  const dictionary = readDictionary(dictionaryPath);
  const fd = openSync(path, 'r');
  try {
    if (!fstatSync(fd).isFile()) return { offset: 0, reason: 'not a regular file' };
    const header = Buffer.alloc(HEADER_BYTES);
    const headerRead = readSync(fd, header, 0, HEADER_BYTES, 0);
    if (headerRead === 0) return undefined;
    if (headerRead < HEADER_BYTES || header.toString('latin1', 0, 8) !== MAGIC || header.readUInt32LE(8) !== LOAD_SAMPLE_BYTES) {
      return { offset: 0, reason: 'no coldbench load sample header' };
    }
    const chunk = Buffer.alloc(1024 * LOAD_SAMPLE_BYTES);
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let position = HEADER_BYTES;
    for (let read = readSync(fd, chunk, 0, chunk.length, position); read > 0; read = readSync(fd, chunk, 0, chunk.length, position)) {
      const whole = read - (read % LOAD_SAMPLE_BYTES);
      for (let at = 0; at < whole; at += LOAD_SAMPLE_BYTES) {
        const sample = decode(view, at, dictionary);
        if (typeof sample === 'string') return { offset: position + at, reason: sample };
        onSample(sample);
      }
      position += whole;
      if (whole < read) return { offset: position, reason: `a torn last record (${read - whole} of ${LOAD_SAMPLE_BYTES} bytes)` };
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A record as a LoadSample, or why it is not one. */
function decode(view: DataView, at: number, dictionary: Map<number, DictionaryValue>): LoadSample | string {
  const flags = view.getUint8(at);
  const target = dictionary.get(view.getUint16(at + 4, true));
  const probe = dictionary.get(view.getUint16(at + 6, true));
  const stage = dictionary.get(view.getUint16(at + 8, true));
  const intendedAt = view.getFloat64(at + 24, true);
  if (flags > (OK | DROPPED) || typeof target !== 'string' || typeof probe !== 'string' || typeof stage !== 'string' || !Number.isFinite(intendedAt)) {
    return 'a record that is not a load sample (unknown flags, a string missing from the dictionary, or no intended time)';
  }
  const sample: LoadSample = {
    type: 'sample',
    kind: 'load',
    probe,
    target,
    stage,
    intendedAt: intendedAt / 1000,
    ok: (flags & OK) !== 0,
    bytes: view.getUint32(at + 20, true),
  };
  const lag = view.getFloat64(at + 56, true);
  if (!Number.isNaN(lag)) sample.startedAt = (intendedAt + lag) / 1000;
  if (flags & DROPPED) sample.dropped = true;
  const latencyMs = millis(view.getFloat64(at + 32, true));
  if (latencyMs !== undefined) sample.latencyMs = latencyMs;
  const uncorrectedLatencyMs = millis(view.getFloat64(at + 40, true));
  if (uncorrectedLatencyMs !== undefined) sample.uncorrectedLatencyMs = uncorrectedLatencyMs;
  const ttfbMs = millis(view.getFloat64(at + 48, true));
  if (ttfbMs !== undefined) sample.ttfbMs = ttfbMs;
  if (!Number.isNaN(lag)) sample.scheduleLagMs = lag / 1000;
  const status = view.getUint16(at + 2, true);
  if (status !== 0) sample.status = status;
  const errorId = view.getUint32(at + 12, true);
  if (errorId !== 0) {
    const error = dictionary.get(errorId);
    if (typeof error !== 'object') return `error id ${errorId} is not an error in the dictionary`;
    sample.error = error;
  }
  const instanceId = view.getUint32(at + 16, true);
  if (instanceId !== 0) {
    const instance = dictionary.get(instanceId);
    if (typeof instance !== 'string') return `instance id ${instanceId} is not a string in the dictionary`;
    sample.instanceId = instance;
  }
  return sample;
}

/** The dictionary's entries; a torn last line (a crash mid-write) names nothing a flushed record uses, and is left out. */
function readDictionary(path: string): Map<number, DictionaryValue> {
  const entries = new Map<number, DictionaryValue>();
  if (!existsSync(path)) return entries;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const [id, value] = JSON.parse(line) as [number, DictionaryValue];
      if (Number.isInteger(id) && (typeof value === 'string' || (typeof value === 'object' && value !== null))) entries.set(id, value);
    } catch {
      // a torn or empty line
    }
  }
  return entries;
}
