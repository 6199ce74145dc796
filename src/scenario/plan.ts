/** A validated scenario as the runner, the k6 generator and the store take it. */
import { CbError } from '../model/errors.js';
import type { RunHeader } from '../model/manifest.js';
import type { ProbeKind } from '../model/probe-kinds.js';
import type { CapacitySearchPlan, ProbeDeclared, StagePlan } from '../model/records.js';
import { redact } from '../model/redact.js';
import type { LoadedFlowScript } from '../model/flow-script.js';
import type { DataRow } from './flow-data.js';
import type { FlowProbe, LoadProbe, Probe, Scenario } from './schema.js';

export interface Plan {
  /** Path of the scenario file as given. */
  file: string;
  /** The file's text as written, before interpolation (so it holds `${TOKEN}`, not the token). */
  source: string;
  scenario: Scenario;
  /** The environment variables the file refers to and their values, so that secrets among them can be redacted. */
  substitutions: Record<string, string>;
  /** The rows of each flow probe's data file, by probe index: kept out of the scenario, which the manifest stores. */
  flowData?: ReadonlyMap<number, readonly DataRow[]>;
  /** Each flow probe's script, loaded (scenario/flow-script-loader.ts), by probe index. */
  flowScripts?: ReadonlyMap<number, LoadedFlowScript>;
}

/** The manifest's account of what is run: the scenario as run (overrides applied), secrets redacted. */
export function runHeader(plan: Plan, scenario: Scenario = plan.scenario): RunHeader {
  return {
    scenarioName: scenario.name,
    scenarioFile: plan.file,
    targets: Object.keys(scenario.targets),
    verdicts: scenario.verdicts,
    scenario: redact(scenario, plan.substitutions),
  };
}

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

export function planStages(probe: LoadProbe | FlowProbe): StagePlan[] {
  let offsetMs = 0;
  let previousRate = 0;
  return (probe.stages ?? []).map((stage) => {
    const toRate = stage.rate ?? stage.rampTo!;
    const fromRate = stage.rate ?? previousRate;
    const plan = { name: stage.name, offsetMs, durationMs: stage.duration, fromRate, toRate, targetRate: (fromRate + toRate) / 2 };
    offsetMs += stage.duration;
    previousRate = toRate;
    return plan;
  });
}

export function searchPlan(search: NonNullable<LoadProbe['search']>): CapacitySearchPlan {
  const { from, maxRate, growth, precision, step, warmUp, pause, budget } = search;
  return { fromRate: from, maxRate, growth, precision, stepMs: step, warmUpMs: warmUp, pauseMs: pause, budgetMs: budget };
}

type ProbeOf<K extends ProbeKind> = Extract<Probe, { kind: K }>;

interface ProbeKindPlan<K extends ProbeKind> {
  /** One summary section per probe kind and target keeps verdicts unambiguous, unless the kind has sections per stage. */
  onePerScenario: boolean;
  /** Can a segmented run (--segment i/N) take its share of it? */
  splits: boolean | ((probe: ProbeOf<K>) => boolean);
  /** What its probe record declares beyond kind, name and targets: what the analysis reads instead of the scenario. */
  declare(probe: ProbeOf<K>): Partial<ProbeDeclared>;
}

export const PROBE_PLANS: { [K in ProbeKind]: ProbeKindPlan<K> } = {
  // A cold-start round compares targets at one moment from one process.
  coldstart: { onePerScenario: true, splits: false, declare: (probe) => (probe.steps ? { steps: probe.steps.map((step) => ({ name: step.name })) } : {}) },
  // A capacity search's next rate depends on its last step: it cannot be split.
  load: {
    onePerScenario: false,
    splits: (probe) => !probe.search,
    declare: (probe) => ({ stages: planStages(probe), ...(probe.slo && { slo: probe.slo }), ...(probe.search && { search: searchPlan(probe.search) }) }),
  },
  // A closed model has nothing to split.
  capacity: { onePerScenario: true, splits: false, declare: () => ({}) },
  stream: { onePerScenario: true, splits: true, declare: (probe) => ({ protocol: probe.protocol, holdMs: probe.hold, ...(probe.slo && { slo: probe.slo }) }) },
  // Its requests wait on each other's quiet: one runner owns each lane.
  idleSweep: { onePerScenario: true, splits: false, declare: (probe) => ({ gapsMs: probe.gaps }) },
  // A flow's number picks its data row: split, two runners would use the same rows.
  flow: {
    onePerScenario: false,
    splits: false,
    declare: (probe) => ({
      stages: planStages(probe),
      // A script's steps are known when it runs: the summary lists them as they were seen.
      steps: (probe.steps ?? []).map((step) => ({ name: step.name, ...(step.slo && { slo: step.slo }) })),
      ...(probe.slo && { slo: probe.slo }),
    }),
  },
};

/** The probe records a run writes before its first probe (model/records.ts ProbeDeclared). */
export function declareProbes(scenario: Scenario): ProbeDeclared[] {
  return scenario.probes.map((probe, index) => ({
    type: 'probe',
    probe: probeName(probe, index, scenario.probes),
    kind: probe.kind,
    targets: probe.targets ?? Object.keys(scenario.targets),
    ...(PROBE_PLANS[probe.kind].declare as (probe: Probe) => Partial<ProbeDeclared>)(probe),
  }));
}

/** Whether a segmented run (--segment i/N) can take its share of this probe. */
export function splits(probe: Probe): boolean {
  const rule = PROBE_PLANS[probe.kind].splits as boolean | ((probe: Probe) => boolean);
  return typeof rule === 'function' ? rule(probe) : rule;
}
