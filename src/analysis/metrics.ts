/**
 * The comparable metrics of one target in a stored run: the raw values behind each figure
 * (a seeded reservoir when there were more than it holds), with the statistic the figure
 * reports. Compare and relative criteria both read these.
 */
import { coldstartSamples } from './coldstart.js';
import { RESERVOIR_SIZE, type Reservoir } from './reservoir.js';
import type { StoredRun } from './stored-run.js';
import type { Statistic } from './stats.js';

export interface MetricValues {
  values: readonly number[];
  statistic: Statistic;
  /** Values measured; more than `values.length` when `values` is a reservoir of them. */
  count: number;
}

export function comparableMetrics(run: Pick<StoredRun, 'coldstart' | 'load' | 'streams'>, target: string): Map<string, MetricValues> {
  const metrics = new Map<string, MetricValues>();
  const add = (name: string, statistic: Statistic, values: readonly number[], count = values.length) => {
    if (values.length > 0) metrics.set(name, { values, statistic, count });
  };
  const addReservoir = (name: string, statistic: Statistic, reservoir: Reservoir) => add(name, statistic, reservoir.values, reservoir.seen);

  const mine = coldstartSamples(run.coldstart, target).filter((s) => s.ok);
  const firsts = mine.filter((s) => s.request === 'first');
  add(
    'coldStart.latency.p50',
    'p50',
    firsts.map((s) => s.latencyMs),
  );
  add(
    'coldStart.ttfb.p50',
    'p50',
    firsts.flatMap((s) => s.ttfbMs ?? []),
  );
  add(
    'coldStart.warmTtfb.p50',
    'p50',
    mine.filter((s) => s.request === 'warm').flatMap((s) => s.ttfbMs ?? []),
  );

  for (const data of run.load.values()) {
    if (data.target !== target) continue;
    for (const statistic of ['p50', 'p95', 'p99'] as const) addReservoir(`load.${data.stage}.latency.${statistic}`, statistic, data.latency);
  }
  for (const data of run.streams.values()) {
    if (data.target !== target) continue;
    addReservoir('stream.timeToFirstEvent.p95', 'p95', data.timeToFirstEvent);
    addReservoir('stream.gap.p99', 'p99', data.gaps);
  }
  return metrics;
}

/** Said beside a statistic computed from a reservoir, so a reader knows it is an estimate. */
export function reservoirNote(metric: MetricValues): string {
  return metric.count > metric.values.length ? ` (from a seeded reservoir of ${RESERVOIR_SIZE} of ${metric.count} values)` : '';
}
