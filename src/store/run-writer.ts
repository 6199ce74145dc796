/**
 * Writes a run directory as the run goes (a Sink): the manifest first, every sample appended
 * to samples.jsonl as it lands, series records to series.jsonl, every interval histogram to
 * intervals.hlog (lines batched for at most 50 ms, flushed on exit, so a crash or Ctrl-C
 * loses nothing already measured); the histogram totals and the final manifest at the end.
 * The totals come from the interval recorder, which holds them as histograms already: the
 * writer decoding every interval again cost milliseconds a second on the measuring loop.
 */
import { join } from 'node:path';
import { RUN_FILES } from '../model/files.js';
import type { Segment } from '../model/segment.js';
import type { RunRecord } from '../model/records.js';
import type { RunEnd, Sink, SinkReport } from '../model/sink.js';
import { openAppendLog } from './append-log.js';
import { openLoadSampleLog } from './load-sample-file.js';
import type { HistogramSet } from './histograms.js';
import { intervalLogHeader, intervalLogLine } from './interval-log.js';
import type { Provenance, RunHeader, RunManifest, RunStatus } from '../model/manifest.js';
import { newManifest } from './manifest.js';
import type { CbError } from '../model/errors.js';
import { makeDirectory, outputError, writeFileAtomic } from './output.js';
import { sampleLine } from './sample-line.js';
import { newWriteStalls } from './write-stalls.js';

export interface RunWriter extends Sink {
  readonly runId: string;
  readonly dir: string;
  /** The manifest as last written (final after close). */
  manifest(): RunManifest;
  /**
   * `endedAt` (epoch ms) when the records end before now (an import's last request); a merge
   * may end `running` (a runner that never recorded its end) and `interrupted` with another status.
   */
  close(end: Omit<RunEnd, 'status'> & { status: RunStatus; endedAt?: number; interrupted?: boolean; incomplete?: string[] }): void;
  /** A merge's samples: another run directory's samples.jsonl, its complete lines; returns the bytes of a torn last line left out. */
  appendSamplesFrom(path: string): number;
  /** Adds what every sink delivered, dropped and failed to the final manifest. */
  noteSinks(reports: SinkReport[]): void;
  /** histograms.json: the sums of every interval, for other tools (analysis reads the interval log). */
  writeTotals(totals: HistogramSet): void;
}

export interface RunWriterOptions {
  outDir: string;
  runner: string;
  segment: Segment;
  runId?: string;
  manifestOptions?: RunManifest['options'];
  /** Who produced the records, when not this process's run (an import names its tool and runners). */
  provenance?: Provenance;
  /** Epoch ms the records begin, when not now (an import's first request). */
  startedAt?: number;
  /**
   * Hears the first write that fails (CB_OUTPUT_FULL on a full disk): a run stops then, and
   * keeps what was written. Without it the error is thrown from the write.
   */
  onFailure?: (error: CbError) => void;
}

/**
 * The one way a run directory is written: a run's records as they happen, or an importer's
 * as it reads them, so that every run directory looks the same to what reads it.
 */
export function createRunWriter(header: RunHeader, options: RunWriterOptions): RunWriter {
  const runId = options.runId ?? newRunId(header.scenarioName);
  const dir = join(options.outDir, runId);
  makeDirectory(options.outDir, 'the run directory under');
  makeDirectory(dir, 'the run directory');
  let manifest: RunManifest = {
    ...newManifest(runId, header, { name: options.runner, segment: options.segment }, options.manifestOptions ?? {}),
    ...(options.provenance && { provenance: options.provenance }),
    ...(options.startedAt !== undefined && { startedAt: new Date(options.startedAt).toISOString() }),
  };
  const writeJson = (name: string, value: unknown) => writeFileAtomic(join(dir, name), JSON.stringify(value, null, 2) + '\n');
  writeJson(RUN_FILES.manifest, manifest);
  let failure: CbError | undefined;
  const noteFailure = (error: unknown, name: string) => {
    if (failure) return;
    failure = outputError(error, join(dir, name));
    if (!options.onFailure) throw failure;
    options.onFailure(failure);
  };
  const stalls = newWriteStalls();
  const log = (name: string) => openAppendLog(join(dir, name), (error) => noteFailure(error, name), { stalls });
  const samples = log(RUN_FILES.samples);
  const loadSamples = openLoadSampleLog(
    join(dir, RUN_FILES.loadSamples),
    join(dir, RUN_FILES.dictionary),
    (error) => noteFailure(error, RUN_FILES.loadSamples),
    { stalls },
  );
  const series = log(RUN_FILES.series);
  const intervals = log(RUN_FILES.intervals);
  intervals.append(intervalLogHeader(Date.parse(manifest.startedAt)));
  let closed = false;

  return {
    name: 'run directory',
    runId,
    dir,
    manifest: () => manifest,
    record(record: RunRecord) {
      // Records arrive redacted (store/redact.ts recordRedactor, applied where they fan out).
      switch (record.type) {
        case 'sample':
          if (record.kind === 'load') loadSamples.append(record);
          else samples.append(sampleLine(record));
          break;
        case 'checkpoint':
          samples.append(sampleLine(record));
          break;
        case 'interval':
          intervals.append(intervalLogLine(record));
          break;
        case 'probe':
          // A stage's first request then adds no dictionary entry in the middle of the schedule.
          if (record.kind === 'load') loadSamples.declare([record.probe, ...record.targets, ...(record.stages ?? []).map((stage) => stage.name)]);
          series.append(JSON.stringify(record) + '\n');
          break;
        case 'tick':
        case 'stage':
        case 'abort':
        case 'stream-tick':
          series.append(JSON.stringify(record) + '\n');
          break;
        case 'client': {
          // The client's loop delay and what of it this writer caused, side by side.
          const writeStallMs = Math.round(stalls.within(record.startedAt, record.endedAt));
          series.append(JSON.stringify(writeStallMs > 0 ? { ...record, writeStallMs } : record) + '\n');
          break;
        }
      }
    },
    close({ status, error, endedAt, interrupted = status === 'interrupted', incomplete }) {
      if (closed) return;
      closed = true;
      samples.close();
      loadSamples.close();
      series.close();
      intervals.close();
      manifest = {
        ...manifest,
        endedAt: new Date(endedAt ?? Date.now()).toISOString(),
        status,
        interrupted,
        ...(error !== undefined && { error }),
        ...(incomplete?.length && { incomplete }),
      };
      writeJson(RUN_FILES.manifest, manifest);
    },
    appendSamplesFrom(path) {
      return samples.appendWholeLinesOf(path);
    },
    writeTotals(totals) {
      writeJson(RUN_FILES.histograms, totals.toFile());
    },
    noteSinks(reports) {
      manifest = { ...manifest, sinks: reports };
      writeJson(RUN_FILES.manifest, manifest);
    },
  };
}

/** `20261127-130000Z-<label>-abcd`: sorts by time, names what it holds, never collides in practice. */
export function newRunId(label: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');
  return `${stamp}-${label}-${Math.random().toString(36).slice(2, 6)}`;
}
