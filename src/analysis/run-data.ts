/**
 * A stored run read once, line by line, into streaming accumulators (`add` per record):
 * counts, sets bounded by instances and streams, seeded reservoirs for the statistics that
 * need raw values, histogram totals and windows from the interval log. Memory depends on
 * targets, stages, seconds and streams, not on the number of requests. Probes, targets,
 * stages and SLOs come from the stored records, never from the scenario.
 */
import { decodeHistogram, newHistogram, usToMs, type Histogram, type HistogramKey } from '../model/histogram.js';
import type { ProbeKind } from '../model/probe-kinds.js';
import {
  CLIENT_TARGET,
  type CapacitySample,
  type Sample,
  type ColdstartSample,
  type LoadSample,
  type ProbeDeclared,
  type SeriesRecord,
  type StreamCheckpoint,
  type StreamSample,
} from '../model/records.js';
import { RUN_FILES } from '../model/files.js';
import { HistogramSet } from '../store/histograms.js';
import { openRunDirectory, readIntervals, readSamples, readSeries, type RunDirectory } from '../store/run-dir.js';
import { carriesOpening, sampleMetrics, sampleTime } from '../store/sample-metrics.js';
import { newReservoir, type Reservoir } from './reservoir.js';
import { LATENCY_SLO_METRICS, quantileOf, SLO_WINDOW_MS, type LatencyWindow } from './slo.js';

export interface LoadStageData {
  probe: string;
  target: string;
  stage: string;
  /** Due requests: sent plus dropped. */
  due: number;
  sent: number;
  successes: number;
  dropped: number;
  errorsByClass: Record<string, number>;
  lastDueAt: number;
  /** Instance id → epoch ms it first answered in this stage. */
  instances: Map<string, number>;
  /** Corrected latency of successful requests. */
  latency: Reservoir;
}

export interface StreamAttempt {
  attempt: number;
  outcome: StreamSample['outcome'];
  startedAt: number;
  endedAfterMs: number;
  cause?: string;
}

export interface StreamData {
  probe: string;
  target: string;
  /** Stream number → its connections. */
  streams: Map<number, StreamAttempt[]>;
  events: number;
  lost: number;
  duplicates: number;
  malformed: number;
  reconnects: number;
  reconnectsToNewInstance: number;
  droppedByCause: Record<string, number>;
  instances: Set<string>;
  timeToFirstEvent: Reservoir;
  gaps: Reservoir;
}

export interface StoredRun extends RunDirectory {
  probes: ProbeDeclared[];
  /** Ticks, stage starts, aborts, stream ticks and client ticks, in file order. */
  series: Exclude<SeriesRecord, ProbeDeclared>[];
  /** Whole-run histograms per target × probe × stage × metric. */
  histograms: HistogramSet;
  /** Per load stage (probe/target/stage key): p95 of each interval, for the timeline. */
  seconds: Map<string, Array<{ at: number; count: number; p95Ms: number }>>;
  /** Per load stage: 10-second windows; undefined when the interval log is missing. */
  windows: Map<string, LatencyWindow[]> | undefined;
  coldstart: ColdstartSample[];
  capacity: CapacitySample[];
  load: Map<string, LoadStageData>;
  streams: Map<string, StreamData>;
}

// JSON arrays: names may hold any character.
export const stageKey = (probe: string, target: string, stage: string) => JSON.stringify([probe, target, stage]);
export const streamKey = (probe: string, target: string) => JSON.stringify([probe, target]);
/** A stage of a probe, across its targets: where its start is found. */
const stageStartKey = (record: { probe: string; stage: string }) => JSON.stringify([record.probe, record.stage]);

