/**
 * The comparable metrics of one target in a stored run: the raw values behind each figure,
 * with the statistic the figure reports. Compare and relative criteria both read these.
 */
import type { ColdstartSample, LoadSample, StreamSample } from '../model/records.js';
import type { StoredRun } from '../store/run-dir.js';
import type { Statistic } from './stats.js';

export interface MetricValues {
  values: number[];
  statistic: Statistic;
}

export function comparableMetrics(run: Pick<StoredRun, 'samples'>, target: string): Map<string, MetricValues> {
  const metrics = new Map<string, MetricValues>();
  const add = (name: string, statistic: Statistic, values: number[]) => {
    if (values.length > 0) metrics.set(name, { values, statistic });
  };
  const mine = run.samples.filter((s) => 'target' in s && s.target === target);

  const firsts = mine.filter((s): s is ColdstartSample => s.kind === 'coldstart' && s.request === 'first' && s.ok);
  const warm = mine.filter((s): s is ColdstartSample => s.kind === 'coldstart' && s.request === 'warm' && s.ok);
  add('coldStart.latency.p50', 'p50', firsts.map((s) => s.latencyMs));
  add('coldStart.ttfb.p50', 'p50', firsts.flatMap((s) => s.ttfbMs ?? []));
  add('coldStart.warmTtfb.p50', 'p50', warm.flatMap((s) => s.ttfbMs ?? []));

  const load = mine.filter((s): s is LoadSample => s.kind === 'load' && s.ok && s.latencyMs !== undefined);
  for (const stage of new Set(load.map((s) => s.stage))) {
    const latencies = load.filter((s) => s.stage === stage).map((s) => s.latencyMs!);
    for (const statistic of ['p50', 'p95', 'p99'] as const) add(`load.${stage}.latency.${statistic}`, statistic, latencies);
  }

  const streams = mine.filter((s): s is StreamSample => s.kind === 'stream');
  add('stream.timeToFirstEvent.p95', 'p95', streams.flatMap((s) => (s.attempt === 0 && s.timeToFirstEventMs !== undefined ? [s.timeToFirstEventMs] : [])));
  add('stream.gap.p99', 'p99', streams.flatMap((s) => s.gapsMs));
  return metrics;
}
