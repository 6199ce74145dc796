/**
 * Declared SLOs are judged, as k6 judges thresholds: a scenario without verdicts gets one
 * verdict per probe SLO and target (each load stage, the stream probe); a scenario with
 * verdicts has the SLOs none of them covers named, so a gap in a CI gate is seen.
 */
import type { ProbeDeclared } from '../../model/records.js';
import type { VerdictSpec } from '../../model/verdict-specs.js';
import type { Summary, VerdictResult } from '../../model/summary.js';
import { flowSloVerdict } from './flow-slo.js';
import { combineChecks, sloVerdict } from './stage-slo.js';

interface DeclaredSlo {
  target: string;
  /** A load stage, or undefined for the stream probe and flows. */
  stage?: string;
  /** A flow probe's name: its own SLO and its steps'. */
  flow?: string;
  label: string;
}

function declaredSlos(probes: readonly ProbeDeclared[]): DeclaredSlo[] {
  const out: DeclaredSlo[] = [];
  for (const probe of probes) {
    if (probe.kind === 'flow' && (probe.slo || probe.steps?.some((step) => step.slo))) {
      for (const target of probe.targets) out.push({ target, flow: probe.probe, label: `${target} ${probe.probe}` });
    }
    if ((probe.kind !== 'load' && probe.kind !== 'stream') || !probe.slo) continue;
    for (const target of probe.targets) {
      if (probe.kind === 'stream') out.push({ target, label: `${target} ${probe.probe}` });
      else for (const stage of probe.stages ?? []) out.push({ target, stage: stage.name, label: `${target} ${probe.probe}/${stage.name}` });
    }
  }
  return out;
}

export function declaredSloVerdicts(probes: readonly ProbeDeclared[], targets: Summary['targets']): VerdictResult[] {
  return declaredSlos(probes).map((slo) =>
    slo.flow !== undefined
      ? flowSloVerdict({ target: slo.target, flow: slo.flow }, targets)
      : slo.stage === undefined
        ? streamSloVerdict(slo.target, targets)
        : sloVerdict({ target: slo.target, stage: slo.stage }, targets),
  );
}

/** Declared SLOs that none of `verdicts` judges, e.g. `cloudrun load/10x`. */
export function unjudgedSlos(probes: readonly ProbeDeclared[], verdicts: readonly VerdictSpec[]): string[] {
  const covers = (slo: DeclaredSlo) =>
    verdicts.some((v) => {
      if (slo.flow !== undefined) return v.flowSlo?.target === slo.target && v.flowSlo.flow === slo.flow && v.flowSlo.step === undefined;
      if (slo.stage === undefined) return v.streamSurvival?.target === slo.target;
      const stageCheck = v.slo ?? v.loadMultiplier;
      return stageCheck?.target === slo.target && stageCheck.stage === slo.stage;
    });
  return declaredSlos(probes)
    .filter((slo) => !covers(slo))
    .map((slo) => slo.label);
}

function streamSloVerdict(target: string, targets: Summary['targets']): VerdictResult {
  const stream = targets[target]?.stream;
  const checks = stream?.slo ?? [];
  const judged = checks.length ? combineChecks(checks) : { status: 'no-data' as const, detail: 'the stream probe measured nothing for this target' };
  return {
    id: 'stream-slo',
    title: `${target} holds its streams within their SLOs`,
    claim: 'within SLO',
    metric: 'stream slo',
    status: judged.status,
    observed: stream?.survival ?? null,
    threshold: 0,
    ci: null,
    unit: 'share',
    observedUnit: 'share',
    samples: { [target]: stream?.connections ?? 0 },
    values: { [target]: stream?.survival ?? null },
    detail: judged.detail,
  };
}
