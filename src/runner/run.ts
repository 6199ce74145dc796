/** Runs a scenario's probes in order. Emits records; knows nothing of files or reports. */
import { probeName } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import { runCapacityProbe } from './capacity.js';
import { runColdstartProbe } from './coldstart.js';
import { runLoadProbe } from './load.js';
import type { Emit } from './records.js';
import { runStreamProbe } from './stream.js';

export async function runProbes(scenario: Scenario, { emit, signal }: { emit: Emit; signal: AbortSignal }): Promise<void> {
  for (const [index, probe] of scenario.probes.entries()) {
    if (signal.aborted) return;
    const names = probe.targets ?? Object.keys(scenario.targets);
    const context = {
      probeName: probeName(probe, index, scenario.probes),
      targets: names.map((name) => [name, scenario.targets[name]!] as const),
      emit,
      signal,
    };
    switch (probe.kind) {
      case 'coldstart':
        await runColdstartProbe({ ...context, probe });
        break;
      case 'load':
        await runLoadProbe({ ...context, probe });
        break;
      case 'capacity':
        await runCapacityProbe({ ...context, probe });
        break;
      case 'stream':
        await runStreamProbe({ ...context, probe });
        break;
    }
  }
}
