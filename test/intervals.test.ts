/** The interval recorder: one-second histograms aligned to epoch seconds, whatever its timer does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IntervalRecord, LoadSample } from '../src/model/records.js';
import { createIntervalRecorder } from '../src/store/intervals.js';

describe('interval recorder', () => {
  it('never closes two intervals on one boundary when its timer fires early', async () => {
    const second = 1_800_000_000_000;
    let clock = second + 500;
    const emitted: IntervalRecord[] = [];
    const recorder = createIntervalRecorder(
      (interval) => emitted.push(interval),
      () => clock,
    );
    const sample = (latencyMs: number): LoadSample => ({
      type: 'sample',
      kind: 'load',
      probe: 'p',
      target: 't',
      stage: 's',
      intendedAt: clock,
      ok: true,
      bytes: 0,
      latencyMs,
    });
    recorder.add(sample(1));
    // setTimeout may fire a little before the boundary by the clock the recorder reads.
    clock = second + 999.75;
    await sleep(700);
    recorder.add(sample(2));
    clock = second + 1000.25;
    await sleep(50);
    recorder.add(sample(3));
    recorder.stop();
    const latency = emitted.filter((interval) => interval.metric === 'latency');
    assert.deepEqual(
      latency.map((interval) => [interval.startedAt - second, interval.endedAt - second, interval.count]),
      [
        [500, 1000, 1],
        [1000, 1000.25, 2],
      ],
    );
  });
});
