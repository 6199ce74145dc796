/**
 * The interval log (intervals.hlog): the HdrHistogram log format v1.3, one tagged line per
 * interval histogram, readable by Java's HistogramLogReader and HistogramLogAnalyzer. The
 * tag is `target/probe/stage/metric`; values are µs, so Interval_Max is written in ms.
 * Lines are written from the already-encoded interval records: hdr-histogram-js's
 * HistogramLogWriter would decode and re-encode each one, and its start-time comment adds a
 * blank line.
 */
import { decodeHistogram, encodeHistogram, type Histogram, type HistogramKey } from '../model/histogram.js';
import type { IntervalRecord } from '../model/records.js';
import { HistogramSet } from './histograms.js';

const INTERVAL_LOG_VERSION = '1.3';

export function intervalLogHeader(startedAtMs: number): string {
  return (
    `#[Histogram log format version ${INTERVAL_LOG_VERSION}]\n` +
    `#[StartTime: ${(startedAtMs / 1000).toFixed(3)} (seconds since epoch), ${new Date(startedAtMs).toISOString()}]\n` +
    '#[Values in microseconds; Tag=target/probe/stage/metric]\n' +
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n'
  );
}

export function intervalLogLine(interval: IntervalRecord): string {
  const start = interval.startedAt / 1000;
  const length = (interval.endedAt - interval.startedAt) / 1000;
  return `Tag=${tagOf(interval)},${start.toFixed(3)},${length.toFixed(3)},${(interval.maxUs / 1000).toFixed(3)},${interval.histogram}\n`;
}

/** Names may hold any character but these, which the log format or the tag's own separator reserve. */
const escapePart = (part: string) => part.replace(/[%,/\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

export const tagOf = (key: HistogramKey): string => [key.target, key.probe, key.stage, key.metric].map(escapePart).join('/');

function keyOfTag(tag: string): HistogramKey | undefined {
  const parts = tag.split('/').map((part) => decodeURIComponent(part));
  if (parts.length !== 4) return undefined;
  const [target, probe, stage, metric] = parts as [string, string, string, string];
  return { target, probe, stage, metric };
}

/** One log line back as a record and its histogram; undefined for comments and the legend; throws, naming why, on a damaged line. */
export function parseIntervalLogLine(line: string): { interval: IntervalRecord; histogram: Histogram } | undefined {
  if (line === '' || line.startsWith('#') || line.startsWith('"StartTimestamp"')) return undefined;
  const match = /^Tag=([^,]+),([\d.]+),([\d.]+),([\d.]+),([A-Za-z0-9+/=]+)$/.exec(line);
  if (!match) throw new Error('not an interval line');
  const key = keyOfTag(match[1]!);
  if (!key) throw new Error(`tag ${match[1]} is not target/probe/stage/metric`);
  const histogram = decodeHistogram(match[5]!);
  const startedAt = Math.round(Number(match[2]) * 1000);
  const interval: IntervalRecord = {
    type: 'interval',
    ...key,
    startedAt,
    endedAt: startedAt + Math.round(Number(match[3]) * 1000),
    count: histogram.totalCount,
    maxUs: histogram.maxValue,
    histogram: match[5]!,
  };
  return { interval, histogram };
}

/** An interval's key and time span, before its histogram is encoded. */
export type IntervalSpan = Omit<IntervalRecord, 'count' | 'maxUs' | 'histogram'>;

/** Histograms gathered whole (a merge, an import) as interval records in time order, and their sums (added to `totals` when given). */
export function encodeIntervals(
  intervals: Array<{ span: IntervalSpan; histogram: Histogram }>,
  totals = new HistogramSet(),
): { records: IntervalRecord[]; totals: HistogramSet } {
  const records = [...intervals]
    .sort((a, b) => a.span.startedAt - b.span.startedAt)
    .map(({ span, histogram }) => {
      const interval: IntervalRecord = { ...span, count: histogram.totalCount, maxUs: histogram.maxValue, histogram: encodeHistogram(histogram) };
      totals.addInterval(interval, histogram);
      return interval;
    });
  return { records, totals };
}
