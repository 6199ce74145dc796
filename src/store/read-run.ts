/**
 * A run directory read once, in order, with the rules for what a crash leaves: the manifest and
 * series.jsonl whole (they are small), then every interval and every sample handed to the
 * caller as it is read. Histogram totals come from the interval log, or from the samples when
 * the log is missing or the run never recorded its end (the log then ends up to a second
 * before the samples). A stream connection a crash left open is handed over, after the last
 * sample, as an interrupted connection as far as its last checkpoint.
 */
import { decodeHistogram, type Histogram } from '../model/histogram.js';
import {
  CLIENT_TARGET,
  type IntervalRecord,
  type ProbeDeclared,
  type SeriesRecord,
  type StoredSample,
  type StreamCheckpoint,
  type StreamSample,
} from '../model/records.js';
import { HistogramSet } from './histograms.js';
import { openRunDirectory, readIntervals, readSamples, readSeries, type RunDirectory } from './run-dir.js';
import { sampleMetrics, sampleTime } from './sample-metrics.js';

export interface RunContents extends RunDirectory {
  probes: ProbeDeclared[];
  /** Ticks, stage starts, aborts, stream ticks and client ticks, in file order. */
  series: Exclude<SeriesRecord, ProbeDeclared>[];
  /** Whole-run histograms per target × probe × stage × metric. */
  histograms: HistogramSet;
  /** Where the histograms came from: the interval log, or the samples (no log, or a run that never recorded its end). */
  histogramsFrom: 'intervals' | 'samples';
}

export interface RunVisitor {
  interval?(interval: IntervalRecord, histogram: Histogram): void;
  /** Every sample and checkpoint in file order, then the connections a crash left open. */
  sample(record: StoredSample): void;
}

/** `visit` is asked for its visitor once the manifest and series are read (stage starts are known then). */
export function readRun<R extends RunContents>(dir: string, extend: (contents: RunContents) => R, visit: (run: R) => RunVisitor): R {
  const run = extend({ ...openRunDirectory(dir), probes: [], series: [], histograms: new HistogramSet(), histogramsFrom: 'intervals' });
  readSeries(run, (record) => (record.type === 'probe' ? run.probes.push(record) : run.series.push(record)));
  const visitor = visit(run);
  const crashed = run.manifest.status === 'running';
  const logged = readIntervals(run, (interval, histogram) => {
    if (!crashed) run.histograms.addInterval(interval, histogram);
    visitor.interval?.(interval, histogram);
  });
  if (logged && crashed) run.incomplete.push(`histograms rebuilt from the samples: the interval log of a run that did not finish misses its last second`);
  const fromLog = logged && !crashed;
  if (!fromLog) {
    run.histogramsFrom = 'samples';
    for (const tick of run.series) {
      if (tick.type === 'client')
        run.histograms.merge(
          { target: CLIENT_TARGET, probe: tick.probe, stage: tick.stage, metric: 'loop' },
          decodeHistogram(tick.loopDelayHistogram),
          tick.startedAt,
          tick.endedAt,
        );
    }
  }
  // The last checkpoint of each connection not yet ended: what a crash leaves of it.
  const open = new Map<string, StreamCheckpoint>();
  const connectionKey = (r: StreamSample | StreamCheckpoint) => JSON.stringify([r.probe, r.target, r.stream, r.attempt]);
  readSamples(run, (sample) => {
    if (!fromLog) {
      if (sample.type === 'sample' && sample.kind === 'capacity' && sample.latencyHistogram)
        run.histograms.merge(
          { target: sample.target, probe: sample.probe, stage: 'capacity', metric: 'latency' },
          decodeHistogram(sample.latencyHistogram),
          sample.startedAt,
          sample.endedAt,
        );
      for (const [key, ms] of sampleMetrics(sample)) run.histograms.record(key, ms, sampleTime(sample));
    }
    if (sample.type === 'checkpoint') open.set(connectionKey(sample), { ...sample, gapsMs: [] });
    else if (sample.kind === 'stream') open.delete(connectionKey(sample));
    visitor.sample(sample);
  });
  for (const checkpoint of open.values()) visitor.sample(interruptedAt(checkpoint));
  return run;
}

/** A connection a crash left open, as far as its last checkpoint: interrupted, not dropped. */
function interruptedAt(checkpoint: StreamCheckpoint): StreamSample {
  const { type: _type, checkpoint: count, at, ...progress } = checkpoint;
  return {
    ...progress,
    type: 'sample',
    kind: 'stream',
    endedAfterMs: at - checkpoint.startedAt,
    outcome: 'interrupted',
    checkpoints: count,
    openingCheckpointed: true,
  };
}
