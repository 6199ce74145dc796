/** Binomial bounds: exact (Clopper–Pearson, order statistics) and Wilson's score interval. Pure. */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import binomialQuantile from '@stdlib/stats-base-dists-binomial-quantile';

/**
 * One-sided lower bound of a success ratio at `confidence` (Clopper–Pearson): with zero
 * failures in n trials it is (1 − confidence)^(1/n), so 99.9% needs about 3,000 requests.
 */
export function successRatioLowerBound(successes: number, trials: number, confidence = 0.95): number {
  if (trials === 0 || successes === 0) return 0;
  return betaQuantile(1 - confidence, successes, trials - successes + 1);
}

/** One-sided upper bound of a success ratio at `confidence` (Clopper–Pearson). */
export function successRatioUpperBound(successes: number, trials: number, confidence = 0.95): number {
  if (trials === 0 || successes === trials) return 1;
  return betaQuantile(confidence, successes + 1, trials - successes);
}

/**
 * The rank r (1-based) whose order statistic X(r) is a distribution-free upper bound of the
 * q-quantile at `confidence`: the smallest r with P(Binomial(n, q) ≤ r − 1) ≥ confidence.
 * Undefined when n samples are too few for any order statistic to be such a bound.
 */
export function quantileUpperBoundRank(n: number, q: number, confidence = 0.95): number | undefined {
  if (n === 0) return undefined;
  const rank = binomialQuantile(confidence, n, q) + 1;
  return rank <= n ? rank : undefined;
}

/** The normal quantile of 97.5%: a two-sided 95% interval. */
const Z_95 = 1.959963984540054;

/**
 * Wilson's score interval (two-sided 95%) of a share: unlike the normal approximation it
 * stays inside [0, 1] and is honest at 0 of n, which is what a cold share often is.
 */
export function wilsonInterval(hits: number, trials: number): { low: number; high: number } | null {
  if (trials === 0) return null;
  const p = hits / trials;
  const z2 = Z_95 * Z_95;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (Z_95 / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
