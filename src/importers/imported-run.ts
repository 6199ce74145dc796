/**
 * A run directory from another tool's per-request results, written as they stream by: the
 * requests come in start order (each file put in order within a bounded window, the files
 * merged), and only the current second's ticks and interval histograms are held, so memory
 * does not grow with the input. What the run declares (targets, probes, stage spans) comes
 * from a first pass over the same input, which keeps nothing per request.
 */
import { basename } from 'node:path';
import { CbError } from '../model/errors.js';
import { msToUs, newHistogram, type Histogram } from '../model/histogram.js';
import type { Provenance } from '../model/manifest.js';
import type { IntervalRecord, LoadSample, SloLimits, StagePlan, Tick } from '../model/records.js';
import { WHOLE } from '../model/segment.js';
import { HistogramSet } from '../store/histograms.js';
import { encodeIntervals, type IntervalSpan } from '../store/interval-log.js';
import { createRunWriter, newRunId } from '../store/run-writer.js';

/** One request as another tool recorded it, with the timings it kept beside the duration. */
export interface ImportedRequest {
  sample: LoadSample;
  /** Histogram metric → ms (e.g. waiting, connecting). */
  phases?: Record<string, number>;
}

/** What a first pass over the input learns: names, spans and counts, nothing per request. */
export interface ImportSurvey {
  targets: string[];
  /** probe → stage → first and last start, requests sent. */
  stages: Map<string, Map<string, Span>>;
  requests: number;
  first: number;
  last: number;
}

type Span = { first: number; last: number; sent: number };

export interface Surveying extends ImportSurvey {
  add(sample: LoadSample): void;
  /** Adds what another survey found (requests set aside in the first pass, whose place was only known after it). */
  absorb(other: ImportSurvey): void;
}

export function newSurvey(): Surveying {
  const widen = (probe: string, stage: string, { first, last, sent }: Span) => {
    const stages = survey.stages.get(probe) ?? new Map<string, Span>();
    survey.stages.set(probe, stages);
    const span = stages.get(stage);
    stages.set(stage, span ? { first: Math.min(span.first, first), last: Math.max(span.last, last), sent: span.sent + sent } : { first, last, sent });
    survey.first = Math.min(survey.first, first);
    survey.last = Math.max(survey.last, last);
  };
  const addTarget = (target: string) => {
    if (!survey.targets.includes(target)) survey.targets.push(target);
  };
  const survey: Surveying = {
    targets: [],
    stages: new Map(),
    requests: 0,
    first: Infinity,
    last: -Infinity,
    add(s) {
      addTarget(s.target);
      widen(s.probe, s.stage, { first: s.intendedAt, last: s.intendedAt, sent: s.dropped ? 0 : 1 });
      if (!s.dropped) survey.requests += 1;
    },
    absorb(other) {
      other.targets.forEach(addTarget);
      for (const [probe, stages] of other.stages) for (const [stage, span] of stages) widen(probe, stage, span);
      survey.requests += other.requests;
    },
  };
  return survey;
}

/** A name from another tool's output as coldbench prints it: control characters (a terminal escape, a line break) shown as �, never sent raw. */
export const printable = (name: string): string => name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');

/** Beyond these an import is many tests at once, or tags that vary per request: each name costs histograms and table rows. */
const MAX_TARGETS = 100;
const MAX_STAGES = 1000;

/** What the first pass found is importable: some requests, and not more names than one test has. */
export function checkSurvey(survey: ImportSurvey, tool: string, files: readonly string[], skipped: readonly string[]): void {
  refuseTooManyNames(survey, tool);
  if (survey.requests === 0)
    throw new CbError(
      'CB_IMPORT_EMPTY',
      `no ${tool} requests in ${files.join(', ')}${skipped.length ? ` (${skipped.length} lines skipped: ${skipped[0]})` : ''}`,
    );
}

