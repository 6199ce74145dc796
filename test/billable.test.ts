/**
 * Billable instance time: busy periods per instance (the union of its requests' spans),
 * rounded up to 100 ms for request-based billing, and instance lifetimes; exact on known
 * spans, and measured end to end from a server that names its instances.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addBusySpan, billableFigures, type BusyByInstance } from '../src/analysis/billable.js';
import type { LoadSample } from '../src/model/records.js';
import { runOneProbe, serve } from './helpers.js';

describe('billable instance time', () => {
  it('is exact on known spans: overlaps merge, each busy period rounds up to 100 ms, lifetimes span first to last', () => {
    const busy: BusyByInstance = new Map();
    // In completion order, as samples arrive: a's first two overlap, its third is apart.
    const spans: Array<[string, number, number]> = [
      ['a', 100, 300],
      ['a', 0, 250],
      ['b', 500, 520],
      ['a', 1000, 1050],
      ['b', 510, 700],
      ['b', 2000, 2001],
    ];
    for (const [instance, start, end] of spans) addBusySpan(busy, instance, start, end);
    assert.deepEqual(busy.get('a')!.periods, [
      [0, 300],
      [1000, 1050],
    ]);
    assert.deepEqual(busy.get('b')!.periods, [
      [500, 700],
      [2000, 2001],
    ]);
    assert.deepEqual(billableFigures(busy), {
      instances: 2,
      requests: 6,
      // a: 300 + 50 ms; b: 200 + 1 ms.
      busySeconds: 0.551,
      // a: 300 + 100; b: 200 + 100.
      requestBilledSeconds: 0.7,
      // a: 0 → 1050; b: 500 → 2001.
      lifetimeSeconds: 2.551,
      idleSeconds: 2,
      perThousandRequests: { requestBilledSeconds: 116.667, lifetimeSeconds: 425.167 },
    });
    assert.equal(billableFigures(new Map()), null);
  });

  it('measures each stage from the instance ids a server sends, and has none without them', async () => {
    // Two instances taking turns, 20 ms a request.
    let turn = 0;
    const url = await serve((_, res) => {
      res.setHeader('x-instance-id', `i${turn++ % 2}`);
      setTimeout(() => res.end('ok'), 20);
    });
    const run = await runOneProbe<LoadSample>(url, 'load', 'stages: [{ name: s, rate: 20/s, duration: 2s }]');
    const stage = run.summary.targets.t!.load!.s!;
    const billable = stage.billable!;
    assert.deepEqual([billable.instances, billable.requests], [2, 40]);
    // 40 requests of about 20 ms, 100 ms apart on each instance: 40 busy periods, each billed at least 100 ms.
    assert.ok(billable.busySeconds >= 0.78 && billable.busySeconds < 2, `busy ${billable.busySeconds}s`);
    assert.ok(
      billable.requestBilledSeconds >= 4 && Number.isInteger(Math.round(billable.requestBilledSeconds * 1000) / 100),
      `${billable.requestBilledSeconds}s`,
    );
    assert.equal(billable.perThousandRequests.requestBilledSeconds, Math.round(billable.requestBilledSeconds * 25 * 1000) / 1000);
    assert.ok(billable.lifetimeSeconds > 3.5 && billable.lifetimeSeconds < 4.2, `two instances alive the whole 2 s: ${billable.lifetimeSeconds}s`);

    const anonymous = await serve((_, res) => res.end('ok'));
    const none = await runOneProbe<LoadSample>(anonymous, 'load', 'stages: [{ name: s, rate: 20/s, duration: 1s }]');
    assert.equal(none.summary.targets.t!.load!.s!.billable, null);
  });
});
