/** Exact binomial bounds (Clopper–Pearson, order statistics). Pure. */
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
