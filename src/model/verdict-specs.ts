/**
 * The verdicts a run is judged by, as validated and as stored in manifest.json: one key per
 * verdict kind. scenario/schema.ts parses into exactly these types (checked at compile time),
 * and analysis/verdicts/ judges them; neither imports the other for them.
 */

export interface ColdStartReductionSpec {
  baseline: string;
  candidate: string;
  metric: 'p50' | 'p90' | 'p95' | 'p99' | 'mean';
  measure: 'latency' | 'ttfb';
  /** first: every successful first request after the trigger; cold: only samples classified cold. */
  population: 'first' | 'cold';
  /** The reduction claimed, as a share (0.5 for 50%). */
  atLeast: number;
  confidence: number;
  resamples: number;
  seed: number;
}

export interface LoadMultiplierSpec {
  target: string;
  /** The stage that must hold, e.g. 10x. */
  stage: string;
  /** Today's load. */
  baselineStage: string;
  atLeast: number;
}

/** A load stage's SLOs on one target. */
export interface SloVerdictSpec {
  target: string;
  stage: string;
}

/** A flow's SLOs on one target (its own and every step's), or one step's. */
export interface FlowSloSpec {
  target: string;
  flow: string;
  step?: string;
}

export interface StreamSurvivalSpec {
  target: string;
  baseline?: string;
  /** Share of streams alive at the end of the hold. */
  atLeast: number;
  maxLostMessages: number;
}

/** How often a user meets a cold start after a quiet time: the cold share at one gap of the idle sweep. */
export interface ColdShareAtSpec {
  target: string;
  /** The gap, in ms: one of the idle sweep's gaps. */
  gap: number;
  /** The cold share allowed, as a share (0.05 for 5%). */
  atMost: number;
}

/** What a target holds within its SLO, from a capacity search: the whole target's rate, or one instance's. */
export interface CapacityAtLeastSpec {
  target: string;
  /** Requests per second. */
  atLeast: number;
  /** Judge the rate one instance held (held rate ÷ its instances) instead of the target's. */
  perInstance: boolean;
}

/** Each verdict kind by its key in a scenario's `verdicts:` list. */
export interface VerdictSpecs {
  coldStartReduction: ColdStartReductionSpec;
  loadMultiplier: LoadMultiplierSpec;
  slo: SloVerdictSpec;
  streamSurvival: StreamSurvivalSpec;
  flowSlo: FlowSloSpec;
  coldShareAt: ColdShareAtSpec;
  capacityAtLeast: CapacityAtLeastSpec;
}

export type VerdictKind = keyof VerdictSpecs;

/** One entry of `verdicts:`: exactly one key set (the schema refuses more). */
export type VerdictSpec = { [K in VerdictKind]?: VerdictSpecs[K] };

/** A gate's criterion against a baseline run: "p95 no more than 10% worse than main". */
export interface RelativeCriterion {
  target: string;
  /** e.g. coldStart.latency.p50, load.10x.latency.p95, stream.gap.p99. */
  metric: string;
  maxIncrease: number;
  confidence: number;
}

/** A criteria file: the verdicts a scenario takes, plus criteria relative to a baseline run. */
export interface Criteria {
  verdicts: VerdictSpec[];
  relative: RelativeCriterion[];
}
