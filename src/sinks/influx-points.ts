/**
 * What coldbench writes to InfluxDB: aggregated points from the same records the run store
 * keeps, one function for the live sink and for `export influx`, so a backfill writes exactly
 * what the live run would have. Tags are few and bounded (never a URL, never an instance id);
 * every point carries the run id and the runner. Same measurement, tags and timestamp
 * overwrite in InfluxDB, so writing a run twice changes nothing.
 */
import { decodeHistogram, usToMs } from '../model/histogram.js';
import type { ColdstartSample, IdleSweepSample, IntervalRecord, RunRecord } from '../model/records.js';
import { formatMs } from '../model/units.js';
import type { Summary } from '../model/summary.js';

export interface InfluxPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  /** Epoch ms, whole: points are written at millisecond precision. */
  timestamp: number;
}

/** The schema, as the README documents it and the dashboard tests check their queries against. */
export const INFLUX_SCHEMA = {
  /** On every point, beside the user's `--tag`s. */
  commonTags: ['run_id', 'scenario', 'runner'],
  measurements: {
    coldbench_load: { tags: ['target', 'probe', 'stage'], fields: ['sent', 'completed', 'errors', 'dropped', 'in_flight', 'instances', 'target_rate'] },
    coldbench_latency: { tags: ['target', 'probe', 'stage', 'metric'], fields: ['count', 'p50', 'p90', 'p95', 'p99', 'max'] },
    coldbench_errors: { tags: ['target', 'probe', 'stage', 'class'], fields: ['count'] },
    coldbench_stream: { tags: ['target', 'probe'], fields: ['open', 'opened', 'events', 'drops'] },
    coldbench_coldstart: { tags: ['target', 'probe'], fields: ['latency', 'ttfb', 'dns', 'connect', 'tls', 'cold', 'ok', 'status', 'round', 'instance_id'] },
    coldbench_verdict: { tags: ['check', 'verdict', 'status'], fields: ['status', 'observed', 'threshold', 'ci_low', 'ci_high', 'samples'] },
    coldbench_summary: { tags: ['target', 'probe', 'stage', 'metric'], fields: ['count', 'p50', 'p95', 'p99', 'value', 'ci_low', 'ci_high'] },
    coldbench_idle: { tags: ['target', 'probe', 'gap'], fields: ['gap_ms', 'quiet_ms', 'latency', 'cold', 'ok'] },
  },
} as const;

/**
 * Turns records, in the order they land (or are stored), into points. Load errors are folded
 * into one point per second of completion × target × probe × stage × class: a second is
 * written once it is over, so its count is final.
 */
export interface PointBuilder {
  add(record: RunRecord): InfluxPoint[];
  /** The error seconds still open. */
  finish(): InfluxPoint[];
}

export function pointBuilder(): PointBuilder {
  const targetRates = new Map<string, number>();
  const errorSeconds = new Map<string, InfluxPoint>();
  const drainErrors = (beforeMs: number) => {
    const out: InfluxPoint[] = [];
    for (const [key, point] of errorSeconds) {
      if (point.timestamp + 1000 > beforeMs) continue;
      out.push(point);
      errorSeconds.delete(key);
    }
    return out;
  };
  const countError = (record: Extract<RunRecord, { kind: 'load' }>) => {
    const timestamp = Math.floor((record.intendedAt + (record.latencyMs ?? 0)) / 1000) * 1000;
    const tags = { target: record.target, probe: record.probe, stage: record.stage, class: record.error!.class };
    const key = JSON.stringify([timestamp, tags]);
    const point = errorSeconds.get(key) ?? { measurement: 'coldbench_errors', tags, fields: { count: 0 }, timestamp };
    point.fields.count = (point.fields.count as number) + 1;
    errorSeconds.set(key, point);
  };

  return {
    add: (record) => roundTimes(pointsOfRecord(record)),
    finish: () => drainErrors(Infinity),
  };

  function pointsOfRecord(record: RunRecord): InfluxPoint[] {
    switch (record.type) {
      case 'stage':
        targetRates.set(JSON.stringify([record.probe, record.stage]), record.targetRate);
        return [];
      case 'tick': {
        const { target, probe, stage, sent, completed, errors, dropped, inFlight, instances } = record;
        const fields: InfluxPoint['fields'] = { sent, completed, errors, dropped, in_flight: inFlight, instances };
        const targetRate = targetRates.get(JSON.stringify([probe, stage]));
        if (targetRate !== undefined) fields.target_rate = targetRate;
        return [{ measurement: 'coldbench_load', tags: { target, probe, stage }, fields, timestamp: record.at }, ...drainErrors(record.at)];
      }
      case 'stream-tick': {
        const { target, probe, open, opened, events, drops } = record;
        return [{ measurement: 'coldbench_stream', tags: { target, probe }, fields: { open, opened, events, drops }, timestamp: record.at }];
      }
      case 'interval':
        return [latencyPoint(record)];
      case 'sample':
        if (record.kind === 'load' && !record.ok && record.error) countError(record);
        if (record.kind === 'idleSweep') return [idlePoint(record)];
        return record.kind === 'coldstart' && record.request === 'first' ? [coldstartPoint(record)] : [];
      default:
        return [];
    }
  }
}

