/** Runs a scenario's probes in order. Emits records; knows nothing of files or reports. */
import { probeName } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import { runColdstartProbe } from './coldstart.js';
import type { Emit } from './records.js';

export async function runProbes(scenario: Scenario, { emit, signal }: { emit: Emit; signal: AbortSignal }): Promise<void> {
  for (const [index, probe] of scenario.probes.entries()) {
    if (signal.aborted) return;
    const names = probe.targets ?? Object.keys(scenario.targets);
    const targets = names.map((name) => [name, scenario.targets[name]!] as const);
    const name = probeName(probe, index, scenario.probes);
    switch (probe.kind) {
      case 'coldstart':
        await runColdstartProbe({ probe, probeName: name, targets, emit, signal });
        break;
    }
  }
}
