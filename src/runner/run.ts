/** Runs a scenario's probes in order. Emits records; knows nothing of files or reports. */
import { runIdleSweep } from './idle-sweep.js';
import { runCapacitySearch } from './capacity-search.js';
import type { ProbeKind } from '../model/probe-kinds.js';
import { declareProbes, probeName } from '../scenario/plan.js';
import type { LoadedFlowScript } from '../model/flow-script.js';
import type { DataRow } from '../scenario/flow-data.js';
import type { Probe, Scenario } from '../scenario/schema.js';
import { runCapacityProbe } from './capacity.js';
import { monitorClientDelay, type ClientDelayMonitor } from './client-delay.js';
import { runColdstartProbe } from './coldstart.js';
import { runFlowProbe } from './flow.js';
import { runLoadProbe } from './load.js';
import type { Emit } from '../model/records.js';
import { WHOLE, type Segment } from '../model/segment.js';
import type { ProbeContext } from './probe-context.js';
import { runStreamProbe } from './stream.js';
import type { Rehearsal } from './warm-up.js';

export interface RunProbesOptions {
  emit: Emit;
  /** Each flow probe's data rows and script, by probe index (scenario/plan.ts Plan.flowData, Plan.flowScripts). */
  flowData?: ReadonlyMap<number, readonly DataRow[]>;
  flowScripts?: ReadonlyMap<number, LoadedFlowScript>;
  signal: AbortSignal;
  segment?: Segment;
  /** Where a probe's warm-up sends its records: through the store's code and then dropped. */
  rehearse: () => Promise<Rehearsal>;
}

export async function runProbes(scenario: Scenario, { emit, signal, segment = WHOLE, rehearse, flowData, flowScripts }: RunProbesOptions): Promise<void> {
  for (const declared of declareProbes(scenario)) emit(declared);
  for (const [index, probe] of scenario.probes.entries()) {
    if (signal.aborted) return;
    const names = probe.targets ?? Object.keys(scenario.targets);
    const name = probeName(probe, index, scenario.probes);
    const client = monitorClientDelay(name, PROBE_RUNNERS[probe.kind].warmsUp ? 'warm-up' : probe.kind, emit);
    const context: ProbeContext<Probe> = {
      probe,
      probeName: name,
      targets: names.map((target) => [target, scenario.targets[target]!] as const),
      emit: probeEmit(client, emit),
      signal,
      segment,
      rehearse: async () => {
        const rehearsal = await rehearse();
        return { ...rehearsal, emit: probeEmit(client, rehearsal.emit) };
      },
      // A load probe's stage records move the monitor on; a stream probe says when its schedule starts.
      warmedUp: () => client.setStage(probe.kind),
      inputs: {
        vars: scenario.vars,
        rows: flowData?.get(index),
        mode: (probe.kind === 'flow' && probe.data?.mode) || 'cycle',
        ...(flowScripts?.has(index) && { script: flowScripts.get(index)! }),
      },
    };
    try {
      await runProbe(context);
    } finally {
      client.stop();
    }
  }
}

/**
 * A probe's records, its stage records moving the client-delay monitor on. A warm-up's go
 * through this same function, so the measured path calls nothing it has not called before.
 */
function probeEmit(client: ClientDelayMonitor, emit: Emit): Emit {
  return (record) => {
    if (record.type === 'stage') client.setStage(record.stage);
    emit(record);
  };
}

/**
 * The runner of each probe kind, and whether it warms its path up before its schedule (that
 * busy time is then kept apart from the measured client delay).
 */
const PROBE_RUNNERS: { [K in ProbeKind]: { run(context: ProbeContext<Extract<Probe, { kind: K }>>): Promise<void>; warmsUp: boolean } } = {
  coldstart: { run: runColdstartProbe, warmsUp: false },
  load: { run: (context) => (context.probe.search ? runCapacitySearch(context) : runLoadProbe(context)), warmsUp: true },
  capacity: { run: runCapacityProbe, warmsUp: false },
  stream: { run: runStreamProbe, warmsUp: true },
  flow: { run: runFlowProbe, warmsUp: false },
  idleSweep: { run: runIdleSweep, warmsUp: false },
};

function runProbe(context: ProbeContext<Probe>): Promise<void> {
  return (PROBE_RUNNERS[context.probe.kind].run as (context: ProbeContext<Probe>) => Promise<void>)(context);
}
