/** The coldbench command line: parses arguments, calls the library, prints. Nothing else. */
import yargs from 'yargs';
import { CbError, ExitCode } from '../model/errors.js';
import { INFLUX_FLAGS, influxConfig, LIVE_SINK_FLAGS, type SinkFlags } from '../sinks/registry.js';
import { parseSegment, type Segment } from '../model/segment.js';
import { parseDuration, parseRate } from '../model/units.js';
import { TOOL_VERSION } from '../model/version.js';

/** A safety cap against typos that would flood a production service; raise it deliberately. */
const DEFAULT_MAX_RATE = '1000/s';

const rateOption = (value: string) => {
  const perSecond = parseRate(String(value)) ?? (Number.isFinite(Number(value)) ? Number(value) : undefined);
  if (perSecond === undefined || perSecond <= 0) throw new CbError('CB_USAGE', `--max-rate expects a rate like 1000/s, got "${value}"`);
  return perSecond;
};

const durationOption = (value: string | undefined) => {
  if (value === undefined) return undefined;
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new CbError('CB_USAGE', `expected a duration like 500ms, 2s or 15m, got "${value}"`);
  return ms;
};

/** A whole number within [min, max], or a usage error naming the option. */
const integerOption =
  (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: unknown) => {
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new CbError(
        'CB_USAGE',
        `--${name} expects a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got "${String(value)}"`,
      );
    }
    return number;
  };

/** cost, and report --prices: what a run costs on the platforms of a price sheet. */
const pricingOptions = {
  prices: {
    type: 'string',
    array: true,
    describe: 'Price sheet (YAML, schema/prices.schema.json; examples/prices/); repeat it to compare sheets in one table',
  },
  traffic: { type: 'string', default: '10k,50k,500k,2M/month', describe: 'Requests a month, comma-separated' },
  'peak-to-mean': { type: 'number', default: 4, describe: 'Peak rate ÷ mean rate: what Kubernetes pods are sized for' },
  within: { type: 'string', default: '10%', describe: "The widest 90% interval's half-width, as a share of the cost, still predictable" },
  instances: {
    type: 'number',
    coerce: integerOption('instances', 1),
    describe: 'Instances behind each target, for a run without instance ids (an assumption, printed as one)',
  },
} as const;

/** gate, report and compare: judge a run that did not complete instead of exiting 4. */
const allowIncomplete = {
  type: 'boolean',
  default: false,
  describe: 'Judge an interrupted, failed or crashed run as it stands instead of exiting 4',
} as const;

function segmentOption(value: string | undefined): Segment | undefined {
  if (value === undefined) return undefined;
  const segment = parseSegment(value);
  if (!segment) throw new CbError('CB_USAGE', `--segment expects i/N with 1 ≤ i ≤ N, e.g. 2/4, got "${value}"`);
  return segment;
}

/** What `run` and `demo` take alike: the run options, and the flags the live sinks are made from. */
function runArgs(args: { out: string; samples?: number; json: boolean; html: boolean; maxRate: string; runner?: string } & SinkFlags) {
  return { out: args.out, samples: args.samples, json: args.json, html: args.html, maxRate: rateOption(args.maxRate), sinkFlags: args, runner: args.runner };
}

