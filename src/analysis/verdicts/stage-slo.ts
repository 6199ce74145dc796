/**
 * `slo` and `loadMultiplier` verdicts: does one target hold a load stage within its SLOs?
 * Order matters: a stage an abort rule stopped (or never let start) for this target failed;
 * no data never passes; an invalid stage (the generator was the limit) is never passed;
 * then the SLO checks decide, worst first.
 */
import type { LoadMultiplierSpec, SloVerdictSpec } from '../../model/verdict-specs.js';
import { formatRate } from '../../model/units.js';
import { round3 } from '../stats.js';
import type { LoadStageSummary, SloCheck, Summary, VerdictResult, VerdictStatus } from '../../model/summary.js';

const WORST_FIRST: VerdictStatus[] = ['fail', 'invalid', 'no-data', 'inconclusive', 'insufficient'];

/** How SLO checks combine into a verdict: the worst status present decides; the detail names each check. */
export function combineChecks(checks: readonly SloCheck[]): { status: VerdictStatus; detail: string } {
  const status = WORST_FIRST.find((s) => checks.some((check) => check.status === s)) ?? 'pass';
  const detail = checks.map((check) => `${check.metric} ${check.limit}: ${check.status.toUpperCase()} (${check.detail})`).join('; ');
  return { status, detail };
}

function judgeStage(stage: LoadStageSummary | undefined): { status: VerdictStatus; detail: string } {
  if (stage?.aborted) return { status: 'fail', detail: `aborted: ${stage.aborted}` };
  if (!stage || stage.requests === 0) return { status: 'no-data', detail: 'the stage sent no request (not reached, or nothing measured)' };
  if (!stage.valid) return { status: 'invalid', detail: stage.invalidReason! };
  if (stage.slo.length === 0) return { status: 'no-data', detail: 'the load probe has no slo' };
  return combineChecks(stage.slo);
}

export function sloVerdict(spec: SloVerdictSpec, targets: Summary['targets']): VerdictResult {
  const stage = targets[spec.target]?.load?.[spec.stage];
  const judged = judgeStage(stage);
  const uncorrected = stage?.slo.some((check) => check.uncorrected) ?? false;
  return {
    id: 'slo',
    title: `${spec.target} holds stage ${spec.stage} within its SLOs`,
    claim: 'within SLO',
    metric: `slo ${spec.stage}, p95${uncorrected ? ' uncorrected' : ''}`,
    status: judged.status,
    observed: stage ? round3(stage.achievedRate) : null,
    threshold: stage ? stage.targetRate : 0,
    ci: null,
    unit: 'ms' as const,
    observedUnit: 'per-second' as const,
    samples: { [spec.target]: stage?.requests ?? 0 },
    values: { [spec.target]: (uncorrected ? stage?.uncorrectedLatencyMs : stage?.latencyMs)?.p95 ?? null },
    detail: judged.detail,
  };
}

export function loadMultiplierVerdict(spec: LoadMultiplierSpec, targets: Summary['targets']): VerdictResult {
  const load = targets[spec.target]?.load;
  const stage = load?.[spec.stage];
  const baseline = load?.[spec.baselineStage];
  const base = {
    id: 'load-multiplier',
    title: `${spec.target} holds ${spec.atLeast}x the ${spec.baselineStage} load (stage ${spec.stage}) within its SLOs`,
    claim: `≥${spec.atLeast}x within SLO`,
    metric: `load ${spec.stage} vs ${spec.baselineStage}, p95`,
    threshold: spec.atLeast,
    ci: null,
    unit: 'ms' as const,
    observedUnit: 'multiplier' as const,
    samples: { [spec.target]: stage?.requests ?? 0 },
    values: { [spec.target]: stage?.latencyMs?.p95 ?? null },
  };
  if (!stage || !baseline) {
    return { ...base, status: 'no-data', observed: null, detail: `stage ${stage ? spec.baselineStage : spec.stage} has no data for ${spec.target}` };
  }
  const planned = stage.targetRate / baseline.targetRate;
  const achieved = baseline.achievedRate > 0 ? stage.achievedRate / baseline.achievedRate : 0;
  const rates = `${spec.stage} ${formatRate(stage.achievedRate)} of ${formatRate(stage.targetRate)}, ${spec.baselineStage} ${formatRate(baseline.achievedRate)} of ${formatRate(baseline.targetRate)} (achieved ${round3(achieved)}x)`;
  if (planned < spec.atLeast) {
    return { ...base, status: 'invalid', observed: round3(planned), detail: `the scenario tests only ${round3(planned)}x, not ${spec.atLeast}x: ${rates}` };
  }
  const judged = judgeStage(stage);
  return { ...base, status: judged.status, observed: round3(planned), detail: `${rates}; ${judged.detail}` };
}
