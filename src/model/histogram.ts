/**
 * HDR histograms of every latency, in integer microseconds (hdr-histogram-js drops
 * fractions). One per target × probe × stage × metric. The compressed base64 (V2) encoding
 * loses start and end times, so they are stored beside it.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export interface HistogramKey {
  target: string;
  probe: string;
  stage: string;
  metric: string;
}

export const keyOf = (k: HistogramKey): string => `${k.target}/${k.probe}/${k.stage}/${k.metric}`;

export function newHistogram(): Histogram {
  // 32-bit counts: packed histograms are 50–100× slower to add(); 3 significant digits (0.1%).
  return hdr.build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3, autoResize: true, lowestDiscernibleValue: 1 });
}

export const msToUs = (ms: number): number => Math.max(0, Math.round(ms * 1000));
export const usToMs = (us: number): number => us / 1000;

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false) as Histogram;
}
