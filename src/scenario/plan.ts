/** Helpers over a validated scenario that both the runner and analysis need. */
import { CbError } from '../model/errors.js';
import type { ProbeDeclared, StagePlan } from '../model/records.js';
import type { LoadProbe, Probe, Scenario } from './schema.js';

/** A probe's name in samples and histograms: its `name`, else its kind (numbered when the kind repeats). */
export function probeName(probe: Probe, index: number, probes: readonly Probe[]): string {
  if (probe.name) return probe.name;
  const sameKind = probes.filter((p) => p.kind === probe.kind).length;
  return sameKind > 1 ? `${probe.kind}-${index + 1}` : probe.kind;
}

export interface Overrides {
  /** Rounds for cold-start probes. */
  samples?: number;
  /** Run only these targets. */
  only?: string[];
}

export function applyOverrides(scenario: Scenario, overrides: Overrides): Scenario {
  let { targets, probes } = scenario;
  if (overrides.only?.length) {
    const unknown = overrides.only.filter((name) => !(name in targets));
    if (unknown.length) {
      throw new CbError('CB_USAGE', `--only names unknown target ${unknown.join(', ')} (targets: ${Object.keys(targets).join(', ')})`);
    }
    targets = Object.fromEntries(Object.entries(targets).filter(([name]) => overrides.only!.includes(name)));
    probes = probes.map((p) => (p.targets ? { ...p, targets: p.targets.filter((t) => t in targets) } : p));
  }
  if (overrides.samples !== undefined) {
    probes = probes.map((p) => (p.kind === 'coldstart' ? { ...p, samples: overrides.samples! } : p));
  }
  return { ...scenario, targets, probes };
}

export function planStages(probe: LoadProbe): StagePlan[] {
  let offsetMs = 0;
  let previousRate = 0;
  return probe.stages.map((stage) => {
    const toRate = stage.rate ?? stage.rampTo!;
    const fromRate = stage.rate ?? previousRate;
    const plan = { name: stage.name, offsetMs, durationMs: stage.duration, fromRate, toRate, targetRate: (fromRate + toRate) / 2 };
    offsetMs += stage.duration;
    previousRate = toRate;
    return plan;
  });
}

/** The probe records a run writes before its first probe (model/records.ts ProbeDeclared). */
export function declareProbes(scenario: Scenario): ProbeDeclared[] {
  return scenario.probes.map((probe, index) => {
    const declared: ProbeDeclared = {
      type: 'probe',
      probe: probeName(probe, index, scenario.probes),
      kind: probe.kind,
      targets: probe.targets ?? Object.keys(scenario.targets),
    };
    if (probe.kind === 'load') Object.assign(declared, { stages: planStages(probe), ...(probe.slo && { slo: probe.slo }) });
    if (probe.kind === 'stream') Object.assign(declared, { protocol: probe.protocol, holdMs: probe.hold, ...(probe.slo && { slo: probe.slo }) });
    return declared;
  });
}
