/**
 * The idle sweep on the real scale-to-zero platform: the cold share after each quiet time
 * steps from 0 to 1 where the platform's idle timeout lies; the Wilson interval and the
 * coldShareAt verdict read it; bad gaps are refused with file and line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wilsonInterval } from '../src/analysis/binomial.js';
import { coldShareAtVerdict } from '../src/analysis/verdicts/cold-share-at.js';
import type { IdleSweepSample } from '../src/model/records.js';
import type { Summary } from '../src/model/summary.js';
import { startScaleToZero } from '../src/platforms/scale-to-zero.js';
import { renderMarkdownReport } from '../src/report/markdown.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { platform, storedSamples, tempDir } from './helpers.js';

const IDLE_MS = 500;

describe('idle sweep', () => {
  it("steps from warm to cold at the scale-to-zero platform's idle timeout, on two lanes at once", async () => {
    const lanes = [
      await platform(startScaleToZero({ startupDelayMs: 200, idleMs: IDLE_MS, concurrency: 10 })),
      await platform(startScaleToZero({ startupDelayMs: 200, idleMs: IDLE_MS, concurrency: 10 })),
    ];
    const text = `name: sweep
targets:
  cloudrun: { url: "${lanes[0]!.url}", lanes: ["${lanes[0]!.url}", "${lanes[1]!.url}"] }
probes:
  - kind: idleSweep
    request: { path: /health }
    gaps: [100ms, 300ms, 800ms, 1200ms]
    samples: 4
    seed: 7
verdicts:
  - coldShareAt: { target: cloudrun, gap: 300ms, atMost: 5% }
`;
    const outcome = await runScenario(parseScenario(text, 'sweep.yaml'), { outDir: tempDir() });
    const gaps = outcome.summary.targets.cloudrun!.idleSweep!.gaps;
    assert.deepEqual(
      gaps.map((g) => [g.gapMs, g.requests, g.errors, g.coldShare]),
      [
        [100, 4, 0, 0],
        [300, 4, 0, 0],
        [800, 4, 0, 1],
        [1200, 4, 0, 1],
      ],
      'warm below the 500 ms idle timeout, cold above it',
    );
    // Wilson at 0 of 4 and 4 of 4.
    assert.deepEqual([gaps[0]!.coldShareLow, gaps[0]!.coldShareHigh, gaps[3]!.coldShareLow, gaps[3]!.coldShareHigh], [0, 0.49, 0.51, 1]);
    assert.ok(gaps[3]!.coldLatencyMs!.p50 > gaps[0]!.warmLatencyMs!.p50 + 150, 'a cold request waits for the 200 ms start');
    const samples = storedSamples<IdleSweepSample>(outcome.dir).filter((s) => s.kind === 'idleSweep');
    // Each lane got half of each gap's requests, and every request its quiet time.
    assert.deepEqual(
      [1, 2].map((lane) => samples.filter((s) => s.lane === lane).length),
      [8, 8],
    );
    assert.ok(samples.every((s) => s.quietMs >= s.gapMs - 2 && s.quietMs < s.gapMs + 100));
    const [verdict] = outcome.summary.verdicts;
    assert.equal(verdict!.status, 'insufficient');
    assert.match(verdict!.detail, /^0 cold of 4 \(0%, 95% Wilson 0%–49%\): fewer than 10 classified requests$/);
    assert.match(renderMarkdownReport(outcome.summary), /\| cloudrun \| 800ms \| 4 \| 100% \[51%–100%\] \(4\/4\) \|/);
  });

  it('judges coldShareAt on the whole Wilson interval: pass below, fail above, inconclusive across', () => {
    const judged = (cold: number, warm: number) => {
      const interval = wilsonInterval(cold, cold + warm)!;
      const gap = { gapMs: 900_000, requests: cold + warm, cold, warm, unknown: 0, errors: 0, coldShare: cold / (cold + warm) };
      const targets = {
        k8s: {
          idleSweep: {
            probe: 'idleSweep',
            gaps: [{ ...gap, coldShareLow: interval.low, coldShareHigh: interval.high, quietMsP50: 900_000, coldLatencyMs: null, warmLatencyMs: null }],
          },
        },
      } as unknown as Summary['targets'];
      return coldShareAtVerdict({ target: 'k8s', gap: 900_000, atMost: 0.05 }, targets).status;
    };
    assert.deepEqual([judged(0, 100), judged(20, 80), judged(3, 97), judged(0, 5)], ['pass', 'fail', 'inconclusive', 'insufficient']);
    // Wilson's interval against published values (n = 10).
    const round = (x: number) => Math.round(x * 10_000) / 10_000;
    assert.deepEqual(Object.values(wilsonInterval(0, 10)!).map(round), [0, 0.2775]);
    assert.deepEqual(Object.values(wilsonInterval(5, 10)!).map(round), [0.2366, 0.7634]);
  });

  it('refuses a coldShareAt gap the sweep does not have, and a sweep of one gap', () => {
    const text = `name: bad
targets: { t: { url: "http://127.0.0.1:9" } }
probes:
  - kind: idleSweep
    gaps: [1m, 5m]
    samples: 3
  - kind: idleSweep
    gaps: [1m]
    samples: 3
verdicts:
  - coldShareAt: { target: t, gap: 15m, atMost: 5% }
`;
    assert.throws(
      () => parseScenario(text, 'bad.yaml'),
      (error: Error & { details: string[] }) => {
        const details = error.details.join('\n');
        assert.match(details, /bad\.yaml:8 probes\[1\]\.gaps: name at least two gaps/);
        assert.match(details, /bad\.yaml:7 probes\[1\]\.kind: only one idleSweep probe per scenario/);
        assert.match(details, /bad\.yaml:11 verdicts\[0\]\.coldShareAt\.gap: the idle sweep has no gap of 15m \(gaps: 1m, 5m\)/);
        return true;
      },
    );
  });
});
