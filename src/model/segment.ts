/**
 * Execution segments, as k6 names them: runner i of N sends arrivals i−1, i−1+N, i−1+2N, …
 * of every schedule, so N runners together send exactly the whole schedule, interleaved
 * rather than in N bursts. Written `(i−1)/N:i/N` in the manifest, as k6 writes segments.
 */
export interface Segment {
  /** 1-based. */
  index: number;
  count: number;
}

export const WHOLE: Segment = { index: 1, count: 1 };

/** `i/N` (the CLI's form) or `a/N:b/N` (the manifest's, one part wide); undefined when neither. */
export function parseSegment(text: string): Segment | undefined {
  const cli = /^(\d+)\/(\d+)$/.exec(text);
  if (cli) {
    const [index, count] = [Number(cli[1]), Number(cli[2])];
    return index >= 1 && index <= count ? { index, count } : undefined;
  }
  const range = /^(\d+)(?:\/(\d+))?:(\d+)(?:\/(\d+))?$/.exec(text);
  if (!range) return undefined;
  const count = Number(range[4] ?? range[2] ?? 1);
  const [from, to] = [Number(range[1]), Number(range[3])];
  if ((range[2] ?? range[4] ?? '1') !== String(count) || to !== from + 1 || to > count) return undefined;
  return { index: to, count };
}

export const segmentText = ({ index, count }: Segment): string => (count === 1 ? '0:1' : `${index - 1}/${count}:${index}/${count}`);

const inSegment = (arrival: number, { index, count }: Segment): boolean => arrival % count === index - 1;

/** Keeps this segment's share of a schedule, counting every arrival. */
export function* segmentOf<T>(arrivals: Iterable<T>, segment: Segment): Generator<T> {
  let k = 0;
  for (const arrival of arrivals) if (inSegment(k++, segment)) yield arrival;
}

/** The share of the whole schedule that runners with these segments sent together (1 for a whole run). */
export function shareOf(segments: readonly string[]): number {
  return segments.reduce((share, text) => share + 1 / (parseSegment(text)?.count ?? 1), 0) || 1;
}
