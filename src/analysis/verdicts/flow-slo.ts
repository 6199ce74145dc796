/**
 * `flowSlo` verdicts: does one target run a flow (or one of its steps) within its SLOs? The
 * stage-SLO order holds: no data never passes, an invalid run (the generator was the limit)
 * is never passed, then the checks decide, worst first. Judging the flow judges every step
 * SLO with it; naming a step judges that step alone.
 */
import type { FlowSloSpec } from '../../model/verdict-specs.js';
import type { Summary, VerdictResult } from '../../model/summary.js';
import { combineChecks } from './stage-slo.js';

export function flowSloVerdict(spec: FlowSloSpec, targets: Summary['targets']): VerdictResult {
  const flow = targets[spec.target]?.flow?.[spec.flow];
  const step = spec.step === undefined ? undefined : flow?.steps.find((s) => s.name === spec.step);
  const checks =
    spec.step === undefined
      ? [...(flow?.slo ?? []), ...(flow?.steps.flatMap((s) => s.slo.map((c) => ({ ...c, metric: `${s.name} ${c.metric}` }))) ?? [])]
      : (step?.slo ?? []);
  const runs = step ? step.requests : (flow?.flows ?? 0);
  const judged =
    !flow || runs === 0
      ? { status: 'no-data' as const, detail: `the flow ran no ${spec.step === undefined ? 'flow' : `step ${spec.step}`} for this target` }
      : !flow.valid
        ? { status: 'invalid' as const, detail: flow.invalidReason! }
        : checks.length === 0
          ? { status: 'no-data' as const, detail: `${spec.step === undefined ? 'the flow' : `step ${spec.step}`} has no slo` }
          : combineChecks(checks);
  const latency = step ? step.latencyMs : flow?.latencyMs;
  const what = spec.step === undefined ? `flow ${spec.flow}` : `step ${spec.step} of flow ${spec.flow}`;
  return {
    id: 'flow-slo',
    title: `${spec.target} runs ${what} within its SLOs`,
    claim: 'within SLO',
    metric: `slo ${spec.flow}${spec.step === undefined ? '' : `/${spec.step}`}, p95`,
    status: judged.status,
    observed: flow ? flow.achievedRate : null,
    threshold: flow ? flow.targetRate : 0,
    ci: null,
    unit: 'ms',
    observedUnit: 'per-second',
    samples: { [spec.target]: runs },
    values: { [spec.target]: latency?.p95 ?? null },
    detail: judged.detail,
  };
}
