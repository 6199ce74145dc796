import { join } from 'node:path';
import { generateK6 } from '../../k6/script.js';
import { loadScenarioFile } from '../../scenario/read.js';
import { makeDirectory, writeOutputFile } from '../../store/output.js';

/** Writes the k6 scripts and TestRuns of a scenario and says, per probe, what was written or why not. */
export async function k6Command(args: { scenario: string; out: string; parallelism: number }): Promise<number> {
  // k6 sends the load here, not coldbench: coldbench's own --max-rate cap does not apply.
  const plan = await loadScenarioFile(args.scenario, { maxRate: Number.POSITIVE_INFINITY });
  const { files, notes } = generateK6(plan, { parallelism: args.parallelism });
  makeDirectory(args.out, 'the k6 scripts');
  for (const file of files) writeOutputFile(join(args.out, file.name), file.text, '--out');
  for (const note of notes) process.stdout.write(`${note}\n`);
  return 0;
}
