/** Pure statistics: no clock, no network, seeded randomness. */
import { seededRandom } from '../model/random.js';
import { usToMs, type Histogram } from '../model/histogram.js';

export interface Distribution {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles of an HDR histogram (stored in µs), in ms. Undefined when empty: no data is not zero. */
export function distribution(histogram: Histogram | undefined): Distribution | undefined {
  if (!histogram || histogram.totalCount === 0) return undefined;
  const at = (p: number) => round3(usToMs(histogram.getValueAtPercentile(p)));
  return {
    count: histogram.totalCount,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    // The 100th percentile, not maxValue: a decoded histogram only knows bucket bounds, and
    // the live one must print the same figure as the one rebuilt from histograms.json.
    max: at(100),
    mean: round3(usToMs(histogram.mean)),
  };
}

/**
 * Nearest-rank quantile of ascending values: the value at rank ⌈q·n⌉. The same definition
 * HDR histograms use, so a verdict's p50 and the table's p50 of the same samples agree.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export type Statistic = 'p50' | 'p90' | 'p95' | 'p99' | 'mean';

export function statistic(values: ArrayLike<number>, which: Statistic): number {
  if (which === 'mean') {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i]!;
    return sum / values.length;
  }
  return quantile(values, Number(which.slice(1)) / 100);
}

export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

export interface RatioInterval {
  estimate: number;
  low: number;
  high: number;
  confidence: number;
}

/**
 * Percentile bootstrap of statistic(candidate) ÷ statistic(baseline), each side resampled
 * independently with replacement.
 */
export function bootstrapRatio(
  baseline: readonly number[],
  candidate: readonly number[],
  which: Statistic,
  options: { resamples: number; confidence: number; seed: number },
): RatioInterval {
  const random = seededRandom(options.seed);
  const ratios = new Float64Array(options.resamples);
  const bufferA = new Float64Array(baseline.length);
  const bufferB = new Float64Array(candidate.length);
  const resample = (from: readonly number[], into: Float64Array) => {
    for (let i = 0; i < into.length; i++) into[i] = from[Math.floor(random() * from.length)]!;
    return statistic(into, which);
  };
  for (let r = 0; r < options.resamples; r++) {
    const b = resample(baseline, bufferA);
    const c = resample(candidate, bufferB);
    ratios[r] = c / b;
  }
  ratios.sort();
  const tail = (1 - options.confidence) / 2;
  return {
    estimate: statistic(candidate, which) / statistic(baseline, which),
    low: quantileSorted(ratios, tail),
    high: quantileSorted(ratios, 1 - tail),
    confidence: options.confidence,
  };
}

/** How many items share each key: errors by code, drops by cause, verdicts by status. */
export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
