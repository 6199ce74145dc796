/**
 * The main job as a library call: plan → runner → run store → analysis → reports.
 * The CLI and the demo are thin shells around this.
 */
import { exitCodeFor } from './analysis/outcome.js';
import type { Summary } from './analysis/summary-schema.js';
import { ExitCode } from './model/errors.js';
import { writeReports } from './report/write-reports.js';
import type { RunRecord } from './model/records.js';
import { runProbes } from './runner/run.js';
import { applyOverrides, type Overrides } from './scenario/plan.js';
import type { Plan } from './scenario/load.js';
import { recordRedactor } from './store/redact.js';
import { createRunWriter } from './store/run-writer.js';

export interface RunScenarioOptions extends Overrides {
  outDir: string;
  /** Also write report.html. */
  html?: boolean;
  signal?: AbortSignal;
  /** Sees every record as it lands (live progress); must not block. */
  onRecord?: (record: RunRecord) => void;
  /** Called once the run directory exists, before the first probe. */
  onStart?: (info: { runId: string; dir: string }) => void;
}

export interface RunOutcome {
  runId: string;
  dir: string;
  summary: Summary;
  exitCode: number;
  error?: string;
}

export async function runScenario(plan: Plan, options: RunScenarioOptions): Promise<RunOutcome> {
  const scenario = applyOverrides(plan.scenario, options);
  const signal = options.signal ?? new AbortController().signal;
  const writer = createRunWriter(
    { ...plan, scenario },
    { outDir: options.outDir, manifestOptions: { samples: options.samples, only: options.only } },
  );
  options.onStart?.({ runId: writer.runId, dir: writer.dir });
  let error: string | undefined;
  // Redacted once, before the records fan out: the files and the live progress see the same.
  const redactRecord = recordRedactor(plan.substitutions);
  try {
    await runProbes(scenario, {
      signal,
      emit: (record) => {
        const safe = redactRecord(record);
        writer.write(safe);
        options.onRecord?.(safe);
      },
    });
  } catch (thrown) {
    error = (thrown as Error).stack ?? String(thrown);
  }
  writer.finish({ interrupted: signal.aborted, error });
  const summary = writeReports(writer.dir, { html: options.html });
  const exitCode = error || signal.aborted ? ExitCode.runFailed : exitCodeFor(summary.verdicts);
  return { runId: writer.runId, dir: writer.dir, summary, exitCode, error };
}
