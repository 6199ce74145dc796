/**
 * Writes a run directory as the run goes: the manifest first, every sample appended to
 * samples.jsonl the moment it lands (so a crash or Ctrl-C loses nothing already measured),
 * histograms and the final manifest at the end.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../scenario/load.js';
import type { RunRecord } from '../runner/records.js';
import { HistogramSet } from './histograms.js';
import { newManifest, type RunManifest } from './manifest.js';
import { redact } from './redact.js';
import { sampleMetrics } from './sample-metrics.js';

export const RUN_FILES = {
  manifest: 'manifest.json',
  samples: 'samples.jsonl',
  histograms: 'histograms.json',
  summary: 'summary.json',
  report: 'report.md',
} as const;

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
  mkdirSync(dir, { recursive: true });
  const manifest = newManifest(runId, plan, options.manifestOptions ?? {});
  const writeJson = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value, null, 2) + '\n');
  writeJson(RUN_FILES.manifest, manifest);
  const samplesFd = openSync(join(dir, RUN_FILES.samples), 'a');
  const histograms = new HistogramSet();
  let finished = false;

  return {
    runId,
    dir,
    histograms,
    write(record) {
      if (record.type !== 'sample' || finished) return;
      // Only an error message can carry a secret (a URL with credentials, a header echoed back).
      const safe = record.error ? { ...record, error: redact(record.error, plan.substitutions) } : record;
      writeSync(samplesFd, JSON.stringify(safe) + '\n');
      for (const [key, ms] of sampleMetrics(record)) histograms.record(key, ms, record.startedAt);
    },
    finish({ interrupted, error }) {
      if (!finished) {
        finished = true;
        closeSync(samplesFd);
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
