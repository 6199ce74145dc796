/**
 * "Cold-start latency drops by at least X%": R = candidate statistic ÷ baseline statistic,
 * with a seeded bootstrap interval [L, U]. Pass when U ≤ 1 − X, fail when L > 1 − X,
 * inconclusive otherwise; too few samples on a side is insufficient.
 */
import type { ColdstartSample } from '../../model/records.js';
import type { ColdStartReductionSpec } from '../../model/verdict-specs.js';
import { formatMs } from '../../model/units.js';
import { clientLagReason } from '../client.js';
import { coldstartSamples } from '../coldstart.js';
import { bootstrapRatio, round3, statistic } from '../stats.js';
import type { Distribution, VerdictResult } from '../../model/summary.js';

export const MIN_SAMPLES_PER_SIDE = 10;

/** `loopDelay`: coldbench's own event-loop delay during the cold-start probe, which may have added to any sample. */
export function coldStartReduction(spec: ColdStartReductionSpec, samples: readonly ColdstartSample[], loopDelay?: Distribution | null): VerdictResult {
  const values = (target: string) =>
    coldstartSamples(samples, target)
      .filter((s) => s.request === 'first' && s.ok && (spec.population === 'first' || s.cold === true))
      .flatMap((s) => {
        const value = spec.measure === 'ttfb' ? s.ttfbMs : s.latencyMs;
        return value === undefined ? [] : [value];
      });
  const baseline = values(spec.baseline);
  const candidate = values(spec.candidate);
  const threshold = round3(1 - spec.atLeast);
  const what = `${spec.population === 'cold' ? 'cold-classified' : 'first'} requests' ${spec.measure} ${spec.metric}`;
  const base = {
    id: 'cold-start-reduction',
    title: `cold start ${spec.metric}: ${spec.candidate} at least ${pct(spec.atLeast)} lower than ${spec.baseline}`,
    claim: `≥${pct(spec.atLeast)} lower`,
    metric: `cold start ${spec.measure === 'ttfb' ? 'ttfb ' : ''}${spec.metric}`,
    threshold,
    unit: 'ms' as const,
    observedUnit: 'ratio' as const,
    samples: { [spec.candidate]: candidate.length, [spec.baseline]: baseline.length },
    values: {
      [spec.candidate]: candidate.length ? round3(statistic(candidate, spec.metric)) : null,
      [spec.baseline]: baseline.length ? round3(statistic(baseline, spec.metric)) : null,
    },
  };

  if (baseline.length < MIN_SAMPLES_PER_SIDE || candidate.length < MIN_SAMPLES_PER_SIDE) {
    const observed = baseline.length && candidate.length ? round3(statistic(candidate, spec.metric) / statistic(baseline, spec.metric)) : null;
    return {
      ...base,
      status: 'insufficient',
      observed,
      ci: null,
      detail: `needs at least ${MIN_SAMPLES_PER_SIDE} ${what} per side; have ${spec.baseline} ${baseline.length}, ${spec.candidate} ${candidate.length}`,
    };
  }
  const b = base.values[spec.baseline]!;
  const c = base.values[spec.candidate]!;
  // The client's delay could move the verdict only by moving the candidate across threshold × baseline,
  // and moves a statistic by about the delay at that statistic's own level (its p50 for a p50, …).
  const margin = Math.abs(c - threshold * b);
  const lagged = clientLagReason(
    `event-loop delay ${spec.metric}`,
    loopDelay?.[spec.metric],
    margin,
    "the margin to the claim's boundary",
    "coldbench's own event loop",
  );
  if (lagged)
    return {
      ...base,
      status: 'invalid',
      observed: round3(c / b),
      ci: null,
      detail: `${lagged}; ${what}: ${spec.candidate} ${formatMs(c)} vs ${spec.baseline} ${formatMs(b)}`,
    };
  const interval = bootstrapRatio(baseline, candidate, spec.metric, { resamples: spec.resamples, confidence: spec.confidence, seed: spec.seed });
  const status = interval.high <= threshold ? 'pass' : interval.low > threshold ? 'fail' : 'inconclusive';
  const reduction = 1 - interval.estimate;
  const explanation = {
    pass: `the whole ${pct(spec.confidence)} interval is at or below ${threshold}`,
    fail: `the whole ${pct(spec.confidence)} interval is above ${threshold}`,
    inconclusive: `the ${pct(spec.confidence)} interval straddles ${threshold}: more samples needed`,
  }[status];
  return {
    ...base,
    status,
    observed: round3(interval.estimate),
    ci: { low: round3(interval.low), high: round3(interval.high), confidence: interval.confidence },
    detail:
      `${what}: ${spec.candidate} ${formatMs(c)} vs ${spec.baseline} ${formatMs(b)}, ` +
      `${reduction >= 0 ? `${pct(reduction)} lower` : `${pct(-reduction)} higher`}; ${explanation} ` +
      `(bootstrap, ${spec.resamples} resamples, seed ${spec.seed})`,
  };
}

function pct(ratio: number): string {
  return `${round3(ratio * 100)}%`;
}
