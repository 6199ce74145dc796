/**
 * The open-model engine: fires each arrival at its scheduled time whether or not earlier
 * requests finished. When the event loop falls behind, every overdue arrival is fired at
 * once with its own intended time, so lateness shows up in the latency (no coordinated
 * omission) instead of silently thinning the schedule.
 */
import { now } from './http.js';

export interface Arrival {
  /** Monotonic ms (performance.now) when the request is due. */
  at: number;
  stage: number;
}

/**
 * libuv's timers count whole milliseconds, so a timeout can fire up to a millisecond late (and
 * a little early): the schedule sleeps on a timer until SPIN_MS before an arrival, then turns
 * the event loop (I/O still handled) until it is due. With 1.5 ms and 0.75 ms of margin, a
 * fresh run's lag p99 at 500–1,000/s was 0.7–1.8 ms; with 3 ms and 1.5 ms, 0.1–0.9 ms. The
 * cost is the turning: below ~333/s, up to SPIN_MS of one core per arrival.
 */
const SPIN_MS = 3;
const TIMER_MARGIN_MS = 1.5;

/**
 * Resolves when every arrival has fired, or at the abort. Callbacks, not promises: waiting for
 * an arrival under a millisecond away turns the event loop once per check, and an awaited
 * setImmediate per turn made ~70 kB of garbage a request at 2,000/s, whose collections every
 * 60 ms were the schedule lag's p99.
 */
export function runSchedule<T extends { at: number }>(arrivals: Iterable<T>, fire: (arrival: T) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const iterator = arrivals[Symbol.iterator]();
    let next = iterator.next();
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const step = () => {
      if (finished) return;
      const current = now();
      while (!next.done && next.value.at <= current && !signal.aborted) {
        fire(next.value);
        next = iterator.next();
      }
      if (next.done || signal.aborted) return finish();
      const wait = next.value.at - now();
      if (wait > SPIN_MS) timer = setTimeout(step, wait - TIMER_MARGIN_MS);
      else setImmediate(step);
    };
    signal.addEventListener('abort', finish, { once: true });
    step();
  });
}
