/**
 * `coldbench import k6`: k6 results (JSON output: NDJSON lines of Metric and Point; CSV
 * output: metric_name,timestamp,metric_value, then tag columns; `.gz` by suffix) from one or
 * many runners, as a run directory with provenance `import k6`, so that report, gate, compare,
 * merge and export read it like any other.
 *
 * Each request is one sample: k6 writes a request's http_* points together, opened by its
 * http_reqs point. k6 has no intended start, so its duration is stored as what it is, the
 * latency from the request's send (`uncorrectedLatencyMs`): the report never presents it as
 * corrected. Requests go where their target, probe and stage tags say (the scripts `coldbench
 * k6` writes set them; else the k6 scenario and `k6`). dropped_iterations are dropped samples.
 * A malformed line is named by file and line, and the rest is imported.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import { CbError } from '../model/errors.js';
import { statusError } from '../model/error-class.js';
import { msToUs, newHistogram, type Histogram } from '../model/histogram.js';
import type { LoadSample, SampleError, SloLimits, StagePlan, Tick } from '../model/records.js';
import { WHOLE } from '../model/segment.js';
import { encodeIntervals, type IntervalSpan } from '../store/interval-log.js';
import { createRunWriter, newRunId } from '../store/run-writer.js';

/** One k6 metric point, from either format. */
interface K6Point {
  metric: string;
  /** Epoch ms. */
  time: number;
  value: number;
  tags: Record<string, string>;
}

/** The k6 request timings beside the duration, each into an interval histogram of its own. */
const PHASE_METRICS: Record<string, string> = {
  http_req_waiting: 'waiting',
  http_req_connecting: 'connecting',
  http_req_tls_handshaking: 'tls',
  http_req_blocked: 'blocked',
};

export interface ImportResult {
  runId: string;
  dir: string;
  requests: number;
  /** `file:line: reason` of every line left out. */
  skipped: string[];
}

export interface ImportOptions {
  /** SLOs to judge every imported stage by, as a load probe's `slo:`: k6's output holds no thresholds. */
  slo?: SloLimits;
}

export async function importK6(files: readonly string[], outDir: string, { slo }: ImportOptions = {}): Promise<ImportResult> {
  if (files.length === 0) throw new CbError('CB_USAGE', 'import k6 needs at least one k6 JSON or CSV output file');
  const skipped: string[] = [];
  const samples: LoadSample[] = [];
  const phases = new Map<LoadSample, Record<string, number>>();
  /** Dropped iterations carry only k6's scenario tag: placed by time, in the stage their target was in. */
  const unplaced = new Set<LoadSample>();
  let scenarioName: string | undefined;
  for (const file of files) {
    let open: { point: K6Point; sample: LoadSample } | undefined;
    const finish = () => open && samples.push(open.sample);
    await forEachPoint(file, skipped, (point) => {
      scenarioName ??= point.tags.testid;
      if (point.metric === 'http_reqs') {
        finish();
        open = { point, sample: requestSample(point) };
      } else if (point.metric === 'dropped_iterations') {
        const drop: LoadSample = { type: 'sample', kind: 'load', ...placeOf(point.tags), intendedAt: point.time, dropped: true, ok: false, bytes: 0 };
        if (point.tags.stage === undefined) unplaced.add(drop);
        samples.push(drop);
      } else if (open && point.metric.startsWith('http_req') && sameRequest(open.point, point)) {
        addToRequest(open.sample, point, phases);
      }
    });
    finish();
  }
  refuseTooManyNames(samples);
  if (samples.length === 0)
    throw new CbError('CB_IMPORT_EMPTY', `no k6 requests in ${files.join(', ')}${skipped.length ? ` (${skipped.length} lines skipped: ${skipped[0]})` : ''}`);
  samples.sort((a, b) => a.intendedAt - b.intendedAt);
  const lastSent = new Map<string, LoadSample>();
  for (const sample of samples) {
    if (!unplaced.has(sample)) {
      if (!sample.dropped) lastSent.set(sample.target, sample);
      continue;
    }
    const place = lastSent.get(sample.target) ?? samples.find((s) => s.target === sample.target && !unplaced.has(s));
    if (place) Object.assign(sample, { probe: place.probe, stage: place.stage });
  }
  return writeImportedRun(samples, phases, files, sanitize(scenarioName ?? 'k6-import'), outDir, skipped, slo);
}