export function loadRun(dir: string): StoredRun {
  const run: StoredRun = {
    ...openRunDirectory(dir),
    probes: [],
    series: [],
    histograms: new HistogramSet(),
    seconds: new Map(),
    windows: new Map(),
    coldstart: [],
    capacity: [],
    load: new Map(),
    streams: new Map(),
  };
  readSeries(run, (record) => (record.type === 'probe' ? run.probes.push(record) : run.series.push(record)));

  const stageStarts = new Map<string, number>();
  for (const record of run.series) if (record.type === 'stage') stageStarts.set(stageStartKey(record), record.at);
  const windows = windowAccumulator(run, stageStarts);
  // After a crash the interval log ends up to a second before samples.jsonl (its last
  // interval was never closed): the totals then come from the samples, the ground truth.
  const crashed = run.manifest.status === 'running';
  const logged = readIntervals(run, (interval, histogram) => {
    if (!crashed) run.histograms.addInterval(interval, histogram);
    if (interval.metric === 'latency' && stageStarts.has(stageStartKey(interval))) windows.add(interval, histogram);
  });
  windows.close();
  if (!logged) run.windows = undefined;
  const fromLog = logged && !crashed;
  if (logged && crashed)
    run.incomplete.push(`histograms rebuilt from ${RUN_FILES.samples}: the interval log of a run that did not finish misses its last second`);

  // The last checkpoint of each connection not yet ended: what a crash leaves of it.
  const open = new Map<string, StreamCheckpoint>();
  const connectionKey = (r: StreamSample | StreamCheckpoint) => JSON.stringify([r.probe, r.target, r.stream, r.attempt]);
  if (!fromLog) {
    for (const tick of run.series) {
      if (tick.type === 'client')
        run.histograms.merge(
          { target: CLIENT_TARGET, probe: tick.probe, stage: tick.stage, metric: 'loop' },
          decodeHistogram(tick.loopDelayHistogram),
          tick.startedAt,
          tick.endedAt,
        );
    }
  }
  readSamples(run, (sample) => {
    if (!fromLog) {
      if (sample.type === 'sample' && sample.kind === 'capacity')
        run.histograms.merge(
          { target: sample.target, probe: sample.probe, stage: 'capacity', metric: 'latency' },
          decodeHistogram(sample.latencyHistogram),
          sample.startedAt,
          sample.endedAt,
        );
      for (const [key, ms] of sampleMetrics(sample)) run.histograms.record(key, ms, sampleTime(sample));
    }
    if (sample.type === 'checkpoint') {
      addGapsAndOpening(streamData(run, sample), sample);
      open.set(connectionKey(sample), { ...sample, gapsMs: [] });
      return;
    }
    if (sample.kind === 'stream') open.delete(connectionKey(sample));
    (ACCUMULATORS[sample.kind] as (run: StoredRun, sample: Sample) => void)(run, sample);
  });
  for (const checkpoint of open.values()) addStream(run, interruptedAt(checkpoint));
  return run;
}

/** Where each probe kind's samples go in the stored run. */
const ACCUMULATORS: { [K in ProbeKind]: (run: StoredRun, sample: Extract<Sample, { kind: K }>) => void } = {
  coldstart: (run, sample) => run.coldstart.push(sample),
  capacity: (run, sample) => run.capacity.push(sample),
  load: addLoad,
  stream: addStream,
};

function addLoad(run: StoredRun, sample: LoadSample): void {
  const key = stageKey(sample.probe, sample.target, sample.stage);
  let data = run.load.get(key);
  if (!data) {
    data = {
      probe: sample.probe,
      target: sample.target,
      stage: sample.stage,
      due: 0,
      sent: 0,
      successes: 0,
      dropped: 0,
      errorsByClass: {},
      lastDueAt: -Infinity,
      instances: new Map(),
      latency: newReservoir(),
    };
    run.load.set(key, data);
  }
  data.due += 1;
  data.lastDueAt = Math.max(data.lastDueAt, sample.intendedAt);
  if (sample.dropped) {
    data.dropped += 1;
    return;
  }
  data.sent += 1;
  if (sample.ok) {
    data.successes += 1;
    if (sample.latencyMs !== undefined) data.latency.add(sample.latencyMs);
  } else if (sample.error) {
    data.errorsByClass[sample.error.class] = (data.errorsByClass[sample.error.class] ?? 0) + 1;
  }
  if (sample.instanceId !== undefined && sample.latencyMs !== undefined) {
    const answeredAt = sample.intendedAt + sample.latencyMs;
    const first = data.instances.get(sample.instanceId);
    if (first === undefined || answeredAt < first) data.instances.set(sample.instanceId, answeredAt);
  }
}

