/** A target's cold-start lanes: interchangeable copies of one service, sampled concurrently. */
import type { Target } from './schema.js';

export interface Lane {
  url: string;
  /** The lane's number; undefined for a target without lanes (its own URL). */
  lane?: number;
}

/** The URLs the cold-start probe makes cold and samples: the target's lanes, else its URL alone. */
export function coldStartLanes(target: Pick<Target, 'url' | 'lanes'>): Lane[] {
  const { lanes } = target;
  if (!lanes) return [{ url: target.url }];
  if (Array.isArray(lanes)) return lanes.map((url, index) => ({ url, lane: index + 1 }));
  return Array.from({ length: lanes.count }, (_, index) => ({
    url: lanes.template.replaceAll('{lane}', String(lanes.from + index)),
    lane: lanes.from + index,
  }));
}

/** How many lanes a target as written has (before validation), for the check that paired targets have as many. */
export function laneCountOf(lanes: unknown): number {
  if (Array.isArray(lanes)) return lanes.length;
  const count = (lanes as { count?: unknown } | undefined)?.count;
  return typeof count === 'number' ? count : 1;
}