/** A tag as a name coldbench prints: control characters (a terminal escape, a line break) shown as �, never sent raw. */
const printable = (tag: string) => tag.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
const placeOf = (tags: Record<string, string>) => ({
  target: printable(tags.target ?? tags.scenario ?? 'default'),
  probe: printable(tags.probe ?? 'k6'),
  stage: printable(tags.stage ?? 'k6'),
});
const sameRequest = (a: K6Point, b: K6Point) =>
  a.time === b.time && a.tags.url === b.tags.url && a.tags.target === b.tags.target && a.tags.scenario === b.tags.scenario;

function requestSample(point: K6Point): LoadSample {
  return {
    type: 'sample',
    kind: 'load',
    ...placeOf(point.tags),
    intendedAt: point.time,
    ok: point.tags.expected_response !== 'false',
    bytes: 0,
    ...(point.tags.status ? { status: Number(point.tags.status) } : {}),
  };
}

function addToRequest(sample: LoadSample, point: K6Point, phases: Map<LoadSample, Record<string, number>>): void {
  if (point.metric === 'http_req_duration') {
    // k6 stamps a request's points at its end: it was sent `duration` before.
    sample.uncorrectedLatencyMs = point.value;
    sample.startedAt = sample.intendedAt = point.time - point.value;
  } else if (point.metric === 'http_req_failed' && point.value === 1) {
    sample.ok = false;
    const status = Number(point.tags.status);
    // A failed request with a status is classed as coldbench classes statuses; without one, k6's error code names it.
    const base: SampleError = status > 0 ? statusError(status) : { code: 'K6_ERROR', class: 'other', message: '' };
    sample.error = { ...base, code: point.tags.error_code ?? base.code, message: point.tags.error ?? `k6: status ${point.tags.status ?? 'none'}` };
  } else if (PHASE_METRICS[point.metric]) {
    phases.set(sample, { ...phases.get(sample), [PHASE_METRICS[point.metric]!]: point.value });
  }
}

/** Every point of a file, read a line at a time, in file order; malformed lines go to `skipped` as file:line: reason. */
async function forEachPoint(file: string, skipped: string[], onPoint: (point: K6Point) => void): Promise<void> {
  try {
    await access(file);
  } catch (error) {
    throw new CbError(
      'CB_USAGE',
      `cannot read k6 output ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (error) => input.destroy(error));
  let columns: string[] | undefined;
  try {
    for await (const { line, number, tooLong } of boundedLines(input, MAX_LINE_BYTES)) {
      if (tooLong) {
        skipped.push(`${file}:${number}: a line longer than ${MAX_LINE_BYTES} bytes; skipped`);
        continue;
      }
      if (number === 1 && /^metric_name,timestamp,metric_value/.test(line)) {
        columns = line.split(',');
        continue;
      }
      if (!line.trim()) continue;
      try {
        const point = columns ? csvPoint(line, columns) : jsonPoint(line);
        if (point && (point.time < EARLIEST_MS || point.time > latestMs()))
          throw new Error(`time ${new Date(point.time).toISOString()} is not one a k6 run had`);
        if (point) onPoint(point);
      } catch (error) {
        skipped.push(`${file}:${number}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    const what = (error as NodeJS.ErrnoException).code?.startsWith('Z_') ? 'is not gzip data, or is damaged' : 'cannot be read';
    throw new CbError('CB_IMPORT_UNREADABLE', `${file} ${what}: ${(error as Error).message}`);
  }
}

/** Beyond these an import is many tests at once, or tags that vary per request: each name costs histograms and table rows. */
const MAX_TARGETS = 100;
const MAX_STAGES = 1000;

function refuseTooManyNames(samples: readonly LoadSample[]): void {
  const targets = new Set(samples.map((s) => s.target));
  const stages = new Set(samples.map((s) => JSON.stringify([s.probe, s.stage])));
  if (targets.size > MAX_TARGETS)
    throw new CbError(
      'CB_IMPORT_TOO_MANY',
      `the k6 output names ${targets.size} targets (its target tag, else its scenario), more than ${MAX_TARGETS}: import one test's runs at a time`,
    );
  if (stages.size > MAX_STAGES)
    throw new CbError(
      'CB_IMPORT_TOO_MANY',
      `the k6 output names ${stages.size} stages (its probe and stage tags), more than ${MAX_STAGES}: import one test's runs at a time`,
    );
}

/** The times a k6 run can have: a point outside them is damage, and would put the run's histograms in another era. */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const latestMs = () => Date.now() + 24 * 3_600_000;

/** k6 writes a point a line, a few hundred bytes: a longer line is damage (or a gzip bomb), skipped without being held. */
const MAX_LINE_BYTES = 1 << 20;

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

/** grafana/k6 internal/output/json: {"type":"Point","metric":…,"data":{"time":RFC 3339,"value":…,"tags":{…}}}; Metric lines describe metrics. */
function jsonPoint(line: string): K6Point | undefined {
  let value: { type?: unknown; metric?: unknown; data?: { time?: unknown; value?: unknown; tags?: unknown } };
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not JSON (a torn line?)');
  }
  if (value.type === 'Metric') return undefined;
  if (value.type !== 'Point') throw new Error(`type ${JSON.stringify(value.type)} is neither Point nor Metric`);
  const time = typeof value.data?.time === 'string' ? Date.parse(value.data.time) : NaN;
  if (typeof value.metric !== 'string' || !Number.isFinite(time) || typeof value.data?.value !== 'number')
    throw new Error('a Point needs metric, data.time (RFC 3339) and a numeric data.value');
  return { metric: value.metric, time, value: value.data.value, tags: stringTags(value.data.tags) };
}

