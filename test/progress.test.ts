import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress } from '../src/sinks/progress.js';
import { encodeHistogram, newHistogram } from '../src/model/histogram.js';
import type { ColdstartSample, IntervalRecord, Tick } from '../src/model/records.js';

function capture(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream;
  let clock = 1_000_000;
  const progress = createProgress({ stream, now: () => clock });
  return { progress, writes, advance: (ms: number) => (clock += ms), text: () => writes.join('') };
}

const sample = (round: number, target: string): ColdstartSample => ({
  type: 'sample',
  kind: 'coldstart',
  probe: 'coldstart',
  target,
  round,
  request: 'first',
  intendedAt: 0,
  startedAt: 0,
  latencyMs: 812,
  ttfbMs: 800,
  phases: { total: 812 },
  ok: true,
  status: 200,
  bytes: 2,
  cold: true,
  coldReason: 'instance request count 1',
});

const tick = (second: number, target: string): Tick => ({
  type: 'tick',
  probe: 'load',
  target,
  stage: '10x',
  at: 0,
  second,
  sent: 200,
  completed: 198,
  errors: 2,
  dropped: 0,
  inFlight: 3,
  instances: 3,
});

/** One second of k8s latency, every request 95 ms. */
function latencyInterval(): IntervalRecord {
  const histogram = newHistogram();
  histogram.recordValueWithCount(95_000, 200);
  return {
    type: 'interval',
    target: 'k8s',
    probe: 'load',
    stage: '10x',
    metric: 'latency',
    startedAt: 0,
    endedAt: 1000,
    count: 200,
    maxUs: histogram.maxValue,
    histogram: encodeHistogram(histogram),
  };
}

describe('live progress', () => {
  it('prints plain lines for CI logs: rounds with an ETA, long waits, samples, load every 5 s', () => {
    const { progress, advance, text } = capture(false);
    progress.record({ type: 'round', probe: 'coldstart', round: 1, rounds: 30 });
    progress.record({ type: 'trigger', probe: 'coldstart', target: 'k8s', round: 1, step: 'idle', until: 1_000_000 + 20 * 60_000 });
    progress.record({ type: 'trigger', probe: 'coldstart', target: 'cloudrun', round: 1, step: 'idle', until: 1_000_000 + 500 });
    progress.record(sample(1, 'cloudrun'));
    advance(20 * 60_000);
    progress.record({ type: 'round', probe: 'coldstart', round: 2, rounds: 30 });
    progress.record({ type: 'stage', probe: 'load', stage: '10x', at: 0, targetRate: 200, durationMs: 300_000 });
    progress.record(latencyInterval());
    for (let second = 0; second < 5; second++) progress.record(tick(second, 'k8s'));
    progress.record({ type: 'abort', probe: 'load', target: 'k8s', at: 0, reason: 'error rate 25.0% over the last 30s > 20%' });
    assert.equal(
      text(),
      [
        'coldstart round 1/30',
        '  k8s: idle 20m left',
        '    1  cloudrun     first     812ms  ttfb    800ms  200  cold (instance request count 1)',
        'coldstart round 2/30  ETA 9h40m',
        'load stage 10x: 200/s for 5m',
        'load 10x 5.00s/5m target 200/s | k8s 200/s p95 95.0ms err 1.0% inst 3',
        'load ABORTED by k8s: error rate 25.0% over the last 30s > 20%',
        '',
      ].join('\n'),
    );
    progress.close();
  });

  it('redraws one status line in place on a terminal', () => {
    const { progress, writes } = capture(true);
    progress.record({ type: 'round', probe: 'coldstart', round: 1, rounds: 3 });
    progress.record(sample(1, 'k8s'));
    assert.equal(writes[0], '\r\x1b[2Kround 1/3');
    assert.ok(
      writes.some((w) => w.startsWith('\r\x1b[2K    1  k8s')),
      'the sample line clears the status line first',
    );
    assert.equal(writes.at(-1), '\r\x1b[2Kround 1/3', 'and the status line comes back under it');
    progress.close();
    assert.equal(writes.at(-1), '\r\x1b[2K');
  });
});
