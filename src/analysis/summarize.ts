/** A stored run → summary.json. Pure: reads nothing but its argument. */
import { planStages, probeName } from '../scenario/plan.js';
import type { Verdict } from '../scenario/schema.js';
import type { StoredRun } from '../store/run-dir.js';
import { summarizeCapacity } from './capacity.js';
import { summarizeColdStart } from './coldstart.js';
import { summarizeLoad } from './load.js';
import { summarizeStream } from './stream.js';
import type { Summary, VerdictResult } from './summary-schema.js';
import { coldStartReduction } from './verdicts/cold-start-reduction.js';
import { loadMultiplierVerdict, sloVerdict } from './verdicts/stage-slo.js';
import { streamSurvivalVerdict } from './verdicts/stream-survival.js';

/** `verdicts` defaults to the scenario's; a gate passes those of its criteria file. */
export function summarize(run: StoredRun, verdictSpecs?: readonly Verdict[]): Summary {
  const { scenario } = run.manifest;
  const targets: Summary['targets'] = {};
  for (const name of Object.keys(scenario.targets)) targets[name] = {};
  scenario.probes.forEach((probe, index) => {
    const name = probeName(probe, index, scenario.probes);
    for (const target of probe.targets ?? Object.keys(scenario.targets)) {
      const entry = targets[target];
      if (!entry) continue;
      switch (probe.kind) {
        case 'coldstart':
          entry.coldStart = summarizeColdStart(name, target, run.samples, run.histograms);
          break;
        case 'load':
          entry.load = { ...entry.load, ...summarizeLoad(run, probe, name, planStages(probe), target) };
          break;
        case 'capacity': {
          const capacity = summarizeCapacity(run, name, target);
          if (capacity) entry.capacity = capacity;
          break;
        }
        case 'stream':
          entry.stream = summarizeStream(run, probe, name, target);
          break;
      }
    }
  });
  const verdicts: VerdictResult[] = (verdictSpecs ?? scenario.verdicts).map((verdict) => {
    if (verdict.coldStartReduction) return coldStartReduction(verdict.coldStartReduction, run.samples);
    if (verdict.loadMultiplier) return loadMultiplierVerdict(verdict.loadMultiplier, targets);
    if (verdict.streamSurvival) return streamSurvivalVerdict(verdict.streamSurvival, targets);
    return sloVerdict(verdict.slo!, targets);
  });
  return {
    schemaVersion: 1,
    runId: run.manifest.runId,
    scenario: scenario.name,
    status: run.manifest.status,
    interrupted: run.manifest.interrupted,
    incomplete: run.incomplete,
    startedAt: run.manifest.startedAt,
    endedAt: run.manifest.endedAt ?? null,
    targets,
    verdicts,
  };
}
