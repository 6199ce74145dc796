/** A stored run → summary.json. Pure: reads nothing but its argument. */
import { unreachable } from '../model/errors.js';
import type { Verdict } from '../scenario/schema.js';
import type { StoredRun } from './run-data.js';
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
 * `verdicts` defaults to the run's; a gate passes those of its criteria file. Without any,
 * every declared probe SLO is judged (verdicts/declared-slo.ts).
 */
export function summarize(run: StoredRun, verdictSpecs?: readonly Verdict[]): Summary {
  const targets: Summary['targets'] = {};
  for (const name of run.manifest.targets) targets[name] = {};
  for (const probe of run.probes) {
    for (const target of probe.targets) {
      const entry = targets[target];
      if (!entry) continue;
      switch (probe.kind) {
        case 'coldstart':
          entry.coldStart = summarizeColdStart(probe.probe, target, run.coldstart, run.histograms);
          break;
        case 'load':
          entry.load = { ...entry.load, ...summarizeLoad(run, probe, target) };
          break;
        case 'capacity': {
          const capacity = summarizeCapacity(run, probe.probe, target);
          if (capacity) entry.capacity = capacity;
          break;
        }
        case 'stream':
          entry.stream = summarizeStream(run, probe, target);
          break;
        default:
          unreachable(probe.kind);
      }
    }
  }
  const specs = verdictSpecs ?? run.manifest.verdicts;
  const verdicts: VerdictResult[] =
    specs.length === 0
      ? declaredSloVerdicts(run.probes, targets)
      : specs.map((verdict) => {
          if (verdict.coldStartReduction) return coldStartReduction(verdict.coldStartReduction, run.coldstart, coldstartLoopDelay(run));
          if (verdict.loadMultiplier) return loadMultiplierVerdict(verdict.loadMultiplier, targets);
          if (verdict.streamSurvival) return streamSurvivalVerdict(verdict.streamSurvival, targets);
          return sloVerdict(verdict.slo!, targets);
        });
  return {
    schemaVersion: 1,
    runId: run.manifest.runId,
    scenario: run.manifest.scenarioName,
    status: run.manifest.status,
    interrupted: run.manifest.interrupted,
    incomplete: run.incomplete,
    startedAt: run.manifest.startedAt,
    endedAt: run.manifest.endedAt ?? null,
    targets,
    client: clientSummary(run.histograms),
    sinks: run.manifest.sinks ?? [],
    verdicts,
    unjudgedSlos: specs.length === 0 ? [] : unjudgedSlos(run.probes, specs),
  };
}

/** The cold-start probe's client delay (one cold-start probe per scenario). */
function coldstartLoopDelay(run: StoredRun) {
  const probe = run.probes.find((p) => p.kind === 'coldstart');
  return probe ? eventLoopDelay(run.histograms, probe.probe, 'coldstart') : null;
}
