/**
 * `coldbench import autocannon`: autocannon's JSON result (`autocannon -j`), one file per
 * target, as a capacity probe's result. autocannon's JSON keeps counters and a summary of its
 * latency histogram (percentiles in whole ms, closed model, from the send), no samples and no
 * histogram: the run holds those percentiles as autocannon reported them, labelled so, and no
 * distribution of its own (latencyMs stays null) — nothing is made up from the percentiles.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CbError } from '../model/errors.js';
import type { CapacitySample, ReportedPercentiles } from '../model/records.js';
import { WHOLE } from '../model/segment.js';
import { HistogramSet } from '../store/histograms.js';
import { createRunWriter, newRunId } from '../store/run-writer.js';
import { printable } from './imported-run.js';
import { checkResultFiles, checkTime } from './lines.js';

/** A result is a few kilobytes: anything past this is not one. */
const MAX_RESULT_BYTES = 10 * 1024 * 1024;

const PERCENTILES = ['p50', 'p75', 'p90', 'p97_5', 'p99', 'p99_9'] as const;

export async function importAutocannon(files: readonly string[], outDir: string): Promise<{ runId: string; dir: string; requests: number; skipped: string[] }> {
  await checkResultFiles(files, 'autocannon');
  const samples: CapacitySample[] = [];
  for (const file of files) samples.push(capacitySample(file, await readResult(file)));
  const targets = samples.map((s) => s.target);
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw new CbError('CB_USAGE', `two results name the target "${twice}" (its title, else its file's name): one result per target`);
  const writer = createRunWriter(
    { scenarioName: 'autocannon-import', targets, verdicts: [] },
    {
      outDir,
      runId: newRunId('autocannon-import'),
      runner: '',
      segment: WHOLE,
      startedAt: Math.min(...samples.map((s) => s.startedAt)),
      provenance: {
        producer: 'import autocannon',
        // Each file is its target's whole run, not a segment of one.
        runners: files.map((file) => ({ name: basename(file), host: '', tool: { name: 'autocannon', version: '' }, segment: '0:1' })),
      },
    },
  );
  writer.record({ type: 'probe', probe: 'capacity', kind: 'capacity', targets });
  for (const sample of samples) writer.record(sample);
  writer.writeTotals(new HistogramSet());
  writer.close({ deadline: Date.now(), status: 'completed', endedAt: Math.max(...samples.map((s) => s.endedAt)) });
  return { runId: writer.runId, dir: writer.dir, requests: samples.reduce((sum, s) => sum + s.requests, 0), skipped: [] };
}

async function readResult(file: string): Promise<Record<string, unknown>> {
  const tooLarge = () => new CbError('CB_IMPORT_UNREADABLE', `${file} is larger than an autocannon result can be (${MAX_RESULT_BYTES} bytes)`);
  if ((await stat(file)).size > MAX_RESULT_BYTES) throw tooLarge();
  const bytes = await readFile(file);
  let json: string;
  try {
    json = (file.endsWith('.gz') ? gunzipSync(bytes, { maxOutputLength: MAX_RESULT_BYTES }) : bytes).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new CbError('CB_IMPORT_UNREADABLE', `${file} is not gzip data, or is damaged: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch (error) {
    throw new CbError('CB_IMPORT_UNREADABLE', `${file} is not JSON: ${(error as Error).message}`);
  }
}

function capacitySample(file: string, result: Record<string, unknown>): CapacitySample {
  const missing: string[] = [];
  const number = (value: unknown, name: string): number => {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    missing.push(name);
    return NaN;
  };
  const latency = (result.latency ?? {}) as Record<string, unknown>;
  const requests = (result.requests ?? {}) as Record<string, unknown>;
  const throughput = (result.throughput ?? {}) as Record<string, unknown>;
  const startedAt = typeof result.start === 'string' ? Date.parse(result.start) : NaN;
  const endedAt = typeof result.finish === 'string' ? Date.parse(result.finish) : NaN;
  if (!Number.isFinite(startedAt)) missing.push('start');
  if (!Number.isFinite(endedAt)) missing.push('finish');
  const reported = {
    count: number(latency.totalCount, 'latency.totalCount'),
    mean: number(latency.mean, 'latency.mean'),
    max: number(latency.max, 'latency.max'),
  };
  const percentiles = Object.fromEntries(PERCENTILES.map((p) => [p, number(latency[p], `latency.${p}`)]));
  const sample: CapacitySample = {
    type: 'sample',
    kind: 'capacity',
    probe: 'capacity',
    target: printable(typeof result.title === 'string' && result.title ? result.title : basename(file).replace(/\.json(\.gz)?$/, '')),
    startedAt,
    endedAt,
    connections: number(result.connections, 'connections'),
    pipelining: number(result.pipelining, 'pipelining'),
    requests: number(requests.total, 'requests.total'),
    successes: number(result['2xx'], '2xx'),
    errors: number(result.errors, 'errors'),
    timeouts: number(result.timeouts, 'timeouts'),
    resets: typeof result.resets === 'number' ? result.resets : 0,
    non2xx: number(result.non2xx, 'non2xx'),
    bytes: typeof throughput.total === 'number' ? throughput.total : 0,
    requestsPerSecond: number(requests.average, 'requests.average'),
    reportedLatencyMs: { ...reported, ...percentiles } as ReportedPercentiles,
  };
  if (missing.length) throw new CbError('CB_IMPORT_UNREADABLE', `${file} is not an autocannon JSON result (autocannon -j): it lacks ${missing.join(', ')}`);
  try {
    checkTime(startedAt, 'an autocannon run');
  } catch (error) {
    throw new CbError('CB_IMPORT_UNREADABLE', `${file}: ${(error as Error).message}`);
  }
  return sample;
}
