/**
 * Writes a run directory as the run goes: the manifest first, every sample appended to
 * samples.jsonl as it lands (batched for at most 50 ms, flushed on exit, so a crash or Ctrl-C
 * loses nothing already measured), ticks to series.jsonl, histograms and the final manifest
 * at the end.
 */
import { join } from 'node:path';
import type { Plan } from '../scenario/load.js';
import type { RunRecord } from '../model/records.js';
import { HistogramSet } from './histograms.js';
import { newManifest, type RunManifest } from './manifest.js';
import { redact } from './redact.js';
import { openAppendLog } from './append-log.js';
import { makeDirectory, writeFileAtomic } from './output.js';
import { RUN_FILES } from '../model/files.js';

export interface RunWriter {
  readonly runId: string;
  readonly dir: string;
  readonly histograms: HistogramSet;
  write(record: RunRecord): void;
  finish(outcome: { interrupted: boolean; error?: string }): RunManifest;
}

export function createRunWriter(plan: Plan, options: { outDir: string; runId?: string; manifestOptions?: RunManifest['options'] }): RunWriter {
  const runId = options.runId ?? newRunId(plan.scenario.name);
  const dir = join(options.outDir, runId);
  makeDirectory(options.outDir, 'the run directory under');
  makeDirectory(dir, 'the run directory');
  const manifest = newManifest(runId, plan, options.manifestOptions ?? {});
  const writeJson = (name: string, value: unknown) => writeFileAtomic(join(dir, name), JSON.stringify(value, null, 2) + '\n');
  writeJson(RUN_FILES.manifest, manifest);
  const samples = openAppendLog(join(dir, RUN_FILES.samples));
  const series = openAppendLog(join(dir, RUN_FILES.series));
  const histograms = new HistogramSet();
  let finished = false;

  return {
    runId,
    dir,
    histograms,
    write(record) {
      if (finished) return;
      // Records arrive redacted (store/redact.ts recordRedactor, applied where they fan out).
      if (record.type === 'sample') {
        samples.append(record);
        histograms.add(record);
      } else if (record.type === 'tick' || record.type === 'stage' || record.type === 'abort' || record.type === 'stream-tick' || record.type === 'client') {
        series.append(record);
        histograms.add(record);
      }
    },
    finish({ interrupted, error }) {
      if (!finished) {
        finished = true;
        samples.close();
        series.close();
      }
      writeJson(RUN_FILES.histograms, histograms.toFile());
      const final: RunManifest = {
        ...manifest,
        endedAt: new Date().toISOString(),
        status: error ? 'failed' : interrupted ? 'interrupted' : 'completed',
        interrupted,
        ...(error !== undefined && { error: redact(error, plan.substitutions) }),
      };
      writeJson(RUN_FILES.manifest, final);
      return final;
    },
  };
}

function newRunId(scenarioName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  return `${stamp}-${scenarioName}-${Math.random().toString(36).slice(2, 6)}`;
}
