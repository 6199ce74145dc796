/**
 * The main job as a library call: plan → runner → redaction → sinks (run directory, live
 * progress, …) → analysis → reports. The CLI and the demo are thin shells around this.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitCodeFor } from './analysis/outcome.js';
import type { Summary } from './model/summary.js';
import type { RunHeader } from './model/manifest.js';
import { CbError, ExitCode } from './model/errors.js';
import { loadRun } from './analysis/run-data.js';
import type { StoredRun } from './analysis/stored-run.js';
import { summarize } from './analysis/summarize.js';
import { writeReportFiles } from './report/write-reports.js';
import { runProbes } from './runner/run.js';
import type { Rehearsal } from './runner/warm-up.js';
import type { Emit, RunRecord } from './model/records.js';
import { applyOverrides, splits, runHeader, type Overrides, type Plan } from './scenario/plan.js';
import { WHOLE, type Segment } from './model/segment.js';
import type { Sink, SinkReport } from './model/sink.js';
import { openSinks, type SinkFanOut } from './sinks/sink.js';
import { createIntervalRecorder } from './store/intervals.js';
import { recordRedactor, redact } from './model/redact.js';
import { isOutputFull, outputError } from './store/output.js';
import { createRunWriter } from './store/run-writer.js';

/** How long the sinks get, after the last probe, to deliver what they hold and close. */
const SINK_CLOSE_DEADLINE_MS = 10_000;

export interface RunScenarioOptions extends Overrides {
  outDir: string;
  /** Also write report.html. */
  html?: boolean;
  signal?: AbortSignal;
  /** Live sinks beside the run directory (progress, InfluxDB); they see every record, redacted. */
  sinks?: Sink[];
  /** How long the sinks get to close after the last probe (default SINK_CLOSE_DEADLINE_MS). */
  sinkCloseMs?: number;
  /** This runner's execution segment: its share of every schedule (default: the whole). */
  segment?: Segment;
  /** This runner's name in the manifest and on InfluxDB points (default: the host name). */
  runner?: string;
  /** Called once the run directory exists, before the first probe. */
  onStart?: (info: { runId: string; dir: string }) => void;
}

export interface RunOutcome {
  runId: string;
  dir: string;
  summary: Summary;
  exitCode: number;
  error?: string;
  /** Sinks that dropped or failed records, or missed the close deadline. */
  sinkProblems: SinkReport[];
  /** Every sink's report, with what it said when it closed. */
  sinks: SinkReport[];
}

export async function runScenario(plan: Plan, options: RunScenarioOptions): Promise<RunOutcome> {
  const scenario = applyOverrides(plan.scenario, options);
  const segment = options.segment ?? WHOLE;
  refuseUnsplittable(scenario, segment, plan.file);
  // A run directory that can take no more (a full disk) stops the run as Ctrl-C would: what was written is kept.
  const outputFailed = new AbortController();
  let outputFailure: CbError | undefined;
  const noteOutputFailure = (failure: CbError) => {
    outputFailure ??= failure;
    outputFailed.abort(failure);
  };
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, outputFailed.signal]);
  const runner = options.runner ?? hostname();
  const header = runHeader(plan, scenario);
  const writer = createRunWriter(header, {
    outDir: options.outDir,
    runner,
    segment,
    manifestOptions: { samples: options.samples, only: options.only },
    onFailure: noteOutputFailure,
  });
  /** The files written after the measuring: on a full disk they are given up, the run's records kept. */
  const whileThereIsRoom = (write: () => void) => {
    try {
      write();
    } catch (thrown) {
      if (!isOutputFull(thrown)) throw thrown;
      noteOutputFailure(outputError(thrown, writer.dir));
    }
  };
  options.onStart?.({ runId: writer.runId, dir: writer.dir });
  const sinks = await openSinks([writer, ...(options.sinks ?? [])], { runId: writer.runId, dir: writer.dir, scenario: scenario.name, runner });
  const redactRecord = recordRedactor(plan.substitutions);
  const { intervals, emit } = recordPath(sinks, redactRecord);
  let error: string | undefined;
  try {
    await runProbes(scenario, {
      signal,
      segment,
      emit,
      flowData: plan.flowData,
      flowScripts: plan.flowScripts,
      rehearse: () => rehearsal(header, redactRecord),
    });
  } catch (thrown) {
    error = redact((thrown as Error).stack ?? String(thrown), plan.substitutions);
  }
  const totals = intervals.stop();
  whileThereIsRoom(() => writer.writeTotals(totals));
  if (outputFailure) error ??= `${outputFailure.code}: ${outputFailure.message}`;
  const status = outputFailure ? 'interrupted' : error ? 'failed' : signal.aborted ? 'interrupted' : 'completed';
  // The run is analysed once, when the store has closed: before the other sinks close if one
  // wants the judged run (InfluxDB writes the verdicts), else after. The reports are written
  // once, at the end, with what every sink delivered.
  let analysed: { run: StoredRun; summary: Summary } | undefined;
  const analyse = () => {
    const run = loadRun(writer.dir);
    return (analysed = { run, summary: summarize(run) });
  };
  const judge = options.sinks?.some((sink) => sink.needsSummary) ? () => ({ summary: analyse().summary }) : undefined;
  const closed = await sinks.close({ deadline: Date.now() + (options.sinkCloseMs ?? SINK_CLOSE_DEADLINE_MS), status, error }, judge);
  // What a sink says may echo what it was sent (a database answering with the request's headers).
  const reports = redact(closed, plan.substitutions);
  whileThereIsRoom(() => writer.noteSinks(reports));
  const { run, summary: judged } = analysed ?? analyse();
  const summary: Summary = { ...judged, sinks: reports };
  whileThereIsRoom(() => writeReportFiles(run, summary, { html: options.html }));
  const sinkProblems = reports.filter((r) => r.dropped > 0 || r.failed > 0 || r.error !== undefined);
  const exitCode = error || signal.aborted ? ExitCode.runFailed : exitCodeFor(summary.verdicts);
  return { runId: writer.runId, dir: writer.dir, summary, exitCode, error, sinkProblems, sinks: reports };
}

