import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { quantileUpperBoundRank, successRatioLowerBound, successRatioUpperBound } from '../src/analysis/binomial.js';
import { constantArrivals } from '../src/runner/constant-arrival-rate.js';
import { rampingArrivals } from '../src/runner/ramping-arrival-rate.js';

describe('arrival schedules', () => {
  it('constant: rate × duration arrivals, evenly spaced', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (rate, durationMs) => {
        const offsets = [...constantArrivals(rate, durationMs)];
        assert.equal(offsets.length, Math.ceil((rate * durationMs) / 1000));
        offsets.forEach((at, k) => assert.ok(Math.abs(at - (k * 1000) / rate) < 1e-6));
      }),
    );
  });

  it('ramping: about (from + to)/2 × duration arrivals, in increasing order, within the stage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 100, max: 5000 }), (from, to, durationMs) => {
        fc.pre(from !== to);
        const offsets = [...rampingArrivals(from, to, durationMs)];
        const expected = (((from + to) / 2) * durationMs) / 1000;
        assert.ok(Math.abs(offsets.length - expected) <= 1, `${offsets.length} vs ${expected}`);
        for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! > offsets[i - 1]!);
        assert.ok(offsets.every((at) => at >= 0 && at < durationMs));
      }),
    );
  });
});

describe('binomial bounds', () => {
  it('needs about 3,000 clean requests to show 99.9% success at 95% confidence', () => {
    assert.ok(successRatioLowerBound(3000, 3000) >= 0.999);
    assert.ok(successRatioLowerBound(2990, 2990) < 0.999);
    assert.ok(Math.abs(successRatioLowerBound(1000, 1000) - Math.pow(0.05, 1 / 1000)) < 1e-12);
    assert.equal(successRatioLowerBound(0, 10), 0);
  });

  it('brackets the observed ratio', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, share) => {
        const k = Math.round(n * share);
        const low = successRatioLowerBound(k, n);
        const high = successRatioUpperBound(k, n);
        assert.ok(low <= k / n + 1e-12 && k / n <= high + 1e-12, `${low} ≤ ${k}/${n} ≤ ${high}`);
      }),
    );
  });

  it('picks an order statistic above the quantile rank, and none when samples are too few', () => {
    assert.equal(quantileUpperBoundRank(10, 0.99), undefined, '10 samples cannot bound a p99');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(0.5, 0.9, 0.95, 0.99), (n, q) => {
        const rank = quantileUpperBoundRank(n, q);
        if (rank !== undefined) assert.ok(rank >= Math.ceil(q * n) && rank <= n);
      }),
    );
    // Large n: close to the normal approximation q·n + 1.645·sqrt(n·q·(1 − q)).
    const rank = quantileUpperBoundRank(10_000, 0.95)!;
    assert.ok(Math.abs(rank - (9500 + 1.645 * Math.sqrt(10_000 * 0.95 * 0.05))) <= 2, String(rank));
  });
});