function refuseTooManyNames(survey: ImportSurvey, tool: string): void {
  const stages = [...survey.stages.values()].reduce((sum, s) => sum + s.size, 0);
  if (survey.targets.length > MAX_TARGETS)
    throw new CbError(
      'CB_IMPORT_TOO_MANY',
      `the ${tool} output names ${survey.targets.length} targets (its target tag, else its scenario), more than ${MAX_TARGETS}: import one test's runs at a time`,
    );
  if (stages > MAX_STAGES)
    throw new CbError(
      'CB_IMPORT_TOO_MANY',
      `the ${tool} output names ${stages} stages (its probe and stage tags), more than ${MAX_STAGES}: import one test's runs at a time`,
    );
}

/** An import's provenance: several files are the runners of one distributed run, each a segment of it. */
export function importProvenance(tool: 'k6' | 'vegeta', files: readonly string[]): Provenance {
  return {
    producer: `import ${tool}`,
    runners: files.map((file, i) => ({
      name: basename(file),
      host: '',
      tool: { name: tool, version: '' },
      segment: files.length === 1 ? '0:1' : `${i}/${files.length}:${i + 1}/${files.length}`,
    })),
  };
}

export interface ImportedRunOptions {
  outDir: string;
  scenarioName: string;
  provenance: Provenance;
  slo?: SloLimits;
}

export async function writeImportedRun(
  survey: ImportSurvey,
  requests: AsyncIterable<ImportedRequest>,
  { outDir, scenarioName, provenance, slo }: ImportedRunOptions,
): Promise<{ runId: string; dir: string }> {
  const { targets } = survey;
  const writer = createRunWriter(
    { scenarioName, targets, verdicts: [] },
    {
      outDir,
      runId: newRunId(`${scenarioName}-${provenance.runners[0]?.tool.name ?? 'import'}`),
      runner: '',
      segment: WHOLE,
      startedAt: survey.first,
      provenance,
    },
  );
  const probeStarts = new Map<string, number>();
  for (const [probe, stages] of survey.stages) {
    const probeStart = Math.min(...[...stages.values()].map((s) => s.first));
    probeStarts.set(probe, probeStart);
    const plans: StagePlan[] = [...stages].map(([name, span]) => {
      const durationMs = Math.max(1000, Math.ceil((span.last - span.first + 1) / 1000) * 1000);
      // The output holds what was sent, not the schedule asked for: the rate is the one observed.
      const rate = span.sent / targets.length / (durationMs / 1000);
      return { name, offsetMs: span.first - probeStart, durationMs, fromRate: rate, toRate: rate, targetRate: rate };
    });
    writer.record({ type: 'probe', probe, kind: 'load', targets, stages: plans, ...(slo && { slo }) });
    for (const p of plans)
      writer.record({ type: 'stage', probe, stage: p.name, at: probeStart + p.offsetMs, targetRate: p.targetRate, durationMs: p.durationMs });
  }

  const seconds = bySecond(probeStarts);
  let last: LoadSample | undefined;
  for await (const { sample, phases } of requests) {
    seconds.flushBefore(sample.intendedAt, writer.record);
    seconds.add(sample, phases);
    writer.record(sample);
    last = sample;
  }
  seconds.flushBefore(Infinity, writer.record);
  writer.writeTotals(seconds.totals);
  writer.close({ deadline: Date.now(), status: 'completed', endedAt: last?.intendedAt ?? survey.last });
  return { runId: writer.runId, dir: writer.dir };
}

/**
 * Ticks (per probe second) and interval histograms (per epoch second) of the requests seen,
 * each written once the requests, coming in start order, have passed its second.
 */