function roundTimes(points: InfluxPoint[]): InfluxPoint[] {
  for (const point of points) point.timestamp = Math.round(point.timestamp);
  return points;
}

function coldstartPoint(record: ColdstartSample): InfluxPoint {
  const fields: InfluxPoint['fields'] = { ok: record.ok, round: record.round, latency: record.latencyMs };
  const optional = { ttfb: record.ttfbMs, dns: record.phases.dns, connect: record.phases.connect, tls: record.phases.tls, status: record.status };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) fields[name] = value;
  if (record.cold !== 'unknown') fields.cold = record.cold;
  if (record.instance?.id !== undefined) fields.instance_id = record.instance.id;
  return { measurement: 'coldbench_coldstart', tags: { target: record.target, probe: record.probe }, fields, timestamp: record.startedAt };
}

function idlePoint(record: IdleSweepSample): InfluxPoint {
  const fields: InfluxPoint['fields'] = { gap_ms: record.gapMs, quiet_ms: record.quietMs, latency: record.latencyMs, ok: record.ok };
  if (record.cold !== 'unknown') fields.cold = record.cold;
  return {
    measurement: 'coldbench_idle',
    tags: { target: record.target, probe: record.probe, gap: formatMs(record.gapMs) },
    fields,
    timestamp: record.startedAt,
  };
}

function latencyPoint(interval: IntervalRecord): InfluxPoint {
  const histogram = decodeHistogram(interval.histogram);
  const at = (p: number) => usToMs(histogram.getValueAtPercentile(p));
  const { target, probe, stage, metric } = interval;
  return {
    measurement: 'coldbench_latency',
    tags: { target, probe, stage, metric },
    fields: { count: interval.count, p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: at(100) },
    timestamp: interval.startedAt,
  };
}

/** The judged run: a point per verdict and per headline figure, at the run's end, for trends across runs. */
export function summaryPoints(summary: Summary): InfluxPoint[] {
  const timestamp = Date.parse(summary.endedAt ?? summary.startedAt);
  // Milliseconds already: an ISO date has no finer part.
  const points: InfluxPoint[] = summary.verdicts.map((v) => ({
    measurement: 'coldbench_verdict',
    tags: { check: v.id, verdict: v.title, status: v.status },
    fields: {
      status: v.status,
      threshold: v.threshold,
      samples: Object.values(v.samples).reduce((a, b) => a + b, 0),
      ...(v.observed !== null && { observed: v.observed }),
      ...(v.ci && { ci_low: v.ci.low, ci_high: v.ci.high }),
    },
    timestamp,
  }));
  const distributionPoint = (
    target: string,
    probe: string,
    stage: string,
    metric: string,
    d: { count: number; p50: number; p95: number; p99: number } | null,
  ) =>
    d &&
    points.push({
      measurement: 'coldbench_summary',
      tags: { target, probe, stage, metric },
      fields: { count: d.count, p50: d.p50, p95: d.p95, p99: d.p99 },
      timestamp,
    });
  for (const [target, figures] of Object.entries(summary.targets)) {
    if (figures.coldStart) distributionPoint(target, figures.coldStart.probe, 'first', 'latency', figures.coldStart.latencyMs);
    for (const [stage, load] of Object.entries(figures.load ?? {})) {
      distributionPoint(target, load.probe, stage, 'latency', load.latencyMs);
      points.push({
        measurement: 'coldbench_summary',
        tags: { target, probe: load.probe, stage, metric: 'achieved_rate' },
        fields: { value: load.achievedRate, count: load.requests },
        timestamp,
      });
    }
    // One point per gap: the gap is its stage tag.
    for (const gap of figures.idleSweep?.gaps ?? []) {
      if (gap.coldShare === null) continue;
      points.push({
        measurement: 'coldbench_summary',
        tags: { target, probe: figures.idleSweep!.probe, stage: formatMs(gap.gapMs), metric: 'cold_share' },
        fields: { value: gap.coldShare, count: gap.cold + gap.warm, ci_low: gap.coldShareLow!, ci_high: gap.coldShareHigh! },
        timestamp,
      });
    }
    // What a capacity search found: the highest rate the SLO held at, and per instance.
    const search = figures.capacitySearch;
    if (search?.heldRate != null) {
      points.push({
        measurement: 'coldbench_summary',
        tags: { target, probe: search.probe, stage: search.heldStage!, metric: 'capacity' },
        fields: {
          value: search.heldRate,
          count: search.steps.length,
          ...(search.rpsPerInstance !== null && { per_instance: search.rpsPerInstance, instances: search.instances! }),
          ...(search.brokenRate !== null && { broken: search.brokenRate }),
        },
        timestamp,
      });
    }
    const stream = figures.stream;
    if (stream?.survival !== null && stream) {
      points.push({
        measurement: 'coldbench_summary',
        tags: { target, probe: stream.probe, stage: 'stream', metric: 'survival' },
        fields: { value: stream.survival, count: stream.connections },
        timestamp,
      });
    }
  }
  return points;
}