/** grafana/k6 internal/output/csv: metric_name,timestamp,metric_value, the standard tag columns, extra_tags (k=v&k=v), metadata. */
function csvPoint(line: string, columns: string[]): K6Point {
  const cells = line.split(',');
  if (cells.length !== columns.length) throw new Error(`${cells.length} columns where the header has ${columns.length}`);
  const [metric, timestamp, value] = cells as [string, string, string];
  const seconds = Number(timestamp);
  const time = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(timestamp);
  if (!metric || !Number.isFinite(time) || !Number.isFinite(Number(value)) || value === '')
    throw new Error('needs a metric name, a timestamp and a numeric value');
  const tags: Record<string, string> = {};
  columns.forEach((column, i) => {
    if (i < 3 || !cells[i]) return;
    if (column === 'extra_tags')
      for (const pair of cells[i]!.split('&')) {
        const [k, v] = pair.split('=');
        if (k && v !== undefined) tags[decodeURIComponent(k)] = decodeURIComponent(v);
      }
    else if (column !== 'metadata') tags[column] = cells[i]!;
  });
  return { metric, time, value: Number(value), tags };
}

const stringTags = (tags: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(tags && typeof tags === 'object' ? tags : {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;

const sanitize = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'k6-import';

function writeImportedRun(
  samples: LoadSample[],
  phases: Map<LoadSample, Record<string, number>>,
  files: readonly string[],
  scenarioName: string,
  outDir: string,
  skipped: string[],
  slo: SloLimits | undefined,
): ImportResult {
  // Stages and targets in the order they first appear; a stage spans its first to last request.
  const targets: string[] = [];
  const probes = new Map<string, Map<string, { first: number; last: number; sent: number }>>();
  for (const s of samples) {
    if (!targets.includes(s.target)) targets.push(s.target);
    const stages = probes.get(s.probe) ?? new Map();
    probes.set(s.probe, stages);
    const span = stages.get(s.stage) ?? { first: s.intendedAt, last: s.intendedAt, sent: 0 };
    stages.set(s.stage, { first: Math.min(span.first, s.intendedAt), last: Math.max(span.last, s.intendedAt), sent: span.sent + (s.dropped ? 0 : 1) });
  }
  const writer = createRunWriter(
    { scenarioName, targets, verdicts: [] },
    {
      outDir,
      runId: newRunId(`${scenarioName}-k6`),
      runner: '',
      segment: WHOLE,
      startedAt: samples[0]!.intendedAt,
      provenance: {
        producer: 'import k6',
        // Several files are the runners of one distributed k6 run, each a segment of it.
        runners: files.map((file, i) => ({
          name: basename(file),
          host: '',
          tool: { name: 'k6', version: '' },
          segment: files.length === 1 ? '0:1' : `${i}/${files.length}:${i + 1}/${files.length}`,
        })),
      },
    },
  );
  for (const [probe, stages] of probes) {
    const probeStart = Math.min(...[...stages.values()].map((s) => s.first));
    const plans: StagePlan[] = [...stages].map(([name, span]) => {
      const durationMs = Math.max(1000, Math.ceil((span.last - span.first + 1) / 1000) * 1000);
      // k6's output holds what was sent, not the schedule asked for: the rate is the one observed.
      const rate = span.sent / targets.length / (durationMs / 1000);
      return { name, offsetMs: span.first - probeStart, durationMs, fromRate: rate, toRate: rate, targetRate: rate };
    });
    writer.record({ type: 'probe', probe, kind: 'load', targets, stages: plans, ...(slo && { slo }) });
    for (const p of plans)
      writer.record({ type: 'stage', probe, stage: p.name, at: probeStart + p.offsetMs, targetRate: p.targetRate, durationMs: p.durationMs });
  }
  for (const tick of ticksOf(samples)) writer.record(tick);

  const intervals = new Map<string, { span: IntervalSpan; histogram: Histogram }>();
  const record = (s: LoadSample, metric: string, ms: number) => {
    const second = Math.floor(s.intendedAt / 1000) * 1000;
    const key = JSON.stringify([second, s.target, s.probe, s.stage, metric]);
    let entry = intervals.get(key);
    if (!entry) {
      const span: IntervalSpan = { type: 'interval', target: s.target, probe: s.probe, stage: s.stage, metric, startedAt: second, endedAt: second + 1000 };
      intervals.set(key, (entry = { span, histogram: newHistogram() }));
    }
    entry.histogram.recordValue(msToUs(ms));
  };
  for (const sample of samples) {
    if (sample.ok && sample.uncorrectedLatencyMs !== undefined) record(sample, 'uncorrected', sample.uncorrectedLatencyMs);
    if (sample.ok) for (const [metric, ms] of Object.entries(phases.get(sample) ?? {})) record(sample, metric, ms);
    writer.record(sample);
  }
  const { records, totals } = encodeIntervals([...intervals.values()]);
  for (const interval of records) writer.record(interval);
  writer.writeTotals(totals);
  writer.close({ deadline: Date.now(), status: 'completed', endedAt: samples.at(-1)!.intendedAt });
  return { runId: writer.runId, dir: writer.dir, requests: samples.filter((s) => !s.dropped).length, skipped };
}

/** One tick per second of each target's stage, counted from the requests. */
function ticksOf(samples: readonly LoadSample[]): Tick[] {
  const ticks = new Map<string, Tick>();
  const starts = new Map<string, number>();
  for (const s of samples) starts.set(s.probe, Math.min(starts.get(s.probe) ?? Infinity, s.intendedAt));
  for (const s of samples) {
    const second = Math.floor((s.intendedAt - starts.get(s.probe)!) / 1000);
    const key = JSON.stringify([s.probe, s.target, s.stage, second]);
    const tick = ticks.get(key) ?? {
      type: 'tick' as const,
      probe: s.probe,
      target: s.target,
      stage: s.stage,
      at: starts.get(s.probe)! + second * 1000,
      second,
      sent: 0,
      completed: 0,
      errors: 0,
      dropped: 0,
      inFlight: 0,
      instances: 0,
    };
    if (s.dropped) tick.dropped += 1;
    else {
      tick.sent += 1;
      tick.completed += 1;
      if (!s.ok) tick.errors += 1;
    }
    ticks.set(key, tick);
  }
  return [...ticks.values()].sort((a, b) => a.at - b.at);
}
