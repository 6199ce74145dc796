/**
 * The open-model engine: fires each arrival at its scheduled time whether or not earlier
 * requests finished. When the event loop falls behind, every overdue arrival is fired at
 * once with its own intended time, so lateness shows up in the latency (no coordinated
 * omission) instead of silently thinning the schedule.
 */
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { now } from './http.js';

export interface Arrival {
  /** Monotonic ms (performance.now) when the request is due. */
  at: number;
  stage: number;
}

/** setTimeout can fire up to a millisecond early or late; below this, yield to the loop instead. */
const TIMER_GRANULARITY_MS = 1.5;

export async function runSchedule<T extends { at: number }>(arrivals: Iterable<T>, fire: (arrival: T) => void, signal: AbortSignal): Promise<void> {
  const iterator = arrivals[Symbol.iterator]();
  let next = iterator.next();
  while (!next.done && !signal.aborted) {
    const wait = next.value.at - now();
    if (wait > TIMER_GRANULARITY_MS) {
      try {
        await sleep(wait - TIMER_GRANULARITY_MS / 2, undefined, { signal });
      } catch {
        return;
      }
    } else if (wait > 0) {
      await yieldToLoop();
    }
    const current = now();
    while (!next.done && next.value.at <= current && !signal.aborted) {
      fire(next.value);
      next = iterator.next();
    }
  }
}
