/**
 * The verdict registry of analysis: each verdict kind's judge by its key. A kind that
 * model/verdict-specs.ts names and this map lacks fails the build.
 */
import type { Summary, VerdictResult } from '../../model/summary.js';
import type { VerdictKind, VerdictSpec, VerdictSpecs } from '../../model/verdict-specs.js';
import { eventLoopDelay } from '../client.js';
import type { StoredRun } from '../stored-run.js';
import { coldStartReduction } from './cold-start-reduction.js';
import { loadMultiplierVerdict, sloVerdict } from './stage-slo.js';
import { streamSurvivalVerdict } from './stream-survival.js';
import { flowSloVerdict } from './flow-slo.js';
import { coldShareAtVerdict } from './cold-share-at.js';
import { capacityAtLeastVerdict } from './capacity-at-least.js';

/** Judges one verdict from the stored run and the summary's per-target sections. */
type Judge<K extends VerdictKind> = (spec: VerdictSpecs[K], run: StoredRun, targets: Summary['targets']) => VerdictResult;

const JUDGES: { [K in VerdictKind]: Judge<K> } = {
  coldStartReduction: (spec, run) => coldStartReduction(spec, run.coldstart, coldstartLoopDelay(run)),
  loadMultiplier: (spec, _run, targets) => loadMultiplierVerdict(spec, targets),
  slo: (spec, _run, targets) => sloVerdict(spec, targets),
  streamSurvival: (spec, _run, targets) => streamSurvivalVerdict(spec, targets),
  flowSlo: (spec, _run, targets) => flowSloVerdict(spec, targets),
  coldShareAt: (spec, _run, targets) => coldShareAtVerdict(spec, targets),
  capacityAtLeast: (spec, _run, targets) => capacityAtLeastVerdict(spec, targets),
};

export function judge(spec: VerdictSpec, run: StoredRun, targets: Summary['targets']): VerdictResult {
  // The schema lets exactly one key through.
  const kind = Object.keys(spec)[0] as VerdictKind;
  return (JUDGES[kind] as Judge<VerdictKind>)(spec[kind] as VerdictSpecs[VerdictKind], run, targets);
}

/** The cold-start probe's client delay (one cold-start probe per scenario). */
function coldstartLoopDelay(run: StoredRun) {
  const probe = run.probes.find((p) => p.kind === 'coldstart');
  return probe ? eventLoopDelay(run.histograms, probe.probe, 'coldstart') : null;
}
