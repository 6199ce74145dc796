/** Which histograms a sample feeds. The one place that maps sample fields to stored metrics. */
import type { Sample } from '../model/records.js';
import type { HistogramKey } from '../model/histogram.js';

/**
 * Latency histograms hold successful requests only (k6's `expected_response:true`): a fast
 * refusal must not make a percentile look better. Failures are counted in success rates.
 */
export function sampleMetrics(sample: Sample): Array<[HistogramKey, number]> {
  if (sample.kind === 'capacity') return [];
  const out: Array<[HistogramKey, number]> = [];
  const add = (stage: string, values: Record<string, number | undefined>) => {
    for (const [metric, ms] of Object.entries(values)) {
      if (ms !== undefined) out.push([{ target: sample.target, probe: sample.probe, stage, metric }, ms]);
    }
  };
  if (sample.kind === 'stream') {
    // First connections carry the opening figures; reconnects their own latency. Every gap counts.
    if (sample.attempt === 0) add('stream', { connect: sample.connectMs, ttfb: sample.ttfbMs, ttfe: sample.timeToFirstEventMs });
    else add('stream', { reconnect: sample.reconnectMs });
    for (const gap of sample.gapsMs) out.push([{ target: sample.target, probe: sample.probe, stage: 'stream', metric: 'gap' }, gap]);
    return out;
  }
  if (!sample.ok) return [];
  if (sample.kind === 'load') {
    add(sample.stage, {
      latency: sample.latencyMs,
      uncorrected: sample.uncorrectedLatencyMs,
      ttfb: sample.ttfbMs,
      lag: sample.scheduleLagMs,
    });
    return out;
  }
  const values = { latency: sample.latencyMs, ttfb: sample.ttfbMs, dns: sample.phases.dns, connect: sample.phases.connect, tls: sample.phases.tls };
  add(sample.request, values);
  if (sample.request === 'first' && sample.cold === true) add('cold', values);
  return out;
}

/** Epoch ms a sample belongs to, for histogram start/end times. */
export function sampleTime(sample: Sample): number {
  return sample.startedAt ?? (sample.kind === 'load' ? sample.intendedAt : 0);
}
