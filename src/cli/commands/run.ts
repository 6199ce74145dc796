import type { RunOutcome } from '../../run-scenario.js';
import { runScenario } from '../../run-scenario.js';
import { loadScenarioFile } from '../../scenario/read.js';
import { ExitCode } from '../../model/errors.js';
import { influxSink, type InfluxConfig } from '../../sinks/influxdb.js';
import type { Segment } from '../../model/segment.js';
import { printResult } from '../print.js';
import { createProgress } from '../../sinks/progress.js';
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
  /** Live InfluxDB sink, when configured. */
  influx?: InfluxConfig;
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
): Promise<number> {
  const progress = createProgress({ stream: process.stderr });
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
      sinks: args.influx ? [progress, influxSink(args.influx)] : [progress],
    });
    progress.close();
    if (outcome.error) process.stderr.write(`run failed: ${outcome.error}\n`);
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
    return outcome.exitCode;
  } finally {
    signals.dispose();
  }
}
