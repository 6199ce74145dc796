/** A stored run → summary.json. Pure: reads nothing but its argument. */
import { probeName } from '../scenario/plan.js';
import type { StoredRun } from '../store/run-dir.js';
import { summarizeColdStart } from './coldstart.js';
import type { Summary, VerdictResult } from './summary-schema.js';
import { coldStartReduction } from './verdicts/cold-start-reduction.js';

export function summarize(run: StoredRun): Summary {
  const { scenario } = run.manifest;
  const targets: Summary['targets'] = {};
  const ranTargets = Object.keys(scenario.targets);
  for (const name of ranTargets) targets[name] = {};
  scenario.probes.forEach((probe, index) => {
    const name = probeName(probe, index, scenario.probes);
    for (const target of probe.targets ?? ranTargets) {
      if (!targets[target]) continue;
      if (probe.kind === 'coldstart') targets[target].coldStart = summarizeColdStart(name, target, run.samples, run.histograms);
    }
  });
  const verdicts: VerdictResult[] = scenario.verdicts.flatMap((verdict) =>
    verdict.coldStartReduction ? [coldStartReduction(verdict.coldStartReduction, run.samples)] : [],
  );
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
