/**
 * coldbench measures its own client: how late its event loop runs timers while a probe
 * runs. Every request, stream event and arrival is handled on this loop, so a delay here
 * is added to every figure the probe measures, whatever the server did. Sampled by a
 * timer every RESOLUTION_MS (as perf_hooks.monitorEventLoopDelay does) into an HDR
 * histogram in µs, corrected for the samples a stall swallowed, and emitted once a second
 * (and at each stage change) as a `client` tick, so a crash keeps what was measured.
 */
import { newHistogram, msToUs, encodeHistogram } from '../model/histogram.js';
import { now, toEpochMs } from './http.js';
import type { Emit } from '../model/records.js';

const RESOLUTION_MS = 10;
const FLUSH_EVERY_MS = 1000;

export interface ClientDelayMonitor {
  /** Delays from now on belong to `stage`. */
  setStage(stage: string): void;
  stop(): void;
}

export function monitorClientDelay(probe: string, initialStage: string, emit: Emit): ClientDelayMonitor {
  let stage = initialStage;
  const histogram = newHistogram();
  let windowStart = now();
  let expected = windowStart + RESOLUTION_MS;
  let stopped = false;

  const flush = (at: number) => {
    if (histogram.totalCount > 0) {
      emit({
        type: 'client',
        probe,
        stage,
        startedAt: toEpochMs(windowStart),
        endedAt: toEpochMs(at),
        loopDelayHistogram: encodeHistogram(histogram),
      });
    }
    histogram.reset();
    windowStart = at;
  };

  const sample = () => {
    const at = now();
    // A stall of N ms also swallowed the samples due during it: count them (HDR's expected-interval correction).
    histogram.recordValueWithExpectedInterval(msToUs(Math.max(0, at - expected)), RESOLUTION_MS * 1000);
    if (at - windowStart >= FLUSH_EVERY_MS) flush(at);
    expected = at + RESOLUTION_MS;
    if (!stopped) timer = setTimeout(sample, RESOLUTION_MS).unref();
  };
  let timer = setTimeout(sample, RESOLUTION_MS).unref();

  return {
    setStage(next) {
      if (next === stage) return;
      flush(now());
      stage = next;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      flush(now());
    },
  };
}
