/** Runs a scenario's probes in order. Emits records; knows nothing of files or reports. */
import { unreachable } from '../model/errors.js';
import { declareProbes, probeName } from '../scenario/plan.js';
import type { Probe, Scenario } from '../scenario/schema.js';
import { runCapacityProbe } from './capacity.js';
import { monitorClientDelay } from './client-delay.js';
import { runColdstartProbe } from './coldstart.js';
import { runLoadProbe } from './load.js';
import type { Emit } from '../model/records.js';
import { WHOLE, type Segment } from '../model/segment.js';
import { runStreamProbe } from './stream.js';
import type { Rehearsal } from './warm-up.js';

export interface RunProbesOptions {
  emit: Emit;
  signal: AbortSignal;
  segment?: Segment;
  /** Where a probe's warm-up sends its records: through the store's code and then dropped. */
  rehearse: () => Rehearsal;
}

export async function runProbes(scenario: Scenario, { emit, signal, segment = WHOLE, rehearse }: RunProbesOptions): Promise<void> {
  for (const declared of declareProbes(scenario)) emit(declared);
  for (const [index, probe] of scenario.probes.entries()) {
    if (signal.aborted) return;
    const names = probe.targets ?? Object.keys(scenario.targets);
    const name = probeName(probe, index, scenario.probes);
    // Load and stream probes warm their path up before their schedule starts: that busy time is kept apart.
    const warmsUp = probe.kind === 'load' || probe.kind === 'stream';
    const client = monitorClientDelay(name, warmsUp ? 'warm-up' : probe.kind, emit);
    const context = {
      probeName: name,
      targets: names.map((target) => [target, scenario.targets[target]!] as const),
      emit: ((record) => {
        if (record.type === 'stage') client.setStage(record.stage);
        emit(record);
      }) satisfies Emit,
      signal,
      segment,
      rehearse,
      // A load probe's stage records move the monitor on; a stream probe says when its schedule starts.
      warmedUp: () => client.setStage(probe.kind),
    };
    try {
      await runProbe(probe, context);
    } finally {
      client.stop();
    }
  }
}

type ProbeContext = Omit<Parameters<typeof runLoadProbe>[0], 'probe'> & { warmedUp(): void };

function runProbe(probe: Probe, context: ProbeContext): Promise<void> {
  switch (probe.kind) {
    case 'coldstart':
      return runColdstartProbe({ ...context, probe });
    case 'load':
      return runLoadProbe({ ...context, probe });
    case 'capacity':
      return runCapacityProbe({ ...context, probe });
    case 'stream':
      return runStreamProbe({ ...context, probe });
    default:
      return unreachable(probe);
  }
}
