/** Every latency of a run, one HDR histogram per target × probe × stage × metric. */
import { decodeHistogram, encodeHistogram, keyOf, msToUs, newHistogram, type Histogram, type HistogramKey } from '../model/histogram.js';
import type { IntervalRecord } from '../model/records.js';

export interface StoredHistogram extends HistogramKey {
  startTimeMs: number;
  endTimeMs: number;
  count: number;
  encoded: string;
}

export interface HistogramsFile {
  version: 1;
  unit: 'us';
  histograms: StoredHistogram[];
}

export class HistogramSet {
  readonly byKey = new Map<string, { key: HistogramKey; histogram: Histogram }>();

  record(key: HistogramKey, ms: number, atEpochMs: number): void {
    const histogram = this.entryFor(key, atEpochMs);
    histogram.recordValue(msToUs(ms));
    histogram.endTimeStampMsec = Math.max(histogram.endTimeStampMsec, atEpochMs);
  }

  /** Adds a whole histogram recorded elsewhere (an interval), in µs. */
  merge({ target, probe, stage, metric }: HistogramKey, other: Histogram, startTimeMs: number, endTimeMs: number): void {
    const histogram = this.entryFor({ target, probe, stage, metric }, startTimeMs);
    histogram.add(other);
    histogram.endTimeStampMsec = Math.max(histogram.endTimeStampMsec, endTimeMs);
  }

  private entryFor(key: HistogramKey, startTimeMs: number): Histogram {
    const id = keyOf(key);
    let entry = this.byKey.get(id);
    if (!entry) {
      entry = { key, histogram: newHistogram() };
      entry.histogram.startTimeStampMsec = startTimeMs;
      this.byKey.set(id, entry);
    }
    entry.histogram.startTimeStampMsec = Math.min(entry.histogram.startTimeStampMsec, startTimeMs);
    return entry.histogram;
  }

  /** Adds one interval of the interval log. */
  addInterval(interval: IntervalRecord, histogram: Histogram): void {
    this.merge(interval, histogram, interval.startedAt, interval.endedAt);
  }

  get(key: HistogramKey): Histogram | undefined {
    return this.byKey.get(keyOf(key))?.histogram;
  }

  toFile(): HistogramsFile {
    const histograms = [...this.byKey.values()]
      .map(({ key, histogram }) => ({
        ...key,
        startTimeMs: histogram.startTimeStampMsec,
        endTimeMs: histogram.endTimeStampMsec,
        count: histogram.totalCount,
        encoded: encodeHistogram(histogram),
      }))
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    return { version: 1, unit: 'us', histograms };
  }

  /** Throws, naming what is wrong, on a file that is not a histograms file (the reader then rebuilds). */
  static fromFile(file: HistogramsFile): HistogramSet {
    const set = new HistogramSet();
    if (!Array.isArray(file?.histograms)) throw new Error('no list of histograms');
    for (const [index, stored] of file.histograms.entries()) {
      if (typeof stored?.encoded !== 'string' || typeof stored.target !== 'string' || typeof stored.metric !== 'string')
        throw new Error(`entry ${index} is not a histogram`);
      const histogram = decodeHistogram(stored.encoded);
      histogram.startTimeStampMsec = stored.startTimeMs;
      histogram.endTimeStampMsec = stored.endTimeMs;
      const { target, probe, stage, metric } = stored;
      set.byKey.set(keyOf(stored), { key: { target, probe, stage, metric }, histogram });
    }
    return set;
  }
}
