/**
 * `coldbench import vegeta`: Vegeta's results (tsenart/vegeta lib/results.go) as a run
 * directory, from its JSON encoding (a Result a line: attack, seq, code, timestamp RFC 3339,
 * latency in ns, bytes_out, bytes_in, error, body, header) or its CSV encoding (timestamp in
 * ns since the epoch, code, latency ns, bytes out, bytes in, error, body base64, attack, seq).
 * Its default output is Go's gob encoding, which only Go reads: `vegeta encode --to json`
 * turns it into the JSON encoding, and the importer says so when it meets gob (lines.ts).
 *
 * What Vegeta's timestamp is (lib/attack.go): its pacer hands each hit the later of the time
 * it was scheduled and the pacer's own clock, and the latency runs from there to the end of
 * the response. So the latency counts from the intended send time, as coldbench's corrected
 * latency does, as long as Vegeta's pacer kept to its schedule; a pacer that fell behind moved
 * the timestamp with it. It is stored as corrected latency, the run labelled as Vegeta's.
 */
import { basename } from 'node:path';
import { statusError } from '../model/error-class.js';
import type { LoadSample, SloLimits } from '../model/records.js';
import { checkSurvey, importProvenance, inStartOrder, mergedByStart, newSurvey, printable, writeImportedRun, type ReadRequest } from './imported-run.js';
import { checkResultFiles, checkTime, linesOf } from './lines.js';

export interface VegetaImportOptions {
  /** SLOs to judge the imported stage by, as a load probe's `slo:`. */
  slo?: SloLimits;
  /** The stage every request goes to (default `vegeta`); the target is the attack's name, else the file's. */
  stage?: string;
}

export async function importVegeta(
  files: readonly string[],
  outDir: string,
  { slo, stage = 'vegeta' }: VegetaImportOptions = {},
): Promise<{ runId: string; dir: string; requests: number; skipped: string[] }> {
  await checkResultFiles(files, 'vegeta');
  const skipped: string[] = [];
  const survey = newSurvey();
  for (const file of files) for await (const { sample } of resultsIn(file, stage, skipped)) survey.add(sample);
  checkSurvey(survey, 'vegeta', files, skipped);
  const { runId, dir } = await writeImportedRun(survey, mergedByStart(files.map((file) => inStartOrder(resultsIn(file, stage), file))), {
    outDir,
    scenarioName: 'vegeta-import',
    slo,
    provenance: importProvenance('vegeta', files),
  });
  return { runId, dir, requests: survey.requests, skipped };
}

/** Vegeta writes a result when its response ends: `end` keeps that order for inStartOrder. */
async function* resultsIn(file: string, stage: string, skipped?: string[]): AsyncGenerator<ReadRequest> {
  const fallbackTarget = basename(file).replace(/\.(json|csv)(\.gz)?$/, '');
  for await (const { line, number } of linesOf(file, skipped)) {
    let sample: LoadSample;
    let latencyMs: number;
    try {
      const result = line.startsWith('{') ? jsonResult(line) : csvResult(line);
      checkTime(result.startMs, 'a vegeta attack');
      latencyMs = result.latencyNs / 1e6;
      const ok = result.code >= 200 && result.code < 400 && !result.error;
      sample = {
        type: 'sample',
        kind: 'load',
        target: printable(result.attack || fallbackTarget),
        probe: 'vegeta',
        stage,
        intendedAt: result.startMs,
        latencyMs,
        ok,
        bytes: result.bytesIn,
        ...(result.code > 0 && { status: result.code }),
      };
      if (!ok) {
        const base = result.code >= 400 ? statusError(result.code) : { code: 'VEGETA_ERROR', class: 'other' as const, message: '' };
        sample.error = { ...base, message: result.error || base.message || `status ${result.code}` };
      }
    } catch (error) {
      skipped?.push(`${file}:${number}: ${(error as Error).message}`);
      continue;
    }
    yield { sample, end: sample.intendedAt + latencyMs, line: number };
  }
}

interface VegetaResult {
  attack: string;
  code: number;
  startMs: number;
  latencyNs: number;
  bytesIn: number;
  error: string;
}

function jsonResult(line: string): VegetaResult {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error('not JSON (a torn line?)');
  }
  const startMs = typeof value.timestamp === 'string' ? Date.parse(value.timestamp) : NaN;
  if (!Number.isFinite(startMs) || typeof value.latency !== 'number' || typeof value.code !== 'number')
    throw new Error('a vegeta result needs timestamp (RFC 3339), latency (ns) and code');
  return {
    attack: typeof value.attack === 'string' ? value.attack : '',
    code: value.code,
    startMs,
    latencyNs: value.latency,
    bytesIn: typeof value.bytes_in === 'number' ? value.bytes_in : 0,
    error: typeof value.error === 'string' ? value.error : '',
  };
}

/** timestamp ns, code, latency ns, bytes out, bytes in, error, body (base64), attack, seq; the error may be quoted, with commas. */
function csvResult(line: string): VegetaResult {
  const cells = csvCells(line);
  if (cells.length !== 9) throw new Error(`${cells.length} columns where vegeta's CSV has 9`);
  const [timestamp, code, latency, , bytesIn, error, , attack] = cells as [string, string, string, string, string, string, string, string];
  const startMs = Number(BigInt(/^\d+$/.test(timestamp) ? timestamp : 'x') / 1000n) / 1000;
  if (!Number.isFinite(Number(code)) || !/^\d+$/.test(latency)) throw new Error('needs a timestamp and a latency in ns and a status code');
  return { attack, code: Number(code), startMs, latencyNs: Number(latency), bytesIn: Number(bytesIn) || 0, error };
}

/** RFC 4180 cells of one line (Go's encoding/csv quotes a field holding a comma or a quote). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted && char === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (char === ',' && !quoted) {
      cells.push(cell);
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  return cells;
}
