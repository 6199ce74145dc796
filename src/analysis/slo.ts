/**
 * SLO checks of one target in one load stage. A pass needs a confidence bound that meets the
 * limit; a fail needs the point estimate to miss it; between is inconclusive; nothing
 * measured is no-data, which never passes.
 */
import type { Comparison, SloLimits } from '../model/records.js';
import { compare, formatMs } from '../model/units.js';
import { LATENCY_SLO_METRICS, quantileOf } from '../model/slo-metrics.js';
import { usToMs, type Histogram } from '../model/histogram.js';
import { quantileUpperBoundRank, successRatioLowerBound } from './binomial.js';
import { round3 } from './stats.js';
import type { SloCheck } from '../model/summary.js';

const CONFIDENCE = 0.95;
/** Every window of this length must meet a latency SLO too: a stall must not hide in a long average. */
export const SLO_WINDOW_MS = 10_000;

/** One 10-second window of one stage's corrected latency (from the interval log). */
export interface LatencyWindow {
  index: number;
  count: number;
  /** ms by SLO metric name (p50 … p999). */
  percentiles: Record<string, number>;
}

export interface StageData {
  sent: number;
  successes: number;
  /** Corrected latency of successful requests, or, where `uncorrected` says why, latency from the send. */
  latency: Histogram | undefined;
  /** The stage's 10-second windows of that latency; undefined when they could not be read (no interval log). */
  windows: readonly LatencyWindow[] | undefined;
  /** Why the latency is from the send, e.g. "k6 records no intended send time": every latency check then says so. */
  uncorrected?: string;
}

export function checkSlos(slo: SloLimits | undefined, data: StageData): SloCheck[] {
  if (!slo) return [];
  const checks: SloCheck[] = [];
  if (slo.successRate) checks.push(checkRatio('successRate', slo.successRate, data.successes, data.sent, 'succeeded'));
  for (const metric of LATENCY_SLO_METRICS) {
    const limit = slo[metric];
    if (!limit) continue;
    const check = checkPercentile(metric, quantileOf(metric), limit, data.latency, data.windows && windowsMissing(metric, limit, data.windows));
    checks.push(
      data.uncorrected
        ? { ...check, metric: `${metric} uncorrected`, detail: `${data.uncorrected}; latency from the send: ${check.detail}`, uncorrected: true }
        : check,
    );
  }
  return checks;
}

/** A ratio floor (success rate, stream survival): pass on the Clopper–Pearson lower bound, fail on the observed ratio. */
export function checkRatio(metric: string, limit: { op: Comparison; value: number }, successes: number, trials: number, verb: string): SloCheck {
  const base = { metric, limit: `${limit.op} ${round3(limit.value * 100)}%`, samples: trials };
  if (trials === 0) return { ...base, status: 'no-data', observed: null, bound: null, detail: 'nothing was measured' };
  const observed = successes / trials;
  const bound = successRatioLowerBound(successes, trials, CONFIDENCE);
  const pct = (x: number) => `${round3(x * 100)}%`;
  const status = !compare(observed, limit.op, limit.value) ? 'fail' : compare(bound, limit.op, limit.value) ? 'pass' : 'inconclusive';
  const detail =
    status === 'inconclusive'
      ? `${successes}/${trials} ${verb} (${pct(observed)}), but the 95% lower bound ${pct(bound)} does not show ${base.limit}: more samples needed`
      : `${successes}/${trials} ${verb} (${pct(observed)}); 95% lower bound ${pct(bound)}`;
  return { ...base, status, observed: round3(observed), bound: round3(bound), detail };
}

/**
 * A percentile ceiling: pass on the distribution-free 95% upper bound (and every window),
 * fail on the point estimate (or any window's).
 */
export function checkPercentile(
  metric: string,
  q: number,
  limit: { op: Comparison; value: number },
  histogram: Histogram | undefined,
  /** Windows whose own percentile misses the limit, when the check is windowed. */
  badWindows?: string[],
): SloCheck {
  const n = histogram?.totalCount ?? 0;
  const base = { metric, limit: `${limit.op} ${formatMs(limit.value)}`, samples: n };
  if (!histogram || n === 0) return { ...base, status: 'no-data', observed: null, bound: null, detail: 'nothing was measured' };
  const observed = round3(usToMs(histogram.getValueAtPercentile(q * 100)));
  const rank = quantileUpperBoundRank(n, q, CONFIDENCE);
  // Asking for the percentile half a rank below r makes HDR return exactly the r-th value.
  const bound = rank === undefined ? null : round3(usToMs(histogram.getValueAtPercentile((100 * (rank - 0.5)) / n)));
  if (!compare(observed, limit.op, limit.value)) {
    return { ...base, status: 'fail', observed, bound, detail: `${metric} ${formatMs(observed)} over ${n} requests misses ${base.limit}` };
  }
  if (badWindows && badWindows.length > 0) {
    return {
      ...base,
      status: 'fail',
      observed,
      bound,
      detail: `${metric} meets ${base.limit} overall (${formatMs(observed)}) but not in ${badWindows.join(', ')}`,
    };
  }
  if (bound === null) {
    return { ...base, status: 'inconclusive', observed, bound, detail: `${n} requests are too few for a 95% upper bound of ${metric}` };
  }
  if (!compare(bound, limit.op, limit.value)) {
    return {
      ...base,
      status: 'inconclusive',
      observed,
      bound,
      detail: `${metric} ${formatMs(observed)} meets ${base.limit}, but its 95% upper bound ${formatMs(bound)} does not`,
    };
  }
  const windows = badWindows ? `, every ${SLO_WINDOW_MS / 1000}s window meets it` : '';
  return {
    ...base,
    status: 'pass',
    observed,
    bound,
    detail: `${metric} ${formatMs(observed)}, 95% upper bound ${formatMs(bound)} (rank ${rank} of ${n})${windows}`,
  };
}

/** Names of the 10-second windows whose own percentile misses the limit. */
function windowsMissing(metric: (typeof LATENCY_SLO_METRICS)[number], limit: { op: Comparison; value: number }, windows: readonly LatencyWindow[]): string[] {
  return windows
    .filter((window) => !compare(window.percentiles[metric]!, limit.op, limit.value))
    .map(
      ({ index, count, percentiles }) =>
        `window ${(index * SLO_WINDOW_MS) / 1000}–${((index + 1) * SLO_WINDOW_MS) / 1000}s (${metric} ${formatMs(percentiles[metric]!)}, n=${count})`,
    );
}
