/** The cold-start probe end to end against the real embedded platforms on loopback. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColdstartSample } from '../src/model/records.js';
import { startAlwaysOn } from '../src/platforms/always-on.js';
import { STATUS_PATH, type Platform } from '../src/platforms/front-server.js';
import { startScaleToZero } from '../src/platforms/scale-to-zero.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { platform, readJsonLines, tempDir } from './helpers.js';

const IDLE_MS = 200;

function scaleToZeroTarget(p: Platform): string {
  return `
    url: ${p.url}
    coldStart:
      trigger:
        idle: ${IDLE_MS + 100}ms
        waitFor: { http: { url: "${p.url}${STATUS_PATH}", bodyMatches: '"instances":0' }, interval: 20ms, timeout: 10s }`;
}

function scenario(baseline: string, candidate: string, samples: number): string {
  return `name: coldstart-test
targets:
  baseline:${baseline}
  candidate:${candidate}
probes:
  - kind: coldstart
    request: { path: /health }
    samples: ${samples}
    warmFollowUps: 3
verdicts:
  - coldStartReduction: { baseline: baseline, candidate: candidate, atLeast: 50% }
`;
}

async function run(text: string) {
  const outcome = await runScenario(parseScenario(text, 'test.yaml'), { outDir: tempDir() });
  const samples = readJsonLines<ColdstartSample>(`${outcome.dir}/samples.jsonl`);
  return { ...outcome, samples };
}

describe('cold-start probe against the embedded platforms', () => {
  it('measures scale-to-zero cold starts against always-on warm starts and passes the reduction', async (t) => {
    const cold = await platform(startScaleToZero({ startupDelayMs: 500, idleMs: IDLE_MS, concurrency: 10 }));
    const warm = await platform(startAlwaysOn({ replicas: 2 }));
    const { summary, samples, exitCode } = await run(scenario(scaleToZeroTarget(cold), `\n    url: ${warm.url}`, 12));

    const baseline = summary.targets.baseline!.coldStart!;
    t.diagnostic(`scale-to-zero (500ms startup) cold TTFB p50 ${baseline.ttfbMs?.p50}ms, p95 ${baseline.ttfbMs?.p95}ms`);
    assert.equal(baseline.samples, 12);
    assert.equal(baseline.cold, 12, 'every scale-to-zero first request is classified cold');
    assert.equal(baseline.errors, 0);
    // One startup and the platform's own overhead (630 ms on a quiet machine, 804 ms once beside a build), never two startups.
    assert.ok(baseline.ttfbMs!.p50 >= 480 && baseline.ttfbMs!.p50 < 1000, `cold TTFB p50 ${baseline.ttfbMs!.p50}ms`);
    assert.equal(baseline.ttfbMs!.count, 12);
    assert.ok(baseline.coldOverheadMs!.value > 400, 'cold overhead = cold TTFB − warm TTFB');
    assert.ok(baseline.warmTtfbMs!.p50 < 50, 'follow-ups on the same connection are warm');

    const candidate = summary.targets.candidate!.coldStart!;
    assert.equal(candidate.warm, 12, 'always-on first requests are classified warm');
    assert.ok(candidate.ttfbMs!.p50 < 50, `always-on TTFB p50 ${candidate.ttfbMs!.p50}ms`);
    assert.equal(candidate.coldOverheadMs, null, 'no cold samples, no cold overhead');

    const [verdict] = summary.verdicts;
    assert.equal(verdict!.status, 'pass', verdict!.detail);
    assert.ok(verdict!.ci!.high <= 0.5);
    assert.deepEqual(verdict!.samples, { candidate: 12, baseline: 12 });
    assert.equal(exitCode, 0);

    // Rounds fire both targets' first requests at the same moment.
    for (let round = 1; round <= 12; round++) {
      const firsts = samples.filter((s) => s.round === round && s.request === 'first');
      assert.equal(firsts.length, 2);
      assert.equal(firsts[0]!.intendedAt, firsts[1]!.intendedAt);
    }
    const first = samples.find((s) => s.target === 'baseline' && s.request === 'first')!;
    assert.ok(first.phases.connect! > 0 && first.phases.sent! >= first.phases.connect!, 'connect and write are timed');
    assert.equal(first.instance?.requestCount, 1);
  });

  it('fails the reduction when both platforms start equally slowly', async () => {
    const a = await platform(startScaleToZero({ startupDelayMs: 300, idleMs: IDLE_MS, concurrency: 10 }));
    const b = await platform(startScaleToZero({ startupDelayMs: 300, idleMs: IDLE_MS, concurrency: 10 }));
    const { summary, exitCode } = await run(scenario(scaleToZeroTarget(a), scaleToZeroTarget(b), 10));
    const [verdict] = summary.verdicts;
    assert.equal(verdict!.status, 'fail', verdict!.detail);
    assert.ok(verdict!.observed! > 0.7 && verdict!.observed! < 1.4, `ratio ${verdict!.observed}`);
    assert.equal(exitCode, 1);
  });

  it('calls fewer than 10 samples per side insufficient and says how many it had', async () => {
    const a = await platform(startAlwaysOn({ replicas: 1 }));
    const b = await platform(startAlwaysOn({ replicas: 1 }));
    const { summary, exitCode } = await run(scenario(`\n    url: ${a.url}`, `\n    url: ${b.url}`, 5));
    const [verdict] = summary.verdicts;
    assert.equal(verdict!.status, 'insufficient');
    assert.match(verdict!.detail, /at least 10 .* have baseline 5, candidate 5/);
    assert.equal(exitCode, 2);
  });
});
