import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bootstrapRatio, distribution, quantileSorted, statistic } from '../src/analysis/stats.js';
import { HistogramSet } from '../src/store/histograms.js';
import { newHistogram } from '../src/model/histogram.js';

const latencies = fc.array(fc.double({ min: 0.5, max: 10_000, noNaN: true }), { minLength: 10, maxLength: 60 });
const options = { resamples: 2000, confidence: 0.9, seed: 7 };

describe('bootstrap of a ratio of percentiles', () => {
  it('is deterministic for a seed', () => {
    fc.assert(
      fc.property(latencies, latencies, fc.integer(), (a, b, seed) => {
        assert.deepEqual(bootstrapRatio(a, b, 'p50', { ...options, seed }), bootstrapRatio(a, b, 'p50', { ...options, seed }));
      }),
      { numRuns: 30 },
    );
  });

  it('gives an ordered interval within the ratios the data can produce', () => {
    fc.assert(
      fc.property(latencies, latencies, (a, b) => {
        const r = bootstrapRatio(a, b, 'p50', options);
        assert.ok(r.low <= r.high);
        // A resampled median is one of the data points, so every resampled ratio is bounded.
        assert.ok(r.low >= Math.min(...b) / Math.max(...a) - 1e-12);
        assert.ok(r.high <= Math.max(...b) / Math.min(...a) + 1e-12);
      }),
      { numRuns: 40 },
    );
  });

  it('scales with the candidate: multiplying it by k multiplies the interval by k', () => {
    fc.assert(
      fc.property(latencies, latencies, fc.double({ min: 0.01, max: 100, noNaN: true }), (a, b, k) => {
        const base = bootstrapRatio(a, b, 'p50', options);
        const scaled = bootstrapRatio(
          a,
          b.map((x) => x * k),
          'p50',
          options,
        );
        for (const key of ['estimate', 'low', 'high'] as const) {
          assert.ok(Math.abs(scaled[key] - base[key] * k) <= 1e-9 * Math.max(1, base[key] * k), key);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('contains 1 when both sides are the same samples', () => {
    fc.assert(
      fc.property(latencies, (a) => {
        const r = bootstrapRatio(a, a, 'p50', options);
        assert.ok(r.low <= 1 && r.high >= 1, `[${r.low}, ${r.high}]`);
      }),
      { numRuns: 40 },
    );
  });

  it('separates two clearly different distributions', () => {
    const slow = Array.from({ length: 30 }, (_, i) => 800 + i);
    const fast = Array.from({ length: 30 }, (_, i) => 40 + i);
    const r = bootstrapRatio(slow, fast, 'p50', { resamples: 10_000, confidence: 0.9, seed: 1 });
    assert.ok(r.high < 0.1 && r.low > 0.04, JSON.stringify(r));
  });
});

describe('percentiles', () => {
  it('uses the nearest rank, as HDR histograms do, so both agree within HDR precision', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 200 }), fc.constantFrom(50, 90, 95, 99), (us, p) => {
        const histogram = newHistogram();
        for (const v of us) histogram.recordValue(v);
        const exact = statistic(us, `p${p}` as 'p50');
        const hdr = histogram.getValueAtPercentile(p);
        assert.ok(Math.abs(hdr - exact) <= exact * 0.001 + 1, `p${p}: hdr ${hdr} vs exact ${exact}`);
      }),
    );
  });

  it('reads the rank ⌈q·n⌉', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2);
    assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.5), 3);
    assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
    assert.equal(statistic([4, 2], 'mean'), 3);
  });
});

describe('HDR histograms in the run store', () => {
  it('round-trip through the file format with counts, percentiles and start/end times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0.001, max: 3_600_000, noNaN: true }), fc.integer({ min: 1.7e12, max: 1.8e12 })), { minLength: 1, maxLength: 300 }),
        (values) => {
          const set = new HistogramSet();
          const key = { target: 't', probe: 'coldstart', stage: 'first', metric: 'latency' };
          for (const [ms, at] of values) set.record(key, ms, at);
          const back = HistogramSet.fromFile(JSON.parse(JSON.stringify(set.toFile())));
          const before = set.get(key)!;
          const after = back.get(key)!;
          assert.equal(after.totalCount, values.length);
          assert.equal(after.startTimeStampMsec, Math.min(...values.map(([, at]) => at)));
          assert.equal(after.endTimeStampMsec, Math.max(...values.map(([, at]) => at)));
          assert.deepEqual(distribution(after), distribution(before));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps sub-millisecond values by storing integer microseconds', () => {
    const set = new HistogramSet();
    const key = { target: 't', probe: 'p', stage: 's', metric: 'm' };
    set.record(key, 1.7, 0);
    assert.equal(distribution(set.get(key))!.p50, 1.7);
  });

  it('has no figures for an empty histogram: no data is not zero', () => {
    assert.equal(distribution(newHistogram()), undefined);
    assert.equal(distribution(undefined), undefined);
  });
});