function streamData(run: StoredRun, sample: StreamSample | StreamCheckpoint): StreamData {
  const key = streamKey(sample.probe, sample.target);
  let data = run.streams.get(key);
  if (!data) {
    data = {
      probe: sample.probe,
      target: sample.target,
      streams: new Map(),
      events: 0,
      lost: 0,
      duplicates: 0,
      malformed: 0,
      reconnects: 0,
      reconnectsToNewInstance: 0,
      droppedByCause: {},
      instances: new Set(),
      timeToFirstEvent: newReservoir(),
      gaps: newReservoir(),
    };
    run.streams.set(key, data);
  }
  return data;
}

/** Gaps come with every record; the first event's time once, with the record that carried it. */
function addGapsAndOpening(data: StreamData, record: StreamSample | StreamCheckpoint): void {
  if (carriesOpening(record) && record.attempt === 0 && record.timeToFirstEventMs !== undefined) data.timeToFirstEvent.add(record.timeToFirstEventMs);
  for (const gap of record.gapsMs) data.gaps.add(gap);
}

/** A connection a crash left open, as far as its last checkpoint: interrupted, not dropped. */
function interruptedAt(checkpoint: StreamCheckpoint): StreamSample {
  const { type: _type, checkpoint: count, at, ...progress } = checkpoint;
  return {
    ...progress,
    type: 'sample',
    kind: 'stream',
    endedAfterMs: at - checkpoint.startedAt,
    outcome: 'interrupted',
    checkpoints: count,
    openingCheckpointed: true,
  };
}

function addStream(run: StoredRun, sample: StreamSample): void {
  const data = streamData(run, sample);
  const attempts = data.streams.get(sample.stream) ?? [];
  attempts.push({
    attempt: sample.attempt,
    outcome: sample.outcome,
    startedAt: sample.startedAt,
    endedAfterMs: sample.endedAfterMs,
    ...(sample.cause !== undefined && { cause: sample.cause }),
  });
  data.streams.set(sample.stream, attempts);
  data.events += sample.events;
  data.lost += sample.lost;
  data.duplicates += sample.duplicates;
  data.malformed += sample.malformed;
  if (sample.attempt > 0) data.reconnects += 1;
  if (sample.newInstance === true) data.reconnectsToNewInstance += 1;
  if (sample.outcome === 'dropped') data.droppedByCause[sample.cause ?? 'unknown'] = (data.droppedByCause[sample.cause ?? 'unknown'] ?? 0) + 1;
  if (sample.instanceId !== undefined) data.instances.add(sample.instanceId);
  addGapsAndOpening(data, sample);
}

/**
 * Adds a load stage's latency intervals into 10-second windows from the stage start (by the
 * interval's start) and into per-second points; one live histogram per stage, since the log
 * is in time order.
 */
function windowAccumulator(run: StoredRun, stageStarts: Map<string, number>) {
  const open = new Map<string, { index: number; histogram: Histogram }>();
  const finish = (key: string) => {
    const entry = open.get(key);
    if (!entry || entry.histogram.totalCount === 0) return;
    const percentiles: Record<string, number> = {};
    for (const metric of LATENCY_SLO_METRICS) percentiles[metric] = usToMs(entry.histogram.getValueAtPercentile(quantileOf(metric) * 100));
    const list = run.windows!.get(key) ?? [];
    list.push({ index: entry.index, count: entry.histogram.totalCount, percentiles });
    run.windows!.set(key, list);
    entry.histogram.reset();
  };
  return {
    add(interval: HistogramKey & { startedAt: number }, histogram: Histogram) {
      const key = stageKey(interval.probe, interval.target, interval.stage);
      const start = stageStarts.get(stageStartKey(interval))!;
      const index = Math.max(0, Math.floor((interval.startedAt - start) / SLO_WINDOW_MS));
      let entry = open.get(key);
      if (entry && entry.index !== index) finish(key);
      if (!entry) open.set(key, (entry = { index, histogram: newHistogram() }));
      entry.index = index;
      entry.histogram.add(histogram);
      const seconds = run.seconds.get(key) ?? [];
      seconds.push({ at: interval.startedAt, count: histogram.totalCount, p95Ms: usToMs(histogram.getValueAtPercentile(95)) });
      run.seconds.set(key, seconds);
    },
    close() {
      for (const key of open.keys()) finish(key);
    },
  };
}
