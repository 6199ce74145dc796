/** Which histograms a sample feeds. The one place that maps sample fields to stored metrics. */
import type { LoadSample, StoredSample, StreamCheckpoint, StreamSample } from '../model/records.js';
import type { HistogramKey } from '../model/histogram.js';

/** A successful load request's metrics and the fields they come from, in a fixed order (the hot path indexes them). */
export const LOAD_METRICS = [
  ['latency', 'latencyMs'],
  ['uncorrected', 'uncorrectedLatencyMs'],
  ['ttfb', 'ttfbMs'],
  ['lag', 'scheduleLagMs'],
] as const satisfies ReadonlyArray<readonly [string, keyof LoadSample]>;

/**
 * Latency histograms hold successful requests only (k6's `expected_response:true`): a fast
 * refusal must not make a percentile look better. Failures are counted in success rates.
 */
export function sampleMetrics(sample: StoredSample): Array<[HistogramKey, number]> {
  if (sample.type === 'checkpoint' || sample.kind === 'stream') return streamMetrics(sample);
  if (sample.kind === 'capacity') return [];
  const out: Array<[HistogramKey, number]> = [];
  const add = (stage: string, values: Record<string, number | undefined>) => {
    for (const [metric, ms] of Object.entries(values)) {
      if (ms !== undefined) out.push([{ target: sample.target, probe: sample.probe, stage, metric }, ms]);
    }
  };
  if (!sample.ok) return [];
  if (sample.kind === 'load') {
    add(sample.stage, Object.fromEntries(LOAD_METRICS.map(([metric, field]) => [metric, sample[field]])));
    return out;
  }
  if (sample.kind === 'flow') {
    add(flowHistogramStage(sample.step), { latency: sample.latencyMs, uncorrected: sample.uncorrectedLatencyMs, ttfb: sample.ttfbMs });
    return out;
  }
  if (sample.kind === 'idleSweep') {
    if (sample.cold !== 'unknown') add(idleGapStage(sample.gapMs), { [sample.cold ? 'cold' : 'warm']: sample.latencyMs });
    return out;
  }
  // A lane left out (it shares instances with another, or never answered) is not the service's figure.
  if (sample.laneDropped) return [];
  const values = {
    latency: sample.latencyMs,
    ttfb: sample.ttfbMs,
    dns: sample.phases.dns,
    connect: sample.phases.connect,
    tls: sample.phases.tls,
    journey: sample.journeyMs,
  };
  add(sample.request, values);
  if (sample.request === 'first' && sample.cold === true) add('cold', values);
  return out;
}

/** An idle sweep's histograms are per gap (cold and warm latency), in the histogram key's stage field. */
export const idleGapStage = (gapMs: number): string => `gap-${gapMs}ms`;

/** A flow's histograms are per step and for the whole flow, in the histogram key's stage field (step names are never "flow"). */
export const flowHistogramStage = (step: string | undefined): string => step ?? 'flow';

/**
 * First connections carry the opening figures; reconnects their own latency; each once,
 * from the checkpoint that carried them or else from the connection's sample. Every gap
 * counts, and each record carries its own.
 */
function streamMetrics(record: StreamSample | StreamCheckpoint): Array<[HistogramKey, number]> {
  const out: Array<[HistogramKey, number]> = [];
  const key = (metric: string) => ({ target: record.target, probe: record.probe, stage: 'stream', metric });
  const values = !carriesOpening(record)
    ? {}
    : record.attempt === 0
      ? { connect: record.connectMs, ttfb: record.ttfbMs, ttfe: record.timeToFirstEventMs }
      : { reconnect: record.reconnectMs };
  for (const [metric, ms] of Object.entries(values)) if (ms !== undefined) out.push([key(metric), ms]);
  for (const gap of record.gapsMs) out.push([key('gap'), gap]);
  return out;
}

/** Whether a record's opening figures (connect, first event, reconnect) count: a sample's only when no checkpoint carried them first. */
export function carriesOpening(record: StreamSample | StreamCheckpoint): boolean {
  return record.type === 'checkpoint' || !record.openingCheckpointed;
}

/** Epoch ms a sample belongs to, for histogram start/end times. */
export function sampleTime(sample: StoredSample): number {
  if (sample.type === 'checkpoint') return sample.at;
  return sample.startedAt ?? (sample.kind === 'load' ? sample.intendedAt : 0);
}
