/** A stored run → summary.json. Pure: reads nothing but its argument. */
import type { ProbeKind } from '../model/probe-kinds.js';
import type { HttpProtocol, ProbeDeclared } from '../model/records.js';
import type { VerdictSpec } from '../model/verdict-specs.js';
import { stageKey, type StoredRun } from './stored-run.js';
import { summarizeCapacity } from './capacity.js';
import { summarizeCapacitySearch, type SearchStep } from './capacity-search.js';
import { clientSummary } from './client.js';
import { summarizeColdStart } from './coldstart.js';
import { summarizeFlow } from './flow.js';
import { summarizeIdleSweep } from './idle-sweep.js';
import { summarizeLoad } from './load.js';
import { summarizeStream } from './stream.js';
import type { LoadStageSummary, Summary, VerdictResult } from '../model/summary.js';
import { declaredSloVerdicts, unjudgedSlos } from './verdicts/declared-slo.js';
import { judge } from './verdicts/judge.js';

/** Each probe kind's section of a target's summary. */
const SECTIONS: { [K in ProbeKind]: (run: StoredRun, probe: ProbeDeclared, target: string, entry: Summary['targets'][string]) => void } = {
  coldstart: (run, probe, target, entry) => {
    entry.coldStart = summarizeColdStart(
      probe.probe,
      target,
      run.coldstart,
      run.histograms,
      probe.steps?.map((step) => step.name),
    );
  },
  load: (run, probe, target, entry) => {
    const stages = summarizeLoad(run, probe, target);
    entry.load = { ...entry.load, ...stages };
    if (probe.search) entry.capacitySearch = summarizeCapacitySearch(probe.probe, probe.search, searchSteps(run, probe.probe, target, stages));
  },
  capacity: (run, probe, target, entry) => {
    const capacity = summarizeCapacity(run, probe.probe, target);
    if (capacity) entry.capacity = capacity;
  },
  idleSweep: (run, probe, target, entry) => {
    entry.idleSweep = summarizeIdleSweep(probe.probe, probe.gapsMs ?? [], target, run.idleSweep, run.histograms);
  },
  stream: (run, probe, target, entry) => {
    entry.stream = summarizeStream(run, probe, target);
  },
  flow: (run, probe, target, entry) => {
    entry.flow = { ...entry.flow, [probe.probe]: summarizeFlow(run, probe, target) };
  },
};

/** A capacity search's judged steps (not their warm-ups), in order, with each second's median latency. */
function searchSteps(run: StoredRun, probe: string, target: string, stages: Record<string, LoadStageSummary>): SearchStep[] {
  return run.series.flatMap((record) =>
    record.type === 'stage' && record.probe === probe && record.target === target && !record.warmUp && stages[record.stage]
      ? [
          {
            stage: record.stage,
            load: stages[record.stage]!,
            secondMediansMs: (run.seconds.get(stageKey(probe, target, record.stage)) ?? []).map((s) => s.p50Ms),
          },
        ]
      : [],
  );
}

/**
 * `verdicts` defaults to the run's; a gate passes those of its criteria file. Without any,
 * every declared probe SLO is judged (verdicts/declared-slo.ts).
 */
export function summarize(run: StoredRun, verdictSpecs?: readonly VerdictSpec[]): Summary {
  const targets: Summary['targets'] = {};
  for (const name of run.manifest.targets) targets[name] = {};
  for (const probe of run.probes) {
    for (const target of probe.targets) {
      const entry = targets[target];
      if (entry) SECTIONS[probe.kind](run, probe, target, entry);
    }
  }
  for (const [target, entry] of Object.entries(targets)) {
    const http2 = spokenProtocols(run, target);
    if (http2) entry.http2 = http2;
  }
  const specs = verdictSpecs ?? run.manifest.verdicts;
  const verdicts: VerdictResult[] = specs.length === 0 ? declaredSloVerdicts(run.probes, targets) : specs.map((spec) => judge(spec, run, targets));
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

/** What a target that asked for HTTP/2 spoke: its single-connection samples and the connections its load ticks counted. */
function spokenProtocols(run: StoredRun, target: string): Summary['targets'][string]['http2'] {
  const counts = { ...run.protocols.get(target) };
  for (const record of run.series) {
    if (record.type !== 'tick' || record.target !== target || !record.httpProtocols) continue;
    for (const [protocol, n] of Object.entries(record.httpProtocols) as Array<[HttpProtocol, number]>) counts[protocol] = (counts[protocol] ?? 0) + n;
  }
  const h2 = counts.h2 ?? 0;
  const http1 = counts['http/1.1'] ?? 0;
  return h2 + http1 > 0 ? { connections: h2 + http1, h2, http1 } : undefined;
}
