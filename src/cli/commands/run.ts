import type { RunOutcome } from '../../run-scenario.js';
import { runScenario } from '../../run-scenario.js';
import { loadScenarioFile } from '../../scenario/read.js';
import { ExitCode } from '../../model/errors.js';
import { createLiveSinks, type SinkFlags } from '../../sinks/registry.js';
import type { Segment } from '../../model/segment.js';
import { printResult } from '../print.js';
import { abortOnSignals } from '../signals.js';

export interface RunArgs {
  scenario: string;
  out: string;
  samples?: number;
  only?: string[];
  json: boolean;
  html: boolean;
  /** Requests per second no arrival rate may exceed. */
  maxRate: number;
  /** The parsed flags the live sinks are configured from (sinks/registry.ts). */
  sinkFlags: SinkFlags;
  runner?: string;
  segment?: Segment;
}

export async function runCommand(args: RunArgs): Promise<number> {
  const plan = await loadScenarioFile(args.scenario, { maxRate: args.maxRate });
  return runAndPrint(args, (options) => runScenario(plan, options));
}

/** Shared by `run` and `demo`: progress on stderr, the result on stdout, signals handled. */
export async function runAndPrint(
  args: Omit<RunArgs, 'scenario'>,
  start: (options: Parameters<typeof runScenario>[1]) => Promise<RunOutcome>,
  printMore?: (outcome: RunOutcome) => Promise<void>,
): Promise<number> {
  const sinks = await createLiveSinks(args.sinkFlags);
  const signals = abortOnSignals(() => undefined, ExitCode.runFailed);
  try {
    const outcome = await start({
      outDir: args.out,
      html: args.html,
      samples: args.samples,
      only: args.only,
      signal: signals.signal,
      onStart: ({ dir }) => process.stderr.write(`writing ${dir}\n`),
      runner: args.runner,
      segment: args.segment,
      sinks,
    });
    // The first line says what; the whole error (a stack for a bug) is in the manifest.
    if (outcome.error) process.stderr.write(`run failed: ${outcome.error.split('\n')[0]}\n`);
    for (const sink of outcome.sinks) {
      const lost =
        sink.dropped || sink.failed
          ? ` (${sink.dropped} records dropped, ${sink.failed} failed${sink.error ? `: ${sink.error}` : ''})`
          : sink.error
            ? ` (${sink.error})`
            : '';
      if (sink.note || lost) process.stderr.write(`${sink.name}: ${sink.note ?? ''}${lost}\n`);
    }
    printResult(outcome.summary, outcome.dir, args.json);
    await printMore?.(outcome);
    return outcome.exitCode;
  } finally {
    signals.dispose();
  }
}
