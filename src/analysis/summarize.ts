/** A stored run → summary.json. Pure: reads nothing but its argument. */
import { unreachable } from '../model/errors.js';
import { planStages, probeName } from '../scenario/plan.js';
import type { Verdict } from '../scenario/schema.js';
import type { StoredRun } from '../store/run-dir.js';
import { summarizeCapacity } from './capacity.js';
import { clientSummary, eventLoopDelay } from './client.js';
import { summarizeColdStart } from './coldstart.js';
import { summarizeLoad } from './load.js';
import { summarizeStream } from './stream.js';
import type { Summary, VerdictResult } from './summary-schema.js';
import { coldStartReduction } from './verdicts/cold-start-reduction.js';
import { declaredSloVerdicts, unjudgedSlos } from './verdicts/declared-slo.js';
import { loadMultiplierVerdict, sloVerdict } from './verdicts/stage-slo.js';
import { streamSurvivalVerdict } from './verdicts/stream-survival.js';

/**
 * `verdicts` defaults to the scenario's; a gate passes those of its criteria file. Without
 * any, every declared probe SLO is judged (verdicts/declared-slo.ts).
 */
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
        default:
          unreachable(probe);
      }
    }
  });
  const specs = verdictSpecs ?? scenario.verdicts;
  const verdicts: VerdictResult[] =
    specs.length === 0
      ? declaredSloVerdicts(scenario, targets)
      : specs.map((verdict) => {
          if (verdict.coldStartReduction) return coldStartReduction(verdict.coldStartReduction, run.samples, coldstartLoopDelay(run));
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
    client: clientSummary(run.histograms),
    verdicts,
    unjudgedSlos: specs.length === 0 ? [] : unjudgedSlos(scenario, specs),
  };
}

/** The cold-start probe's client delay (one cold-start probe per scenario). */
function coldstartLoopDelay(run: StoredRun) {
  const { scenario } = run.manifest;
  const index = scenario.probes.findIndex((probe) => probe.kind === 'coldstart');
  return index < 0 ? null : eventLoopDelay(run.histograms, probeName(scenario.probes[index]!, index, scenario.probes), 'coldstart');
}
