/**
 * Cold-start lanes: copies of one service sampled concurrently, each waiting its own idle, on
 * the real scale-to-zero platform. A lane that shares instances with another, or never
 * answers, is reported and left out of the figures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColdstartSample } from '../src/model/records.js';
import { STATUS_PATH, type Platform } from '../src/platforms/front-server.js';
import { startScaleToZero } from '../src/platforms/scale-to-zero.js';
import { runScenario } from '../src/run-scenario.js';
import { coldStartLanes } from '../src/scenario/lanes.js';
import { parseScenario } from '../src/scenario/read.js';
import { platform, storedSamples, tempDir } from './helpers.js';

const scaleToZero = () => platform(startScaleToZero({ startupDelayMs: 300, idleMs: 200, concurrency: 10 }));

/** A target made cold by idling past the platform's timeout, then waiting (on each lane's own status path) for zero instances. */
function scenario(where: string, samples: number, waitFor = true): string {
  return `name: lanes
targets:
  cloudrun:
    ${where}
    coldStart:
      trigger:
        idle: 300ms${waitFor ? `\n        waitFor: { http: { url: "${STATUS_PATH}", bodyMatches: '"instances":0' }, interval: 20ms, timeout: 10s }` : ''}
probes:
  - kind: coldstart
    request: { path: /health }
    samples: ${samples}
    warmFollowUps: 1
`;
}

async function run(text: string) {
  const started = Date.now();
  const outcome = await runScenario(parseScenario(text, 'lanes.yaml'), { outDir: tempDir() });
  return { ...outcome, wallMs: Date.now() - started, samples: storedSamples<ColdstartSample>(outcome.dir) };
}

describe('cold-start lanes', () => {
  it('samples two lanes at once: the same number of cold samples in about half the wall time', async (t) => {
    const [a, b]: Platform[] = [await scaleToZero(), await scaleToZero()];
    const one = await run(scenario(`url: ${a.url}`, 6));
    const two = await run(scenario(`url: ${a.url}\n    lanes: [${a.url}, ${b.url}]`, 6));
    t.diagnostic(`6 rounds: ${one.wallMs} ms on one lane, ${two.wallMs} ms on two`);
    for (const { summary } of [one, two]) assert.deepEqual([summary.targets.cloudrun!.coldStart!.samples, summary.targets.cloudrun!.coldStart!.cold], [6, 6]);
    assert.deepEqual(two.summary.targets.cloudrun!.coldStart!.lanes, [
      { lane: 1, samples: 3, dropped: null },
      { lane: 2, samples: 3, dropped: null },
    ]);
    // Each lane's rounds went to its own platform.
    const firsts = two.samples.filter((s) => s.request === 'first');
    assert.deepEqual(firsts.map((s) => [s.round, s.lane]).sort(), [
      [1, 1],
      [2, 2],
      [3, 1],
      [4, 2],
      [5, 1],
      [6, 2],
    ]);
    // Ideal is 0.5; the runs share two cores with both platforms.
    assert.ok(two.wallMs < one.wallMs * 0.75, `two lanes took ${two.wallMs} ms, one lane ${one.wallMs} ms`);
  });

  it('leaves out a lane that answers from another lane’s instance, and says so', async () => {
    const shared = await scaleToZero();
    const { summary, samples } = await run(scenario(`url: ${shared.url}\n    lanes: [${shared.url}, ${shared.url}]`, 4));
    const lanes = summary.targets.cloudrun!.coldStart!.lanes!;
    const dropped = lanes.filter((lane) => lane.dropped);
    assert.equal(dropped.length, 1, JSON.stringify(lanes));
    assert.match(dropped[0]!.dropped!, /^lane \d shares instance \S+ with lane \d$/);
    // The lane that was kept carries the figures; the one that revealed the sharing is not in them.
    const kept = lanes.find((lane) => !lane.dropped)!;
    assert.equal(summary.targets.cloudrun!.coldStart!.samples, kept.samples);
    assert.equal(samples.filter((s) => s.laneDropped).length, 1);
  });

  it('leaves out a lane that never answers, without counting its errors against the service', async () => {
    const up = await scaleToZero();
    const { summary, exitCode } = await run(scenario(`url: ${up.url}\n    lanes: [${up.url}, "http://127.0.0.1:9"]`, 6, false));
    const coldStart = summary.targets.cloudrun!.coldStart!;
    assert.deepEqual([coldStart.samples, coldStart.errors], [3, 0]);
    assert.deepEqual(coldStart.lanes, [
      { lane: 1, samples: 3, dropped: null },
      { lane: 2, samples: 0, dropped: 'lane 2 never answered (3 rounds; last: ECONNREFUSED)' },
    ]);
    assert.equal(exitCode, 0);
  });

  it('expands a lane template, and refuses targets whose lane counts differ', () => {
    assert.deepEqual(
      coldStartLanes({ url: 'https://api-1.example.com', lanes: { template: 'https://api-{lane}.example.com/v1', count: 3, from: 2 } }).map((l) => [
        l.lane,
        l.url,
      ]),
      [
        [2, 'https://api-2.example.com/v1'],
        [3, 'https://api-3.example.com/v1'],
        [4, 'https://api-4.example.com/v1'],
      ],
    );
    const text = `name: bad
targets:
  cloudrun: { url: "https://a.example.com", lanes: { template: "https://a-{lane}.example.com", count: 4 } }
  k8s: { url: "https://b.example.com", lanes: ["https://b1.example.com", "https://b2.example.com"] }
  other: { url: "https://{lane}.example.com", lanes: { template: "https://c.example.com", count: 2 } }
probes:
  - kind: coldstart
    samples: 4
    targets: [cloudrun, k8s]
`;
    assert.throws(
      () => parseScenario(text, 'bad.yaml'),
      (error: Error & { details: string[] }) => {
        const details = error.details.join('\n');
        assert.match(
          details,
          /bad\.yaml:3 targets\.cloudrun\.lanes: cold-start lanes pair up across targets, so each needs as many: cloudrun has 4, k8s has 2/,
        );
        assert.match(details, /bad\.yaml:4 targets\.k8s\.lanes: cold-start lanes pair up/);
        assert.match(details, /bad\.yaml:5 targets\.other\.lanes\.template: the template needs \{lane\}/);
        return true;
      },
    );
  });
});
