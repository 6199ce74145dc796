/** Load probes against real loopback servers: bounded in count and time, loopback only. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Summary } from '../src/model/summary.js';
import { renderGateMarkdown } from '../src/report/gate-markdown.js';
import { renderJUnit } from '../src/report/junit.js';
import type { LoadSample, SeriesRecord, Tick } from '../src/model/records.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { appInProcess, CLI, readJsonLines, runOneProbe, serve, tempDir } from './helpers.js';

const runLoad = (url: string, probe: string, verdicts = '') => runOneProbe<LoadSample>(url, 'load', probe, verdicts, ', timeout: 5s');

describe('open-model load probe', () => {
  it('measures a fixed 20 ms server at p50 between 19 and 25 ms, and sends exactly the schedule', async () => {
    const url = await serve((_, res) => setTimeout(() => res.end('ok'), 20));
    const { summary, series } = await runLoad(url, 'stages: [{ name: steady, rate: 100/s, duration: 3s }]');
    const stage = summary.targets.t!.load!.steady!;
    assert.equal(stage.requests, 300);
    assert.equal(stage.errors, 0);
    assert.equal(stage.dropped, 0);
    assert.ok(stage.latencyMs!.p50 >= 19 && stage.latencyMs!.p50 <= 25, `p50 ${stage.latencyMs!.p50}ms`);
    assert.equal(stage.latencyMs!.count, 300);
    assert.ok(stage.valid);
    const ticks = series.filter((r) => r.type === 'tick');
    assert.ok(ticks.length >= 3, 'a tick per second');
    assert.equal(
      ticks.reduce((sum, t) => sum + (t.type === 'tick' ? t.completed : 0), 0),
      300,
    );
  });

  it('shows a 1 s server stall in the corrected p99, while the uncorrected p99 from the socket write stays low', async () => {
    let stallStart = 0;
    const url = await serve((_, res) => {
      const now = Date.now();
      stallStart ||= now + 1000;
      const wait = now >= stallStart && now < stallStart + 1000 ? stallStart + 1000 - now : 0;
      setTimeout(() => res.end('ok'), wait);
    });
    // One connection: requests due during the stall queue before they are written, as in wrk2's demonstration.
    const { summary } = await runLoad(url, 'stages: [{ name: s, rate: 100/s, duration: 3s }]\nconnections: 1\nmaxInFlight: 500');
    const stage = summary.targets.t!.load!.s!;
    assert.equal(stage.errors, 0);
    assert.ok(stage.latencyMs!.p99 > 500, `corrected p99 ${stage.latencyMs!.p99}ms hides the stall`);
    assert.ok(stage.uncorrectedLatencyMs!.p99 < 100, `uncorrected p99 ${stage.uncorrectedLatencyMs!.p99}ms`);
    assert.ok(stage.scheduleLagMs!.max > 500, 'the queueing shows as schedule lag');
  });

  it('never passes a target that can serve only half the requested rate', async () => {
    // Serves one request at a time, 20 ms each: 50 requests a second at most.
    let busyUntil = 0;
    const url = await serve((_, res) => {
      busyUntil = Math.max(busyUntil, Date.now()) + 20;
      setTimeout(() => res.end('ok'), busyUntil - Date.now());
    });
    const { summary, exitCode } = await runLoad(
      url,
      'stages: [{ name: half, rate: 100/s, duration: 3s }]\nmaxInFlight: 30\nslo: { successRate: ">= 99%", p95: "< 500ms" }',
      '  - slo: { target: t, stage: half }',
    );
    const stage = summary.targets.t!.load!.half!;
    assert.ok(stage.dropped > 0);
    assert.equal(stage.valid, false);
    assert.match(stage.invalidReason!, /dropped at maxInFlight: the load generator was the limit/);
    assert.ok(['invalid', 'fail'].includes(summary.verdicts[0]!.status), summary.verdicts[0]!.status);
    assert.notEqual(exitCode, 0);
  });

  it('judges a stage invalid, not failed, when its own client is starved, and fails a slow server', async () => {
    // The server runs in its own process: the starved event loop is only coldbench's.
    const url = await appInProcess();
    const probe = (ms: number) => `request: { path: "/api/work?ms=${ms}" }\nstages: [{ name: s, rate: 50/s, duration: 3s }]\nslo: { p95: "< 100ms" }`;
    const verdict = '  - slo: { target: t, stage: s }';

    const slow = await runLoad(url, probe(250), verdict);
    const slowStage = slow.summary.targets.t!.load!.s!;
    assert.equal(slowStage.valid, true, slowStage.invalidReason ?? '');
    assert.ok(slowStage.eventLoopDelayMs!.p99 < 6, `an idle client's loop delay p99 ${slowStage.eventLoopDelayMs!.p99}ms`);
    assert.equal(slow.summary.verdicts[0]!.status, 'fail');
    assert.equal(slow.exitCode, 1);

    // 40 ms of busy loop in every 100 ms: the client, not the 5 ms server, delays the requests.
    const busy = setInterval(() => {
      const until = performance.now() + 40;
      while (performance.now() < until);
    }, 100);
    const starved = await runLoad(url, probe(5), verdict).finally(() => clearInterval(busy));
    const stage = starved.summary.targets.t!.load!.s!;
    assert.equal(stage.valid, false);
    assert.match(
      stage.invalidReason!,
      /^the load generator lagged \(event-loop delay p99 [\d.]+ms; over 10% of the p95 limit 100ms\): the client, not the server, may have caused this$/,
    );
    assert.ok(stage.eventLoopDelayMs!.p99 >= 20, `loop delay p99 ${stage.eventLoopDelayMs!.p99}ms`);
    const [judged] = starved.summary.verdicts;
    assert.equal(judged!.status, 'invalid');
    assert.match(judged!.detail, /the load generator lagged/);
    assert.equal(starved.exitCode, 2);
    assert.ok(starved.summary.client.load!.s!.count > 100, 'the delay is stored for the stage');
  });

  it('stops early on an abort rule, keeps what it measured, and a stage it never reached has no data', async () => {
    const url = await serve((_, res) => res.writeHead(500).end('down'));
    const { summary, series, samples, elapsedMs } = await runLoad(
      url,
      'stages: [{ name: first, rate: 50/s, duration: 20s }, { name: second, rate: 50/s, duration: 5s }]\n' +
        'abort: { errorRate: "> 50%", window: 1s, after: 1s }\nslo: { successRate: ">= 99%" }',
      '  - slo: { target: t, stage: first }\n  - slo: { target: t, stage: second }',
    );
    assert.ok(elapsedMs < 8000, `stopped after ${elapsedMs}ms`);
    const abort = series.find((r) => r.type === 'abort');
    assert.ok(abort && abort.type === 'abort' && /error rate 100\.0%/.test(abort.reason));
    assert.ok(samples.length > 40 && samples.length < 300, `${samples.length} samples kept`);
    assert.ok(samples.every((s) => s.error?.class === 'status-5xx'));
    const first = summary.targets.t!.load!.first!;
    assert.match(first.aborted!, /error rate/);
    assert.deepEqual(first.errorsByClass, { 'status-5xx': first.requests });
    // The stage the abort kept it from is aborted too, with the reason, and fails.
    const second = summary.targets.t!.load!.second!;
    assert.deepEqual([second.requests, second.aborted], [0, first.aborted]);
    assert.deepEqual(
      summary.verdicts.map((v) => v.status),
      ['fail', 'fail'],
    );
  });

  it('stops only the target that tripped an abort rule: the other keeps its full schedule and passes 10x', async () => {
    const down = await serve((_, res) => res.writeHead(500).end('down'));
    const up = await serve((_, res) => res.end('ok'));
    const text = `name: cutover
targets:
  cloudrun: { url: "${down}" }
  k8s: { url: "${up}" }
probes:
  - kind: load
    stages: [{ name: baseline, rate: 10/s, duration: 2s }, { name: 10x, rate: 100/s, duration: 3s }]
    slo: { successRate: ">= 95%", p95: "< 500ms" }
    abort: { errorRate: "> 50%", window: 1s, after: 1s }
verdicts:
  - loadMultiplier: { target: k8s, stage: 10x, baselineStage: baseline, atLeast: 10 }
  - loadMultiplier: { target: cloudrun, stage: 10x, baselineStage: baseline, atLeast: 10 }
`;
    const { summary, dir } = await runScenario(parseScenario(text, 'cutover.yaml'), { outDir: tempDir() });
    const k8s = summary.targets.k8s!.load!;
    assert.deepEqual([k8s.baseline!.requests, k8s['10x']!.requests, k8s['10x']!.aborted], [20, 300, null]);
    const cloudrun = summary.targets.cloudrun!.load!;
    assert.match(cloudrun.baseline!.aborted!, /error rate 100\.0%/);
    assert.equal(cloudrun['10x']!.requests, 0, 'nothing more is sent to the stopped target');
    assert.equal(cloudrun['10x']!.aborted, cloudrun.baseline!.aborted);
    const [k8sVerdict, cloudrunVerdict] = summary.verdicts;
    assert.equal(k8sVerdict!.status, 'pass', k8sVerdict!.detail);
    assert.equal(cloudrunVerdict!.status, 'fail');
    assert.match(cloudrunVerdict!.detail, /; aborted: error rate/);
    const aborts = readJsonLines<{ type: string; target?: string }>(join(dir, 'series.jsonl')).filter((r) => r.type === 'abort');
    assert.deepEqual(
      aborts.map((a) => a.target),
      ['cloudrun'],
    );
  });

  it('judges a declared SLO without a verdicts section, and the exit code follows it', async () => {
    // Every other request fails: a success-rate SLO has no latency limit, so the client's own
    // delay on a busy machine cannot turn this failure into `invalid`.
    let served = 0;
    const url = await serve((_, res) => res.writeHead(served++ % 2 ? 503 : 200).end('ok'));
    const { summary, exitCode } = await runLoad(url, 'stages: [{ name: s, rate: 100/s, duration: 2s }]\nslo: { successRate: ">= 99%" }');
    assert.deepEqual(
      summary.verdicts.map((v) => [v.id, v.title, v.status]),
      [['slo', 't holds stage s within its SLOs', 'fail']],
    );
    assert.equal(exitCode, 1);
    assert.deepEqual(summary.unjudgedSlos, []);
    const junit = renderJUnit(summary, 'test-host');
    assert.match(junit, /<testcase classname="coldbench\.slo" name="t holds stage s within its SLOs"[^>]*>\s*<failure/);
    assert.match(renderGateMarkdown(summary), /❌ \| t holds stage s within its SLOs/);
  });

  it('names the declared SLOs that no verdict judges', async () => {
    const url = await serve((_, res) => res.end('ok'));
    const text = `name: gap
targets:
  a: { url: "${url}" }
  b: { url: "${url}" }
probes:
  - kind: load
    stages: [{ name: s, rate: 10/s, duration: 1s }]
    slo: { p95: "< 500ms" }
verdicts:
  - slo: { target: a, stage: s }
`;
    const { summary } = await runScenario(parseScenario(text, 'gap.yaml'), { outDir: tempDir() });
    assert.deepEqual(summary.unjudgedSlos, ['b load/s']);
    assert.equal(summary.verdicts.length, 1);
  });

  it('keeps failed requests out of the per-second percentiles, as the summary does', async () => {
    let n = 0;
    const url = await serve((_, res) => (n++ % 2 ? res.writeHead(503).end() : setTimeout(() => res.end('ok'), 30)));
    const { series, summary, intervals } = await runLoad(url, 'stages: [{ name: s, rate: 100/s, duration: 2s }]');
    const ticks = series.filter((r): r is Tick => r.type === 'tick' && r.completed > 0);
    assert.ok(ticks.length >= 2);
    assert.equal(
      ticks.reduce((sum, t) => sum + t.errors, 0),
      100,
      'the fast 503s are counted beside the percentiles',
    );
    const seconds = intervals.filter(({ interval }) => interval.target === 't' && interval.stage === 's' && interval.metric === 'latency');
    assert.ok(seconds.length >= 2, `${seconds.length} latency intervals`);
    assert.equal(
      seconds.reduce((sum, { interval }) => sum + interval.count, 0),
      100,
      'the intervals hold the 100 successes only',
    );
    for (const { histogram } of seconds)
      assert.ok(histogram.getValueAtPercentile(50) >= 25_000, `interval p50 ${histogram.getValueAtPercentile(50)}µs holds only the 30 ms successes`);
    assert.ok(summary.targets.t!.load!.s!.latencyMs!.p50 >= 25);
  });

  it('bounds a whole request by its timeout, so a body that trickles in is a timeout, not a ten-second success', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let left = 100;
      const drip = setInterval(() => (--left > 0 ? res.write('.') : (clearInterval(drip), res.end())), 100);
      res.on('close', () => clearInterval(drip));
    });
    const { samples } = await runOneProbe<LoadSample>(url, 'load', 'timeout: 1s\nstages: [{ name: s, rate: 4/s, duration: 1s }]');
    assert.deepEqual(
      samples.map((s) => [s.ok, s.error?.code, s.error?.class]),
      samples.map(() => [false, 'CB_REQUEST_TIMEOUT', 'timeout']),
    );
    assert.ok(samples.length === 4 && samples.every((s) => s.latencyMs! < 3000), samples.map((s) => s.latencyMs).join(', '));
  });

  it('calls a latency SLO with nothing to measure no-data, never pass', async () => {
    const url = await serve((_, res) => res.writeHead(503).end());
    const { summary } = await runLoad(url, 'stages: [{ name: s, rate: 20/s, duration: 1s }]\nslo: { p95: "< 1s" }', '  - slo: { target: t, stage: s }');
    const [check] = summary.targets.t!.load!.s!.slo;
    assert.deepEqual([check!.status, check!.observed, check!.samples], ['no-data', null, 0]);
    assert.equal(summary.verdicts[0]!.status, 'no-data');
  });

  it('judges an interrupted stage by the rate it sent while it ran', async () => {
    const url = await serve((_, res) => res.end('ok'));
    const stop = new AbortController();
    // After the warm-up (1.5 s of its own schedule against a sink inside coldbench), a few seconds of the stage.
    setTimeout(() => stop.abort(), 4000);
    const text = `name: cut\ntargets:\n  t: { url: "${url}" }\nprobes:\n  - { kind: load, stages: [{ name: s, rate: 50/s, duration: 20s }] }\n`;
    const { summary, exitCode } = await runScenario(parseScenario(text, 'cut.yaml'), { outDir: tempDir(), signal: stop.signal });
    const stage = summary.targets.t!.load!.s!;
    assert.equal(exitCode, 4);
    assert.ok(stage.requests > 40 && stage.requests < 200, `${stage.requests} requests before the interrupt`);
    assert.ok(stage.achievedRate > 45 && stage.achievedRate <= 51, `achieved ${stage.achievedRate}/s while it ran, not over the planned 20 s`);
  });

  it('ramps the arrival rate linearly and sends the expected count', async () => {
    const url = await serve((_, res) => res.end('ok'));
    const { summary, samples } = await runLoad(url, 'stages: [{ name: up, rampTo: 100/s, duration: 2s }, { name: down, rampTo: 0/s, duration: 1s }]');
    const up = summary.targets.t!.load!.up!;
    assert.equal(up.targetRate, 50);
    assert.equal(up.requests, 100);
    const upSamples = samples.filter((s) => s.stage === 'up');
    const start = upSamples[0]!.intendedAt;
    const firstHalf = upSamples.filter((s) => s.intendedAt - start < 1000).length;
    assert.equal(firstHalf, 25, 'a linear ramp sends a quarter of its requests in its first half');
    assert.equal(summary.targets.t!.load!.down!.requests, 50);
  });
});

describe("a fresh process's first second", () => {
  it('holds 5,000 req/s from the first second in a fresh `coldbench run` process, dropping nothing', async () => {
    // The server in its own process on core 0, coldbench on core 1, as the bench measures a user's first run.
    // The server is warmed first: this measures the generator's first second, not the server's.
    const server = spawn('taskset', ['-c', '0', process.execPath, '-e', PLAIN_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    after(() => server.kill());
    const port = await new Promise<number>((resolve) => server.stdout!.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
    const url = `http://127.0.0.1:${port}`;
    await autocannon({ url, connections: 64, amount: 30_000 });
    const dir = tempDir();
    writeFileSync(
      join(dir, 'fresh.yaml'),
      `name: fresh\ntargets:\n  server: { url: "${url}" }\nprobes:\n  - kind: load\n    stages: [{ name: s, rate: 5000/s, duration: 5s }]\n    connections: 64\n`,
    );
    const run = spawnSync('taskset', ['-c', '1', process.execPath, CLI, 'run', join(dir, 'fresh.yaml'), '--max-rate', '5000/s', '--json', '--out', dir], {
      encoding: 'utf8',
    });
    const summary = JSON.parse(run.stdout) as Summary;
    const stage = summary.targets.server!.load!.s!;
    const first = readJsonLines<SeriesRecord>(join(dir, summary.runId, 'series.jsonl')).find((r): r is Tick => r.type === 'tick' && r.second === 0)!;
    assert.equal(first.dropped, 0, `first second: ${first.sent} sent, ${first.dropped} dropped`);
    assert.ok(first.sent >= 4900, `${first.sent} sent in the first second`);
    assert.deepEqual([stage.requests, stage.dropped], [25_000, 0]);
  });
});

/** A plain node:http server that prints its port. */
const PLAIN_SERVER = `const s = require('node:http').createServer((q, r) => r.end('ok'));
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

describe('capacity probe', () => {
  it('finds the maximum throughput with autocannon and stores its histogram', async () => {
    const url = await serve((_, res) => res.end('ok'));
    const text = `name: capacity
targets:
  t: { url: "${url}" }
probes:
  - { kind: capacity, connections: 4, duration: 1s }
`;
    const { summary } = await runScenario(parseScenario(text, 'c.yaml'), { outDir: tempDir() });
    const capacity = summary.targets.t!.capacity!;
    assert.ok(capacity.requestsPerSecond > 100, `${capacity.requestsPerSecond}/s`);
    assert.equal(capacity.errors + capacity.non2xx, 0);
    assert.equal(capacity.latencyMs!.count, capacity.successes, 'every 2xx latency autocannon recorded is in the histogram');
  });
});