/**
 * Where the probes' records go: redacted once, before they fan out, so that the files and
 * every live sink see the same; the interval histograms see them too, and send each closed
 * interval to the sinks.
 */
function recordPath(sinks: SinkFanOut, redactRecord: (record: RunRecord) => RunRecord) {
  const intervals = createIntervalRecorder((interval) => sinks.record(interval));
  const emit: Emit = (record) => {
    const safe = redactRecord(record);
    intervals.add(safe);
    sinks.record(safe);
  };
  return { intervals, emit };
}

/**
 * A warm-up's records take the path a run's records take, built by the same code (redaction,
 * interval histograms, the sink fan-out, a run writer and its files) into a throwaway run
 * directory that is removed at the end: a fresh process otherwise compiled that code in its
 * first measured seconds, and recompiled whatever then met a second instance of a closure.
 * Not the totals file: that is written after the measuring, and the garbage of rehearsing it
 * cost a stream probe's first opens a GC.
 */
async function rehearsal(header: RunHeader, redactRecord: (record: RunRecord) => RunRecord): Promise<Rehearsal> {
  const outDir = mkdtempSync(join(tmpdir(), 'coldbench-rehearsal-'));
  try {
    const writer = createRunWriter(header, { outDir, runner: 'rehearsal', segment: WHOLE });
    const sinks = await openSinks([writer], { runId: writer.runId, dir: writer.dir, scenario: header.scenarioName, runner: 'rehearsal' });
    const { intervals, emit } = recordPath(sinks, redactRecord);
    return {
      emit,
      async end() {
        intervals.stop();
        await sinks
          .close({ deadline: Date.now() + SINK_CLOSE_DEADLINE_MS, status: 'completed' })
          .finally(() => rmSync(outDir, { recursive: true, force: true }));
      },
    };
  } catch (thrown) {
    rmSync(outDir, { recursive: true, force: true });
    throw thrown;
  }
}

/**
 * Probes that cannot be split (PROBE_PLANS' splits: cold start, capacity, a capacity search…)
 * are refused in a segment of a run.
 */
function refuseUnsplittable(scenario: Plan['scenario'], segment: Segment, file: string): void {
  if (segment.count === 1) return;
  const kinds = [...new Set(scenario.probes.filter((p) => !splits(p)).map((p) => (p.kind === 'load' ? 'capacity-search' : p.kind)))];
  if (kinds.length === 0) return;
  throw new CbError(
    'CB_USAGE',
    `${file} has ${kinds.join(' and ')} probes, which a segmented run (--segment ${segment.index}/${segment.count}) cannot split: a cold-start round compares targets at one moment from one process, a capacity probe is a closed model, a capacity search's next rate follows from its last step. Run them without --segment, or keep only load and stream probes in this scenario.`,
  );
}
