/**
 * SLO checks of one target in one load stage. A pass needs a confidence bound that meets the
 * limit; a fail needs the point estimate to miss it; between is inconclusive; nothing
 * measured is no-data, which never passes.
 */
import type { LoadSample } from '../model/records.js';
import type { Slo } from '../scenario/schema.js';
import { compare, formatMs, type Comparison } from '../scenario/units.js';
import { usToMs, type Histogram } from '../model/histogram.js';
import { quantileUpperBoundRank, successRatioLowerBound } from './binomial.js';
import { quantile, round3 } from './stats.js';
import type { SloCheck } from './summary-schema.js';

const CONFIDENCE = 0.95;
/** Every window of this length must meet a latency SLO too: a stall must not hide in a long average. */
export const SLO_WINDOW_MS = 10_000;

/** The latency percentiles a load SLO may limit. */
export const LATENCY_SLO_METRICS = ['p50', 'p75', 'p90', 'p95', 'p99', 'p999'] as const;

export interface StageData {
  samples: readonly LoadSample[];
  /** Corrected latency of successful requests. */
  latency: Histogram | undefined;
  stageStartEpochMs: number;
}

export function checkSlos(slo: Slo | undefined, data: StageData): SloCheck[] {
  if (!slo) return [];
  const checks: SloCheck[] = [];
  if (slo.successRate) {
    const sent = data.samples.filter((s) => !s.dropped);
    checks.push(checkRatio('successRate', slo.successRate, sent.filter((s) => s.ok).length, sent.length, 'succeeded'));
  }
  for (const metric of LATENCY_SLO_METRICS) {
    const limit = slo[metric];
    if (!limit) continue;
    const q = metric === 'p999' ? 0.999 : Number(metric.slice(1)) / 100;
    checks.push(checkPercentile(metric, q, limit, data.latency, windowsMissing(metric, q, limit, data)));
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
    return { ...base, status: 'fail', observed, bound, detail: `${metric} meets ${base.limit} overall (${formatMs(observed)}) but not in ${badWindows.join(', ')}` };
  }
  if (bound === null) {
    return { ...base, status: 'inconclusive', observed, bound, detail: `${n} requests are too few for a 95% upper bound of ${metric}` };
  }
  if (!compare(bound, limit.op, limit.value)) {
    return { ...base, status: 'inconclusive', observed, bound, detail: `${metric} ${formatMs(observed)} meets ${base.limit}, but its 95% upper bound ${formatMs(bound)} does not` };
  }
  const windows = badWindows ? `, every ${SLO_WINDOW_MS / 1000}s window meets it` : '';
  return { ...base, status: 'pass', observed, bound, detail: `${metric} ${formatMs(observed)}, 95% upper bound ${formatMs(bound)} (rank ${rank} of ${n})${windows}` };
}

/** Names of the 10-second windows whose own percentile misses the limit. */
function windowsMissing(metric: string, q: number, limit: { op: Comparison; value: number }, data: StageData): string[] {
  const windows = new Map<number, number[]>();
  for (const sample of data.samples) {
    if (!sample.ok || sample.latencyMs === undefined) continue;
    const index = Math.floor((sample.intendedAt - data.stageStartEpochMs) / SLO_WINDOW_MS);
    let values = windows.get(index);
    if (!values) windows.set(index, (values = []));
    values.push(sample.latencyMs);
  }
  const missing: string[] = [];
  for (const [index, values] of [...windows.entries()].sort((a, b) => a[0] - b[0])) {
    const value = quantile(values, q);
    if (!compare(value, limit.op, limit.value)) {
      missing.push(`window ${(index * SLO_WINDOW_MS) / 1000}–${((index + 1) * SLO_WINDOW_MS) / 1000}s (${metric} ${formatMs(value)}, n=${values.length})`);
    }
  }
  return missing;
}
