/**
 * A bounded, seeded uniform sample of a stream of values (Vitter's algorithm R): the raw
 * values a rank test or a bootstrap needs, in constant memory. The same file gives the
 * same reservoir.
 */
import { seededRandom } from '../model/random.js';

/** Values kept per metric; a verdict computed from a reservoir says so, with this size. */
export const RESERVOIR_SIZE = 10_000;

export interface Reservoir {
  readonly values: number[];
  /** Values offered, kept or not. */
  seen: number;
  add(value: number): void;
}

export function newReservoir(size = RESERVOIR_SIZE, seed = 1): Reservoir {
  const random = seededRandom(seed);
  const values: number[] = [];
  const reservoir: Reservoir = {
    values,
    seen: 0,
    add(value) {
      reservoir.seen += 1;
      if (values.length < size) values.push(value);
      else {
        const slot = Math.floor(random() * reservoir.seen);
        if (slot < size) values[slot] = value;
      }
    },
  };
  return reservoir;
}
