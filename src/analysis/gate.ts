/**
 * The CI gate: the scenario's verdicts, or a criteria file's, plus criteria relative to a
 * baseline run. Pure over stored runs.
 */
import type { Criteria, RelativeCriterion } from '../model/verdict-specs.js';
import type { StoredRun } from './stored-run.js';
import { ratioInterval } from './compare.js';
import { comparableMetrics, reservoirNote, type MetricValues } from './metrics.js';
import { round3, statistic } from './stats.js';
import { summarize } from './summarize.js';
import type { Summary, VerdictResult } from '../model/summary.js';
import { MIN_SAMPLES_PER_SIDE } from './verdicts/cold-start-reduction.js';

/** With a criteria file, its verdicts replace the scenario's (the pipeline owns its gate). */
export function gate(run: StoredRun, criteria?: Criteria, baseline?: StoredRun): Summary {
  const summary = summarize(run, criteria?.verdicts);
  // Each criterion reads one metric, but collecting a target's metrics scans every sample: once per run and target.
  const cache = new Map<StoredRun, Map<string, Map<string, MetricValues>>>();
  const metricsOf = (stored: StoredRun, target: string) => {
    const byTarget = cache.get(stored) ?? new Map<string, Map<string, MetricValues>>();
    cache.set(stored, byTarget);
    if (!byTarget.has(target)) byTarget.set(target, comparableMetrics(stored, target));
    return byTarget.get(target)!;
  };
  const relative = (criteria?.relative ?? []).map((criterion) =>
    relativeVerdict(criterion, metricsOf(run, criterion.target).get(criterion.metric), metricsOf(baseline!, criterion.target).get(criterion.metric), baseline!),
  );
  return { ...summary, verdicts: [...summary.verdicts, ...relative] };
}

function relativeVerdict(criterion: RelativeCriterion, now: MetricValues | undefined, before: MetricValues | undefined, baseline: StoredRun): VerdictResult {
  const threshold = round3(1 + criterion.maxIncrease);
  const base = {
    id: 'relative',
    title: `${criterion.target} ${criterion.metric} no more than ${round3(criterion.maxIncrease * 100)}% worse than run ${baseline.manifest.runId}`,
    claim: `≤ +${round3(criterion.maxIncrease * 100)}%`,
    metric: `${criterion.metric} vs baseline run`,
    threshold,
    unit: 'ms' as const,
    observedUnit: 'ratio' as const,
    samples: { [`${criterion.target} (baseline run)`]: before?.count ?? 0, [criterion.target]: now?.count ?? 0 },
    values: {
      [`${criterion.target} (baseline run)`]: before ? round3(statistic(before.values, before.statistic)) : null,
      [criterion.target]: now ? round3(statistic(now.values, now.statistic)) : null,
    },
  };
  if (!now || !before)
    return { ...base, status: 'no-data', observed: null, ci: null, detail: `${criterion.metric} is missing in ${now ? 'the baseline run' : 'this run'}` };
  if (now.values.length < MIN_SAMPLES_PER_SIDE || before.values.length < MIN_SAMPLES_PER_SIDE) {
    return {
      ...base,
      status: 'insufficient',
      observed: null,
      ci: null,
      detail: `needs at least ${MIN_SAMPLES_PER_SIDE} samples per run; have ${before.values.length} and ${now.values.length}`,
    };
  }
  const interval = ratioInterval(before.values, now.values, now.statistic, { confidence: criterion.confidence });
  const status = interval.high <= threshold ? 'pass' : interval.low > threshold ? 'fail' : 'inconclusive';
  return {
    ...base,
    status,
    observed: round3(interval.estimate),
    ci: { low: round3(interval.low), high: round3(interval.high), confidence: interval.confidence },
    detail: `ratio to the baseline run ${round3(interval.estimate)} [${round3(interval.low)}–${round3(interval.high)}], limit ${threshold}${reservoirNote(before) || reservoirNote(now)}`,
  };
}
