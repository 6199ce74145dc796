/** Which histograms a sample feeds. The one place that maps sample fields to stored metrics. */
import type { Sample } from '../runner/records.js';
import type { HistogramKey } from './histograms.js';

export function sampleMetrics(sample: Sample): Array<[HistogramKey, number]> {
  if (!sample.ok) return [];
  const out: Array<[HistogramKey, number]> = [];
  const stages = sample.request === 'first' && sample.cold === true ? [sample.request, 'cold'] : [sample.request];
  const values: Record<string, number | undefined> = {
    latency: sample.latencyMs,
    ttfb: sample.ttfbMs,
    dns: sample.phases.dns,
    connect: sample.phases.connect,
    tls: sample.phases.tls,
  };
  for (const stage of stages) {
    for (const [metric, ms] of Object.entries(values)) {
      if (ms !== undefined) out.push([{ target: sample.target, probe: sample.probe, stage, metric }, ms]);
    }
  }
  return out;
}
