/**
 * coldbench measures its own client: how late its event loop runs timers while a probe
 * runs. Every request, stream event and arrival is handled on this loop, so a delay here
 * is added to every figure the probe measures, whatever the server did. Sampled by a
 * timer every RESOLUTION_MS (as perf_hooks.monitorEventLoopDelay does) into an HDR
 * histogram in µs, corrected for the samples a stall swallowed, and emitted once a second
 * as a `client` tick per stage that ran in that second, so a crash keeps what was measured.
 * A stage change only switches histograms: encoding at the change held the loop for 3–4 ms
 * just as a load stage began, and showed as that stage's first schedule lag.
 */
import { newHistogram, msToUs, encodeHistogram, type Histogram } from '../model/histogram.js';
import { now, toEpochMs } from './http.js';
import type { Emit } from '../model/records.js';

const RESOLUTION_MS = 10;
const FLUSH_EVERY_MS = 1000;

export interface ClientDelayMonitor {
  /** Delays from now on belong to `stage`. */
  setStage(stage: string): void;
  stop(): void;
}

interface StageWindow {
  histogram: Histogram;
  /** Monotonic ms: from when this stage's delays in the open window were recorded, and until (when it was switched away from). */
  startedAt: number;
  endedAt?: number;
}

export function monitorClientDelay(probe: string, initialStage: string, emit: Emit): ClientDelayMonitor {
  const windows = new Map<string, StageWindow>();
  const windowOf = (stage: string, at: number) => {
    let window = windows.get(stage);
    if (!window) windows.set(stage, (window = { histogram: newHistogram(), startedAt: at }));
    if (window.histogram.totalCount === 0) window.startedAt = at;
    window.endedAt = undefined;
    return window;
  };
  let stage = initialStage;
  let current = windowOf(stage, now());
  let windowStart = now();
  let expected = windowStart + RESOLUTION_MS;
  let stopped = false;

  const flush = (at: number) => {
    for (const [name, window] of windows) {
      if (window.histogram.totalCount === 0) continue;
      emit({
        type: 'client',
        probe,
        stage: name,
        startedAt: toEpochMs(window.startedAt),
        endedAt: toEpochMs(window.endedAt ?? at),
        loopDelayHistogram: encodeHistogram(window.histogram),
      });
      window.histogram.reset();
      window.startedAt = at;
    }
    windowStart = at;
  };

  const sample = () => {
    const at = now();
    // A stall of N ms also swallowed the samples due during it: count them (HDR's expected-interval correction).
    current.histogram.recordValueWithExpectedInterval(msToUs(Math.max(0, at - expected)), RESOLUTION_MS * 1000);
    if (at - windowStart >= FLUSH_EVERY_MS) flush(at);
    expected = at + RESOLUTION_MS;
    if (!stopped) timer = setTimeout(sample, RESOLUTION_MS).unref();
  };
  let timer = setTimeout(sample, RESOLUTION_MS).unref();

  return {
    setStage(next) {
      if (next === stage) return;
      const at = now();
      current.endedAt = at;
      stage = next;
      current = windowOf(next, at);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      flush(now());
    },
  };
}
