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
import { statusError } from '../model/error-class.js';
import type { LoadSample, SampleError, SloLimits } from '../model/records.js';
import { checkResultFiles, checkTime, linesOf } from './lines.js';
import {
  checkSurvey,
  importProvenance,
  inStartOrder,
  mergedByStart,
  newSurvey,
  printable,
  writeImportedRun,
  type ImportedRequest,
  type ReadRequest,
  type Surveying,
} from './imported-run.js';

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

/**
 * Two passes over the files, neither holding the requests: the first learns the names and
 * stage spans the run declares, the second writes the requests in start order, each file put
 * in order within a bounded window and the files merged.
 */
export async function importK6(files: readonly string[], outDir: string, { slo }: ImportOptions = {}): Promise<ImportResult> {
  await checkResultFiles(files, 'k6');
  const skipped: string[] = [];
  const survey = newSurvey();
  /** Per target, its earliest placed request: where a dropped iteration before any request of it goes. */
  const firstPlace = new Map<string, LoadSample>();
  /** Dropped iterations with no stage tag, per target: declared where they are, for a target that has nothing else. */
  const unplacedDrops = new Map<string, Surveying>();
  let scenarioName: string | undefined;
  for (const file of files)
    for await (const { sample, unplaced } of requestsIn(file, skipped, (tags) => (scenarioName ??= tags.testid))) {
      if (unplaced) {
        const drops = unplacedDrops.get(sample.target) ?? newSurvey();
        unplacedDrops.set(sample.target, drops);
        drops.add(sample);
        continue;
      }
      survey.add(sample);
      const first = firstPlace.get(sample.target);
      if (!first || sample.intendedAt < first.intendedAt) firstPlace.set(sample.target, sample);
    }
  for (const [target, drops] of unplacedDrops) if (!firstPlace.has(target)) survey.absorb(drops);
  checkSurvey(survey, 'k6', files, skipped);

  const lastSent = new Map<string, LoadSample>();
  async function* placed(): AsyncGenerator<ImportedRequest> {
    for await (const request of mergedByStart(files.map((file) => inStartOrder(requestsIn(file), file)))) {
      const { sample } = request;
      if ((request as K6Request).unplaced) {
        // Dropped iterations carry only k6's scenario tag: placed by time, in the stage their target was in.
        const place = lastSent.get(sample.target) ?? firstPlace.get(sample.target);
        if (place) Object.assign(sample, { probe: place.probe, stage: place.stage });
      } else if (!sample.dropped) lastSent.set(sample.target, sample);
      yield request;
    }
  }
  const { runId, dir } = await writeImportedRun(survey, placed(), {
    outDir,
    scenarioName: sanitize(scenarioName ?? 'k6-import'),
    slo,
    provenance: importProvenance('k6', files),
  });
  return { runId, dir, requests: survey.requests, skipped };
}

interface K6Request extends ReadRequest {
  /** A dropped iteration with no stage tag: its place is found in time order. */
  unplaced?: boolean;
}

/**
 * A file's requests in file order: k6 writes a request's http_* points together, opened by its
 * http_reqs point. Lines left out go to `skipped` (the first pass only: the second reads the same lines).
 */
async function* requestsIn(file: string, skipped?: string[], onTags?: (tags: Record<string, string>) => void): AsyncGenerator<K6Request> {
  let open: { point: K6Point; request: K6Request } | undefined;
  for await (const { point, line } of pointsIn(file, skipped)) {
    onTags?.(point.tags);
    if (point.metric === 'http_reqs') {
      if (open) yield open.request;
      open = { point, request: { sample: requestSample(point), end: point.time, line } };
    } else if (point.metric === 'dropped_iterations') {
      const sample: LoadSample = { type: 'sample', kind: 'load', ...placeOf(point.tags), intendedAt: point.time, dropped: true, ok: false, bytes: 0 };
      yield { sample, end: point.time, line, ...(point.tags.stage === undefined && { unplaced: true }) };
    } else if (open && point.metric.startsWith('http_req') && sameRequest(open.point, point)) {
      addToRequest(open.request, point);
    }
  }
  if (open) yield open.request;
}

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

function addToRequest(request: ImportedRequest, point: K6Point): void {
  const { sample } = request;
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
    request.phases = { ...request.phases, [PHASE_METRICS[point.metric]!]: point.value };
  }
}

/** Every point of a file, in file order; malformed lines go to `skipped` (when given) as file:line: reason. */
async function* pointsIn(file: string, skipped?: string[]): AsyncGenerator<{ point: K6Point; line: number }> {
  let columns: string[] | undefined;
  for await (const { line, number } of linesOf(file, skipped)) {
    if (number === 1 && /^metric_name,timestamp,metric_value/.test(line)) {
      columns = line.split(',');
      continue;
    }
    let point: K6Point | undefined;
    try {
      point = columns ? csvPoint(line, columns) : jsonPoint(line);
      if (point) checkTime(point.time, 'a k6 run');
    } catch (error) {
      skipped?.push(`${file}:${number}: ${(error as Error).message}`);
      continue;
    }
    if (point) yield { point, line: number };
  }
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