function bySecond(probeStarts: ReadonlyMap<string, number>) {
  const ticks = new Map<string, Tick>();
  const intervals = new Map<string, { span: IntervalSpan; histogram: Histogram }>();
  const totals = new HistogramSet();
  let flushedSecond = -Infinity;
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
  return {
    totals,
    add(s: LoadSample, phases: Record<string, number> | undefined) {
      if (s.ok && s.latencyMs !== undefined) record(s, 'latency', s.latencyMs);
      if (s.ok && s.uncorrectedLatencyMs !== undefined) record(s, 'uncorrected', s.uncorrectedLatencyMs);
      if (s.ok) for (const [metric, ms] of Object.entries(phases ?? {})) record(s, metric, ms);
      const start = probeStarts.get(s.probe)!;
      const second = Math.floor((s.intendedAt - start) / 1000);
      const key = JSON.stringify([s.probe, s.target, s.stage, second]);
      let tick = ticks.get(key);
      if (!tick) {
        tick = {
          type: 'tick',
          probe: s.probe,
          target: s.target,
          stage: s.stage,
          at: start + second * 1000,
          second,
          sent: 0,
          completed: 0,
          errors: 0,
          dropped: 0,
          inFlight: 0,
          instances: 0,
        };
        ticks.set(key, tick);
      }
      if (s.dropped) tick.dropped += 1;
      else {
        tick.sent += 1;
        tick.completed += 1;
        if (!s.ok) tick.errors += 1;
      }
    },
    /** Writes every tick and interval that ends at or before `time`; looks once a second of input. */
    flushBefore(time: number, write: (record: Tick | IntervalRecord) => void) {
      const second = Math.floor(time / 1000);
      if (second === flushedSecond) return;
      flushedSecond = second;
      const done = [...ticks].filter(([, tick]) => tick.at + 1000 <= time);
      for (const [key, tick] of done.sort((a, b) => a[1].at - b[1].at)) {
        write(tick);
        ticks.delete(key);
      }
      const closed = [...intervals].filter(([, entry]) => entry.span.endedAt <= time);
      for (const [key] of closed) intervals.delete(key);
      for (const interval of encodeIntervals(
        closed.map(([, entry]) => entry),
        totals,
      ).records)
        write(interval);
    },
  };
}

/** A request as a file holds it: `end` is when the tool wrote it (its files are in roughly that order); `line`, where. */
export interface ReadRequest extends ImportedRequest {
  end: number;
  line: number;
}

/**
 * A file's requests in start order. Tools write a request when it ends, so starts come out of
 * order by up to the longest duration: a request is held until every request that could still
 * start before it has been read (the longest duration seen, plus `slackMs` for the tool's
 * batching). Memory is the requests of that window; a request that comes later still (a file
 * out of time order) is refused with its place, never silently misplaced.
 */
export async function* inStartOrder(requests: AsyncIterable<ReadRequest>, file: string, slackMs = 1000): AsyncGenerator<ImportedRequest> {
  const buffer: ReadRequest[] = [];
  let head = 0;
  let lastEnd = -Infinity;
  let longest = 0;
  let released = -Infinity;
  for await (const request of requests) {
    const start = request.sample.intendedAt;
    if (start < released)
      throw new CbError(
        'CB_IMPORT_UNORDERED',
        `${file}:${request.line}: a request that started at ${new Date(start).toISOString()} comes after requests that started ${((released - start) / 1000).toFixed(1)} s later; the file is not in time order: sort it by time, or import its parts separately`,
      );
    lastEnd = Math.max(lastEnd, request.end);
    longest = Math.max(longest, request.end - start);
    let at = buffer.length;
    while (at > head && buffer[at - 1]!.sample.intendedAt > start) at -= 1;
    buffer.splice(at, 0, request);
    const safeBefore = lastEnd - longest - slackMs;
    while (head < buffer.length && buffer[head]!.sample.intendedAt < safeBefore) {
      released = buffer[head]!.sample.intendedAt;
      yield buffer[head++]!;
    }
    if (head > 4096 && head * 2 > buffer.length) {
      buffer.splice(0, head);
      head = 0;
    }
  }
  for (; head < buffer.length; head++) yield buffer[head]!;
}

/** Several files' requests, each in start order, as one sequence in start order (a k-way merge). */
export async function* mergedByStart(sources: ReadonlyArray<AsyncIterable<ImportedRequest>>): AsyncGenerator<ImportedRequest> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
  for (;;) {
    let first = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i]!;
      if (!head.done && (first < 0 || head.value.sample.intendedAt < (heads[first]!.value as ImportedRequest).sample.intendedAt)) first = i;
    }
    if (first < 0) return;
    yield heads[first]!.value as ImportedRequest;
    heads[first] = await iterators[first]!.next();
  }
}
