/**
 * Turns records into 1-second interval histograms, one per target × probe × stage × metric,
 * aligned to epoch seconds so that runners on other machines add up second by second. Each
 * interval goes out as a record (model IntervalRecord): the run writer logs it, live sinks
 * read per-second percentiles from it, totals are sums of it.
 */
import { decodeHistogram, encodeHistogram, keyOf, msToUs, newHistogram, type Histogram, type HistogramKey } from '../model/histogram.js';
import { CLIENT_TARGET, type IntervalRecord, type LoadSample, type RunRecord } from '../model/records.js';
import { HistogramSet } from './histograms.js';
import { LOAD_METRICS, sampleMetrics } from './sample-metrics.js';

const INTERVAL_MS = 1000;

export interface IntervalRecorder {
  add(record: RunRecord): void;
  /** Emits what the current interval holds, stops the timer, and gives the sums of every interval. */
  stop(): HistogramSet;
}

export function createIntervalRecorder(emit: (interval: IntervalRecord) => void, now: () => number = Date.now): IntervalRecorder {
  const open = new Map<string, { key: HistogramKey; histogram: Histogram }>();
  const totals = new HistogramSet();
  // Load samples come by the tens of thousands a second: their histograms are found by three
  // lookups with no key built and no array allocated (target → probe → stage → LOAD_METRICS order).
  const loadHistograms = new Map<string, Map<string, Map<string, Histogram[]>>>();
  const loadHistogramsFor = ({ target, probe, stage }: Pick<LoadSample, 'target' | 'probe' | 'stage'>) => {
    let byProbe = loadHistograms.get(target);
    if (!byProbe) loadHistograms.set(target, (byProbe = new Map()));
    let byStage = byProbe.get(probe);
    if (!byStage) byProbe.set(probe, (byStage = new Map()));
    let histograms = byStage.get(stage);
    if (!histograms) byStage.set(stage, (histograms = LOAD_METRICS.map(([metric]) => histogramFor({ target, probe, stage, metric }))));
    return histograms;
  };
  let startedAt = now();
  let timer: NodeJS.Timeout | undefined;
  /** The epoch second the open interval ends at. */
  let boundary = (Math.floor(startedAt / INTERVAL_MS) + 1) * INTERVAL_MS;

  const histogramFor = (key: HistogramKey) => {
    const id = keyOf(key);
    let entry = open.get(id);
    if (!entry) open.set(id, (entry = { key, histogram: newHistogram() }));
    return entry.histogram;
  };
  /**
   * Intervals closed at a boundary, copied out so recording goes on, and encoded one per turn
   * of the event loop: encoding them all at once stalled the loop that sends the requests for
   * milliseconds every second, which showed as schedule lag.
   */
  const pending: Array<{ key: HistogramKey; histogram: Histogram; startedAt: number; endedAt: number }> = [];
  const spare: Histogram[] = [];
  let draining = false;
  const emitNext = (): boolean => {
    const next = pending.shift();
    if (!next) return false;
    const { key, histogram, startedAt, endedAt } = next;
    emit({ type: 'interval', ...key, startedAt, endedAt, count: histogram.totalCount, maxUs: histogram.maxValue, histogram: encodeHistogram(histogram) });
    totals.merge(key, histogram, startedAt, endedAt);
    histogram.reset();
    spare.push(histogram);
    return true;
  };
  const drainOnePerTurn = () => {
    draining = emitNext();
    if (draining) setImmediate(drainOnePerTurn);
  };
  /**
   * At a second's end (the timer) the interval ends on the boundary itself, so runners on other
   * machines line up. The next boundary is a second later at least: a timer that fires a little
   * early must not close a second interval on the same boundary (two intervals of one start,
   * which a time-series database keeps as one).
   */
  const flush = (atBoundary: boolean) => {
    const endedAt = atBoundary ? boundary : now();
    if (atBoundary) boundary = Math.max(boundary + INTERVAL_MS, (Math.floor(now() / INTERVAL_MS) + 1) * INTERVAL_MS);
    for (const { key, histogram } of open.values()) {
      if (histogram.totalCount === 0) continue;
      const closed = spare.pop() ?? newHistogram();
      closed.add(histogram);
      histogram.reset();
      pending.push({ key, histogram: closed, startedAt, endedAt });
    }
    startedAt = endedAt;
    if (!atBoundary) while (emitNext());
    else if (!draining) {
      draining = true;
      setImmediate(drainOnePerTurn);
    }
  };
  const schedule = () => {
    timer = setTimeout(
      () => {
        flush(true);
        schedule();
      },
      Math.max(0, boundary - now()),
    );
    timer.unref();
  };
  schedule();

  return {
    add(record) {
      if (record.type === 'sample' && record.kind === 'load') {
        if (!record.ok) return;
        const histograms = loadHistogramsFor(record);
        for (let i = 0; i < LOAD_METRICS.length; i++) {
          const ms = record[LOAD_METRICS[i]![1]];
          if (typeof ms === 'number') histograms[i]!.recordValue(msToUs(ms));
        }
      } else if (record.type === 'sample' || record.type === 'checkpoint') {
        if (record.type === 'sample' && record.kind === 'capacity') {
          if (record.latencyHistogram)
            histogramFor({ target: record.target, probe: record.probe, stage: 'capacity', metric: 'latency' }).add(decodeHistogram(record.latencyHistogram));
          return;
        }
        for (const [key, ms] of sampleMetrics(record)) histogramFor(key).recordValue(msToUs(ms));
      } else if (record.type === 'client') {
        histogramFor({ target: CLIENT_TARGET, probe: record.probe, stage: record.stage, metric: 'loop' }).add(decodeHistogram(record.loopDelayHistogram));
      } else if (record.type === 'probe' && record.kind === 'load') {
        // Every stage's histograms exist before its first request: made at its start, their making
        // deoptimised the request path's code there (a 16 ms callback as a stage began).
        for (const target of record.targets) for (const { name } of record.stages ?? []) loadHistogramsFor({ target, probe: record.probe, stage: name });
      }
    },
    stop() {
      clearTimeout(timer);
      flush(false);
      return totals;
    },
  };
}
