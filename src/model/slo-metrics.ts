import type { SloLimits } from './records.js';

/** The latency percentiles a load SLO may limit, and the quantile each names. */
export const LATENCY_SLO_METRICS = ['p50', 'p75', 'p90', 'p95', 'p99', 'p999'] as const;

type LatencySloMetric = (typeof LATENCY_SLO_METRICS)[number];

export const quantileOf = (metric: LatencySloMetric): number => (metric === 'p999' ? 0.999 : Number(metric.slice(1)) / 100);

/** A step's median latency rising by this factor from its first second to its last… */
const BACKLOG_FACTOR = 1.5;
/** …and by at least this much, ms: below it, the rise is noise, not a queue. */
const BACKLOG_MIN_RISE_MS = 25;

/**
 * A capacity-search step whose latency kept rising was over capacity even if its SLO held
 * for the step's length: its queue grew, and a longer step would have broken it. Judged on
 * the median of each second (in order), which few slow requests do not move.
 */
export function growingBacklog(secondMediansMs: readonly number[]): boolean {
  if (secondMediansMs.length < 3) return false;
  const first = secondMediansMs[0]!;
  const last = secondMediansMs.at(-1)!;
  return last > first * BACKLOG_FACTOR && last - first > BACKLOG_MIN_RISE_MS;
}

/** A client delay p99 above this share of what a verdict compares may have caused the result. */
export const MAX_CLIENT_DELAY_SHARE = 0.1;

/** The tightest latency limit of an SLO, with its name, e.g. `{ metric: 'p95', limitMs: 500 }`. */
export function tightestLatencyLimit(slo: SloLimits | undefined): { metric: LatencySloMetric; limitMs: number } | undefined {
  let tightest: { metric: LatencySloMetric; limitMs: number } | undefined;
  for (const metric of LATENCY_SLO_METRICS) {
    const limit = slo?.[metric];
    if (limit && (!tightest || limit.value < tightest.limitMs)) tightest = { metric, limitMs: limit.value };
  }
  return tightest;
}
