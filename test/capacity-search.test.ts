/**
 * Capacity search: on servers with a known limit (K requests served at once, each for a fixed
 * time, the rest queued), the highest rate the SLO held at is within 15% of K ÷ service time,
 * per target, both searched at once; instances and rate per instance come from identities;
 * capacityAtLeast verdicts read the searches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseScenario } from '../src/scenario/read.js';
import { runScenario } from '../src/run-scenario.js';
import { ScenarioError } from '../src/model/errors.js';
import { renderMarkdownReport } from '../src/report/markdown.js';
import { serve, tempDir } from './helpers.js';

const SERVICE_MS = 40;

/** `instances` instances, taking requests in turn, each serving `slots` at once for SERVICE_MS and queueing the rest. */
function limitedServer(instances: number, slots: number) {
  const free = Array.from({ length: instances }, () => slots);
  const queues = Array.from({ length: instances }, () => [] as Array<() => void>);
  let turn = 0;
  return (req: IncomingMessage, res: ServerResponse) => {
    const instance = turn++ % instances;
    req.resume();
    const serveOne = () => {
      setTimeout(() => {
        res.setHeader('x-instance-id', `i${instance}`);
        res.end('ok');
        const next = queues[instance]!.shift();
        if (next) next();
        else free[instance]! += 1;
      }, SERVICE_MS);
    };
    if (free[instance]! > 0) {
      free[instance]! -= 1;
      serveOne();
    } else queues[instance]!.push(serveOne);
  };
}

describe('capacity search', () => {
  it('finds K ÷ service time within 15% on each target at once, with its instances and rate per instance', async () => {
    const one = await serve(limitedServer(1, 4)); // 4 ÷ 40 ms = 100/s
    const two = await serve(limitedServer(2, 4)); // 2 × 100/s
    const text = `name: search
targets:
  one: { url: "${one}" }
  two: { url: "${two}" }
probes:
  - kind: load
    search: { from: 25/s, maxRate: 800/s, growth: 2, precision: 10%, step: 2s, pause: 500ms, budget: 90s }
    slo: { successRate: ">= 99%", p99: "< 250ms" }
verdicts:
  - capacityAtLeast: { target: one, atLeast: 90/s }
  - capacityAtLeast: { target: one, atLeast: 150/s }
  - capacityAtLeast: { target: two, atLeast: 90/s, perInstance: true }
`;
    const outcome = await runScenario(parseScenario(text, 'search.yaml'), { outDir: tempDir() });
    for (const [target, capacity] of [
      ['one', 100],
      ['two', 200],
    ] as const) {
      const search = outcome.summary.targets[target]!.capacitySearch!;
      const steps = search.steps.map((s) => `${s.rate} ${s.outcome} p99 ${s.p99Ms}`).join('; ');
      assert.equal(search.limit, 'slo', steps);
      assert.ok(Math.abs(search.heldRate! - capacity) <= 0.15 * capacity, `${target}: held ${search.heldRate}/s of ${capacity}/s (${steps})`);
      assert.ok(search.brokenRate! > search.heldRate!, steps);
      assert.equal(search.steps[0]!.rate, 25);
      assert.equal(search.instances, target === 'one' ? 1 : 2);
      assert.ok(Math.abs(search.rpsPerInstance! - 100) <= 15, `${target}: ${search.rpsPerInstance}/s per instance`);
      // Queueing shows before the SLO breaks: p99 doubles at or below the rate that broke.
      assert.ok(search.kneeRate !== null && search.kneeRate <= search.brokenRate!, `knee ${search.kneeRate} (${steps})`);
      // Each step is a load stage of its own target, at the rate it asked.
      const load = outcome.summary.targets[target]!.load!;
      for (const step of search.steps) assert.equal(load[step.stage]!.targetRate, step.rate);
    }
    // The claims read from the searches: 90/s held on one; 150/s broke there; 200/s on two instances is 100/s each.
    assert.deepEqual(
      outcome.summary.verdicts.map((v) => [v.title, v.status]),
      [
        ['one holds 90/s within its SLO', 'pass'],
        ['one holds 150/s within its SLO', 'fail'],
        ['two holds 90/s per instance within its SLO', 'pass'],
      ],
    );
    assert.match(outcome.summary.verdicts[1]!.detail, /it held 100\/s, and 1\d\d\/s broke its SLO/);
    assert.equal(outcome.exitCode, 1);
    assert.match(renderMarkdownReport(outcome.summary), /## Capacity search\n\n\| target +\| held rate/);
  });

  it('refuses a search without an slo, with stages too, or above --max-rate', () => {
    const text = `name: bad
targets:
  t: { url: "http://127.0.0.1:1" }
probes:
  - kind: load
    stages: [{ name: a, rate: 1/s, duration: 1s }]
    search: { from: 500/s, maxRate: 5000/s }
`;
    assert.throws(
      () => parseScenario(text, 'bad.yaml', { maxRate: 1000 }),
      (error: unknown) => {
        assert.ok(error instanceof ScenarioError);
        const messages = error.issues.map((issue) => `${issue.line}: ${issue.message}`).join('\n');
        assert.match(messages, /exactly one of stages or search/);
        assert.match(messages, /needs an slo/);
        assert.match(messages, /7: 5000\/s exceeds --max-rate 1000\/s/);
        return true;
      },
    );
  });
});
