/**
 * Another tool's output read a line at a time, `.gz` by suffix: memory stays bounded whatever
 * the file holds (a line past MAX_LINE_BYTES is skipped as it streams by, a gzip bomb with it),
 * and a file that cannot be read is named with the reason.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { CbError } from '../model/errors.js';

/** A result is a line of a few hundred bytes: a longer line is damage (or a gzip bomb), skipped without being held. */
const MAX_LINE_BYTES = 1 << 20;

export type ImportTool = 'k6' | 'vegeta' | 'autocannon';

/** Before anything is read: there are files, each can be opened, and none is another tool's (or vegeta's gob). */
export async function checkResultFiles(files: readonly string[], tool: ImportTool): Promise<void> {
  if (files.length === 0) throw new CbError('CB_USAGE', `import ${tool} needs at least one file of ${READS[tool]}`);
  for (const file of files) {
    try {
      await access(file);
    } catch (error) {
      throw new CbError(
        'CB_USAGE',
        `cannot read ${tool} output ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
    refuseOtherFormat(file, tool);
  }
}

/** The file's non-empty lines with their numbers; a line too long goes to `skipped` (when given) as file:line: reason. */
export async function* linesOf(file: string, skipped?: string[]): AsyncGenerator<{ line: string; number: number }> {
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (error) => input.destroy(error));
  try {
    for await (const { line, number, tooLong } of boundedLines(input, MAX_LINE_BYTES)) {
      if (tooLong) skipped?.push(`${file}:${number}: a line longer than ${MAX_LINE_BYTES} bytes; skipped`);
      else if (line.trim()) yield { line, number };
    }
  } catch (error) {
    if (error instanceof CbError) throw error;
    const what = (error as NodeJS.ErrnoException).code?.startsWith('Z_') ? 'is not gzip data, or is damaged' : 'cannot be read';
    throw new CbError('CB_IMPORT_UNREADABLE', `${file} ${what}: ${(error as Error).message}`);
  }
}

/** The times a run can have: a time outside them is damage, and would put the run's histograms in another era. */
const EARLIEST_MS = Date.UTC(2000, 0, 1);

export function checkTime(ms: number, what: string): void {
  if (ms < EARLIEST_MS || ms > Date.now() + 24 * 3_600_000) throw new Error(`time ${new Date(ms).toISOString()} is not one ${what} had`);
}

/**
 * The lines of a byte stream, CR LF or LF, each decoded once it is whole; a line that grows
 * past `maxBytes` is dropped as it streams by (only its number is kept), so memory stays
 * bounded whatever the input holds.
 */
async function* boundedLines(input: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<{ line: string; number: number; tooLong: boolean }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let tooLong = false;
  let number = 0;
  const finish = () => {
    number += 1;
    const whole = Buffer.concat(pending).toString('utf8');
    const result = { line: whole.endsWith('\r') ? whole.slice(0, -1) : whole, number, tooLong };
    pending = [];
    pendingBytes = 0;
    tooLong = false;
    return result;
  };
  const keep = (part: Buffer) => {
    if (tooLong) return;
    if (pendingBytes + part.length > maxBytes) {
      tooLong = true;
      pending = [];
      pendingBytes = 0;
    } else {
      pending.push(part);
      pendingBytes += part.length;
    }
  };
  for await (const chunk of input) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end >= 0; end = chunk.indexOf(10, start)) {
      keep(chunk.subarray(start, end));
      yield finish();
      start = end + 1;
    }
    keep(chunk.subarray(start));
  }
  if (pendingBytes > 0 || tooLong) yield finish();
}

/** The result formats coldbench knows by their first bytes, and what to tell a user who gave one to the wrong importer. */
const FORMATS: ReadonlyArray<{ tool: string; what: string; test: (start: string) => boolean }> = [
  { tool: 'k6', what: "k6's JSON output (use coldbench import k6)", test: (start) => /^\{[^\n]*"type":\s*"(Point|Metric)"/.test(start) },
  { tool: 'k6', what: "k6's CSV output (use coldbench import k6)", test: (start) => start.startsWith('metric_name,timestamp,metric_value') },
  { tool: 'vegeta', what: "vegeta's JSON results (use coldbench import vegeta)", test: (start) => /^\{"attack":/.test(start) },
  { tool: 'vegeta', what: "vegeta's CSV results (use coldbench import vegeta)", test: (start) => /^\d{16,},\d+,\d+,\d+,\d+,/.test(start) },
  {
    tool: 'vegeta gob',
    what: "vegeta's binary (gob) results: convert them with `vegeta encode --to json results.bin > results.json`",
    test: (start) => /^[\s\S]{0,16}Result[\s\S]{0,16}Attack/.test(start),
  },
  { tool: 'autocannon', what: "autocannon's JSON result (use coldbench import autocannon)", test: (start) => /^\{[\s\S]*"latency":\s*\{/.test(start) },
];

const READS: Record<ImportTool, string> = {
  k6: "k6's JSON or CSV output (k6 run --out json=… or --out csv=…)",
  vegeta: "vegeta's JSON or CSV encoding (vegeta encode --to json or --to csv)",
  autocannon: "autocannon's JSON result (autocannon -j)",
};

/**
 * A file another importer reads, or vegeta's gob, is refused with what it is and what this
 * importer reads; a file of no known format is left to the line reader, which names its lines.
 */
function refuseOtherFormat(file: string, tool: ImportTool): void {
  const start = firstBytes(file)?.toString('latin1').trimStart();
  const format = start ? FORMATS.find((f) => f.test(start)) : undefined;
  if (!format || format.tool === tool) return;
  throw new CbError('CB_IMPORT_UNREADABLE', `${file} is ${format.what}; import ${tool} reads ${READS[tool]}`);
}

/** The first 4 kB of a file, unzipped when it is .gz; undefined for a gzip file too damaged to start. */
function firstBytes(file: string): Buffer | undefined {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(4096);
  let read: number;
  try {
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!file.endsWith('.gz')) return head.subarray(0, read);
  try {
    // Bounded: 4 kB of a gzip bomb must not become megabytes here.
    return gunzipSync(head.subarray(0, read), { finishFlush: 2, maxOutputLength: 64 * 1024 }).subarray(0, 4096);
  } catch {
    return undefined;
  }
}
