/** Calls `onSecond(index, startOfSecond)` at the end of every second since `start`, without drift. */
import { now } from './http.js';

export interface Ticker {
  /** Stops the timer and reports the last, partial second. */
  stop(): void;
}

export function startTicker(start: number, onSecond: (second: number, at: number) => void): Ticker {
  let second = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    onSecond(second, start + second * 1000);
    second += 1;
  };
  const schedule = () => {
    timer = setTimeout(
      () => {
        tick();
        schedule();
      },
      Math.max(0, start + (second + 1) * 1000 - now()),
    );
  };
  schedule();
  return {
    stop() {
      clearTimeout(timer);
      tick();
    },
  };
}
