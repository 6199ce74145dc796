/**
 * Every comparable metric side by side: B against A, the change, a bootstrap interval of the
 * ratio and a Mann–Whitney p. A change within noise is `~` (benchstat's convention), never a
 * regression. Pure and seeded.
 */
import { mannWhitneyP } from './mann-whitney.js';
import type { MetricValues } from './metrics.js';
import { seededRandom } from '../model/random.js';
import { bootstrapRatio, round3, statistic, type RatioInterval, type Statistic } from './stats.js';

export interface ComparisonRow {
  metric: string;
  statistic: Statistic;
  a: { value: number; n: number };
  b: { value: number; n: number };
  /** b ÷ a − 1 */
  change: number;
  ci: { low: number; high: number; confidence: number } | null;
  p: number | null;
  /** For latencies lower is better. */
  delta: 'better' | 'worse' | '~';
}

export interface CompareOptions {
  seed?: number;
  resamples?: number;
  confidence?: number;
  /** Larger samples are subsampled (seeded) for the interval and the test; the point values use all. */
  maxSamples?: number;
}

const MIN_SAMPLES = 5;
const ALPHA = 0.05;

export function compareMetrics(a: ReadonlyMap<string, MetricValues>, b: ReadonlyMap<string, MetricValues>, options: CompareOptions = {}): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const [metric, left] of a) {
    const right = b.get(metric);
    if (!right) continue;
    const va = statistic(left.values, left.statistic);
    const vb = statistic(right.values, right.statistic);
    const enough = left.values.length >= MIN_SAMPLES && right.values.length >= MIN_SAMPLES;
    const interval = enough ? ratioInterval(left.values, right.values, left.statistic, options) : null;
    const p = enough ? mannWhitneyP(subsample(left.values, options), subsample(right.values, options)) : null;
    const significant = interval !== null && p !== null && p < ALPHA && (interval.low > 1 || interval.high < 1);
    rows.push({
      metric,
      statistic: left.statistic,
      a: { value: round3(va), n: left.count },
      b: { value: round3(vb), n: right.count },
      change: round3(vb / va - 1),
      ci: interval && { low: round3(interval.low), high: round3(interval.high), confidence: interval.confidence },
      p: p === null ? null : Number(p.toPrecision(3)),
      delta: !significant ? '~' : vb < va ? 'better' : 'worse',
    });
  }
  return rows;
}

/** Bootstrap interval of statistic(b) ÷ statistic(a). */
export function ratioInterval(a: readonly number[], b: readonly number[], which: Statistic, options: CompareOptions = {}): RatioInterval {
  return bootstrapRatio(subsample(a, options), subsample(b, options), which, {
    resamples: options.resamples ?? 2000,
    confidence: options.confidence ?? 0.9,
    seed: options.seed ?? 1,
  });
}

function subsample(values: readonly number[], { maxSamples = 2000, seed = 1 }: CompareOptions): readonly number[] {
  if (values.length <= maxSamples) return values;
  const random = seededRandom(seed);
  const copy = [...values];
  for (let i = 0; i < maxSamples; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, maxSamples);
}