export async function main(argv: string[]): Promise<void> {
  let exitCode: number = ExitCode.pass;
  const runOptions = {
    out: { type: 'string', default: 'reports', describe: 'Directory that receives the run directory' },
    samples: { type: 'string', describe: 'Override the rounds of cold-start probes', coerce: integerOption('samples', 1) },
    json: { type: 'boolean', default: false, describe: 'Print summary.json to stdout instead of tables' },
    html: { type: 'boolean', default: false, describe: 'Also write report.html (self-contained, with charts)' },
    'max-rate': {
      type: 'string',
      default: DEFAULT_MAX_RATE,
      describe: 'Hard cap on any arrival rate per target; a scenario above it is rejected',
    },
    runner: { type: 'string', describe: "This runner's name in the manifest and its tag on InfluxDB points (default: this host name)" },
  } as const;
  /** What every `import` takes: where the run goes, the summary as JSON, and SLOs to judge it by (another tool's output holds none). */
  const importOptions = {
    out: runOptions.out,
    json: runOptions.json,
    slo: {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'An SLO to judge every imported stage by, as a scenario\'s slo: ("p95=< 800ms", "successRate=>= 99.9%")',
    },
  } as const;

  const cli = yargs(argv)
    .scriptName('coldbench')
    .version(TOOL_VERSION)
    .strict()
    .usage('$0 <command>\n\nCold-start, load and stream benchmarks of side-by-side deployments.')
    .command(
      'run <scenario>',
      'Run a scenario file and write a run directory',
      (y) =>
        y
          .positional('scenario', { type: 'string', demandOption: true, describe: 'Scenario YAML file' })
          .options(runOptions)
          .options(LIVE_SINK_FLAGS)
          .option('only', { type: 'string', array: true, describe: 'Run only these targets' })
          .option('segment', {
            type: 'string',
            describe:
              "This runner's share i/N of every schedule (an execution segment, as k6 splits them): runners 1/N … N/N together send it all; merge their run directories",
            coerce: segmentOption,
          }),
      async (args) => {
        exitCode = await (await import('./commands/run.js')).runCommand({ ...runArgs(args), scenario: args.scenario, only: args.only, segment: args.segment });
      },
    )
    .command(
      'report <runDir>',
      'Recompute summary.json and report.md (and report.html) from a run directory',
      (y) =>
        y
          .positional('runDir', { type: 'string', demandOption: true })
          .option('json', runOptions.json)
          .option('html', { type: 'boolean', default: false, describe: 'Also write report.html, self-contained with charts' })
          .options(pricingOptions)
          .option('allow-incomplete', allowIncomplete),
      async (args) => {
        exitCode = await (
          await import('./commands/report.js')
        ).reportCommand({
          runDir: args.runDir,
          json: args.json,
          html: args.html,
          allowIncomplete: args.allowIncomplete,
          ...(args.prices && {
            pricing: { prices: args.prices, traffic: args.traffic, peakToMean: args.peakToMean, within: args.within, instances: args.instances },
          }),
        });
      },
    )
    .command(
      'samples <runDir>',
      "Stream a run's stored samples as JSON lines or CSV, for people and other tools",
      (y) =>
        y
          .positional('runDir', { type: 'string', demandOption: true })
          .option('format', { choices: ['jsonl', 'csv'] as const, default: 'jsonl' as const })
          .option('where', {
            type: 'string',
            describe: 'Only samples where every field=value holds: target=k8s,stage=10x|1x (fields: kind, target, probe, stage, ok, status, error, code)',
          })
          .option('allow-incomplete', allowIncomplete),
      async (args) => {
        exitCode = (await import('./commands/samples.js')).samplesCommand({
          runDir: args.runDir,
          format: args.format,
          where: args.where,
          allowIncomplete: args.allowIncomplete,
        });
      },
    )
    .command(
      'gate <runDir>',
      'Judge a run for CI: exit code, JUnit XML, Markdown summary',
      (y) =>
        y
          .positional('runDir', { type: 'string', demandOption: true })
          .option('criteria', {
            type: 'string',
            describe: 'Criteria file (verdicts, and criteria relative to a baseline run) instead of the scenario verdicts',
          })
          .option('baseline-run', { type: 'string', describe: 'Run directory the relative criteria compare with' })
          .option('junit', { type: 'string', describe: 'Write JUnit XML here' })
          .option('markdown', { type: 'string', describe: 'Write a Markdown summary here (also to $GITHUB_STEP_SUMMARY when set)' })
          .option('json', runOptions.json)
          .option('allow-incomplete', allowIncomplete),
      async (args) => {
        exitCode = await (
          await import('./commands/gate.js')
        ).gateCommand({
          runDir: args.runDir,
          criteria: args.criteria,
          baselineRun: args.baselineRun,
          junit: args.junit,
          markdown: args.markdown,
          json: args.json,
          allowIncomplete: args.allowIncomplete,
        });
      },
    )
    .command(
      'compare <runA> [runB]',
      'Compare a target across two runs, or two targets of one run (--baseline, --candidate)',
      (y) =>
        y
          .positional('runA', { type: 'string', demandOption: true })
          .positional('runB', { type: 'string' })
          .option('target', { type: 'string', describe: 'Only this target (two runs)' })
          .option('baseline', { type: 'string', describe: 'Baseline target (one run)' })
          .option('candidate', { type: 'string', describe: 'Candidate target (one run)' })
          .option('json', runOptions.json)
          .option('allow-incomplete', allowIncomplete),
      async (args) => {
        exitCode = (await import('./commands/compare.js')).compareCommand({
          runA: args.runA,
          runB: args.runB,
          target: args.target,
          baseline: args.baseline,
          candidate: args.candidate,
          json: args.json,
          allowIncomplete: args.allowIncomplete,
        });
      },
    )
    .command(
      'cost <runDir>',
      "What each platform of a price sheet costs a month at each traffic level, from the run's instance time and capacity per instance",
      (y) =>
        y
          .positional('runDir', { type: 'string', demandOption: true })
          .options(pricingOptions)
          .option('prices', { ...pricingOptions.prices, demandOption: true })
          .option('json', runOptions.json),
      async (args) => {
        exitCode = await (
          await import('./commands/cost.js')
        ).costCommand({
          runDir: args.runDir,
          prices: args.prices,
          traffic: args.traffic,
          peakToMean: args.peakToMean,
          within: args.within,
          instances: args.instances,
          json: args.json,
        });
      },
    )
    .command(
      'demo',
      'Start the embedded scale-to-zero and always-on platforms and run scenarios/demo.yaml (or --scenario) against them',
      (y) =>
        y
          .options(runOptions)
          .options(LIVE_SINK_FLAGS)
          .option('http2', {
            type: 'boolean',
            default: false,
            describe: 'The platforms also serve h2c and the targets ask for HTTP/2 (DEMO_HTTP_VERSION=2)',
          })
          .option('scenario', {
            type: 'string',
            describe:
              'Another scenario to run against the platforms (their URLs in DEMO_SCALE_TO_ZERO_URL and DEMO_ALWAYS_ON_URL), e.g. scenarios/llm-chat-flow.yaml',
          })
          .option('decision', {
            type: 'boolean',
            default: false,
            conflicts: 'scenario',
            describe:
              'Run scenarios/decision.yaml: how often a user meets a cold start after a quiet time (idle sweep), what one instance holds (capacity search), and what each platform costs (examples/prices/)',
          }),
      async (args) => {
        exitCode = await (
          await import('./commands/demo.js')
        ).demoCommand({ ...runArgs(args), scenario: args.scenario, decision: args.decision, http2: args.http2 });
      },
    )
    .command(
      'k6 <scenario>',
      'Write the scenario as k6 TypeScript scripts (typed with @types/k6) and k6-operator TestRuns',
      (y) =>
        y
          .positional('scenario', { type: 'string', demandOption: true, describe: 'Scenario YAML file' })
          .option('out', { type: 'string', default: 'k6', describe: 'Directory for the scripts' })
          .option('parallelism', { type: 'string', default: '1', describe: 'k6-operator runners per TestRun', coerce: integerOption('parallelism', 1) }),
      async (args) => {
        exitCode = await (await import('./commands/k6.js')).k6Command({ scenario: args.scenario, out: args.out, parallelism: args.parallelism ?? 1 });
      },
    )
    .command(
      'import <tool> <files..>',
      "Read another tool's per-request results into a run directory: k6 JSON or CSV output (one file per runner), Vegeta's results (vegeta encode --to json or --to csv; one target per attack name), or autocannon's JSON result (autocannon -j; one file per target, its percentiles only); .gz too",
      (y) =>
        y
          .positional('tool', { choices: ['k6', 'vegeta', 'autocannon'] as const, demandOption: true })
          .positional('files', { type: 'string', array: true, demandOption: true })
          .options(importOptions)
          .option('stage', { type: 'string', describe: 'vegeta: the stage name the requests go under (default vegeta); k6 output carries its own stage tags' }),
      async (args) => {
        exitCode = await (await import('./commands/import.js')).importCommand(args);
      },
    )
    .command(
      'merge <runDirs..>',
      'Merge the run directories of runners that each ran one --segment into one run directory',
      (y) => y.positional('runDirs', { type: 'string', array: true, demandOption: true }).option('out', runOptions.out).option('json', runOptions.json),
      async (args) => {
        exitCode = (await import('./commands/merge.js')).mergeCommand({ runDirs: args.runDirs, out: args.out, json: args.json });
      },
    )
    .command(
      'export influx <runDir>',
      'Write a stored run to InfluxDB with its original timestamps (a backfill; writing twice changes nothing)',
      (y) => y.positional('runDir', { type: 'string', demandOption: true }).options(INFLUX_FLAGS).option('allow-incomplete', allowIncomplete),
      async (args) => {
        const influx = await influxConfig(args);
        if (!influx) throw new CbError('CB_USAGE', 'export influx needs --influx-url (or COLDBENCH_INFLUX_URL) and --influx-bucket');
        exitCode = await (await import('./commands/export.js')).exportInfluxCommand({ runDir: args.runDir, influx, allowIncomplete: args.allowIncomplete });
      },
    )
    .command(
      'manifests check <paths..>',
      'Check Kubernetes manifests (deploy/, k6-operator TestRuns, your edited copies) against the schemas a cluster applies: every problem as file:line object path',
      (y) => y.positional('paths', { type: 'string', array: true, demandOption: true, describe: 'YAML files, or directories of them' }),
      async (args) => {
        exitCode = await (await import('./commands/manifests.js')).manifestsCheckCommand(args.paths);
      },
    )
    .command(
      'platform <kind>',
      'Run an embedded platform in the foreground (a stand-in for Cloud Run or Kubernetes)',
      (y) =>
        y
          .positional('kind', { choices: ['scale-to-zero', 'always-on'] as const, demandOption: true })
          .option('port', { type: 'string', default: '0', describe: '0 picks a free port', coerce: integerOption('port', 0, 65535) })
          .option('host', { type: 'string', default: '127.0.0.1' })
          .option('startup-delay', { type: 'string', default: '500ms', describe: 'Instance startup (image pull + model load)' })
          .option('idle', { type: 'string', default: '1s', describe: 'scale-to-zero: stop an instance idle this long' })
          .option('concurrency', {
            type: 'string',
            default: '80',
            describe: 'scale-to-zero: requests per instance before another starts',
            coerce: integerOption('concurrency', 1),
          })
          .option('max-request-duration', { type: 'string', describe: 'End requests older than this (Cloud Run request timeout)' })
          .option('replicas', { type: 'string', default: '2', describe: 'always-on: instances kept running', coerce: integerOption('replicas', 1) })
          .option('standby', {
            type: 'string',
            default: '0',
            describe: 'scale-to-zero: processes booted ahead, so a scale-out costs the startup delay but no process boot',
            coerce: integerOption('standby', 0),
          })
          .option('http2', { type: 'boolean', default: false, describe: 'Also serve HTTP/2 by prior knowledge (h2c) on the same port' }),
      async (args) => {
        exitCode = await (
          await import('./commands/platform.js')
        ).platformCommand({
          kind: args.kind,
          // Each has a default, so the coerced value is always there.
          port: args.port!,
          host: args.host,
          startupDelay: durationOption(args.startupDelay)!,
          idle: durationOption(args.idle)!,
          concurrency: args.concurrency!,
          maxRequestDuration: durationOption(args.maxRequestDuration),
          http2: args.http2,
          replicas: args.replicas!,
          standby: args.standby!,
        });
      },
    )
    .option('debug', { type: 'boolean', default: false, describe: 'Print the stack of an error that stops coldbench' })
    .demandCommand(1, 'name a command')
    .epilog(
      'Exit codes: 0 pass, 1 a verdict failed, 2 inconclusive or too few samples, 3 bad scenario or usage, 4 the run failed or was interrupted (gate, report, compare: the run did not complete; --allow-incomplete judges it anyway), 5 coldbench itself failed.',
    )
    .fail((message, error) => {
      // yargs reports a bad option (and a coerce that threw) as a YError: a usage error, exit 3.
      if (error?.name === 'YError') throw new CbError('CB_USAGE', error.message.replace(/^CB_USAGE: /, ''));
      throw error ?? new CbError('CB_USAGE', message);
    })
    .help();

  const debug = argv.includes('--debug');
  // Whatever escapes a command (a timer's throw, a rejection nobody awaited) exits with the crash code, never 1 (a failed verdict).
  const crash = (error: unknown) => process.exit(reportError(error, debug));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  // `coldbench compare … | head -1`: a closed pipe ends the output, not the process with a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') crash(error);
    process.exit(exitCode);
  });
  try {
    await cli.parseAsync();
  } catch (error) {
    exitCode = reportError(error, debug);
  }
  process.exitCode = exitCode;
}

/** What reaches the user of an error: its code and message (a CbError's details too); a stack only with --debug. */
function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CbError) {
    process.stderr.write(
      [`${error.code}: ${error.message}`, ...error.details.map((d) => `  ${d}`), ...(debug && error.stack ? [error.stack] : [])].join('\n') + '\n',
    );
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  const detail = debug ? `\n${(error as Error)?.stack ?? ''}` : ' (run with --debug for the stack)';
  process.stderr.write(`CB_INTERNAL: coldbench failed: ${message.split('\n')[0]}${detail}\n`);
  return ExitCode.crashed;
}
