/**
 * The InfluxDB sink and `export influx` against a real InfluxDB v2 write API: Debian's
 * VictoriaMetrics (it names series `measurement_field`), started here on loopback. The
 * points read back must be the ones the run directory gives, live, backfilled and
 * backfilled twice; a database that is down, slow or refusing never costs the run anything,
 * and the backfill fills what it missed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { exportRunToInflux, forEachStoredPoint, runTags } from '../src/cli/influx-export.js';
import { influxSink, type InfluxConfig } from '../src/sinks/influxdb.js';
import type { InfluxPoint } from '../src/sinks/influx-points.js';
import { CLI, freePort, serve, tempDir } from './helpers.js';

const VICTORIA_METRICS = '/usr/bin/victoria-metrics';

async function startVictoriaMetrics(): Promise<{ url: string; child: ChildProcess }> {
  assert.ok(existsSync(VICTORIA_METRICS), `${VICTORIA_METRICS} is missing: apt-get install victoria-metrics (as .ci/run does)`);
  const port = await freePort();
  // Deduplication makes a sample written twice at one timestamp count once, as InfluxDB overwrites it.
  // Its own directory, not tempDir(): that one is removed when the hook that made it ends.
  const storage = mkdtempSync(join(tmpdir(), 'coldbench-vm-'));
  const child = spawn(
    VICTORIA_METRICS,
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${storage}`, '-dedup.minScrapeInterval=1ms', '-loggerLevel=ERROR'],
    { stdio: 'ignore' },
  );
  child.once('exit', () => rmSync(storage, { recursive: true, force: true }));
  // Never outlives the test file, however it ends.
  process.once('exit', () => child.kill());
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
  }
  child.kill();
  throw new Error('VictoriaMetrics did not start');
}

/**
 * Every numeric sample VictoriaMetrics holds for a run: `name{tags} @ms` → value. The newest
 * rows become searchable up to a second after a forced flush: read until `atLeast` are there
 * (or 5 s passed).
 */
async function readBack(url: string, runId: string, atLeast = 0): Promise<Map<string, number>> {
  for (const deadline = Date.now() + 5000; ; await new Promise((r) => setTimeout(r, 200))) {
    const samples = await exportOnce(url, runId);
    if (samples.size >= atLeast || Date.now() > deadline) return samples;
  }
}

async function exportOnce(url: string, runId: string): Promise<Map<string, number>> {
  await fetch(`${url}/internal/force_flush`);
  const body = await (await fetch(`${url}/api/v1/export`, { method: 'POST', body: new URLSearchParams({ 'match[]': `{run_id="${runId}"}` }) })).text();
  const out = new Map<string, number>();
  for (const line of body.split('\n').filter(Boolean)) {
    const { metric, values, timestamps } = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const { __name__: name, ...tags } = metric;
    if (STRING_FIELDS.includes(name!)) continue;
    values.forEach((value, i) => out.set(sampleKey(name!, tags, timestamps[i]!), value));
  }
  return out;
}

/** String fields: VictoriaMetrics keeps a sample for them, but not their text; the tags carry the same. */
const STRING_FIELDS = ['coldbench_verdict_status', 'coldbench_coldstart_instance_id'];

const sampleKey = (name: string, tags: Record<string, string>, at: number) =>
  `${name}{${Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}} @${at}`;

/** What the run directory says InfluxDB should hold, as VictoriaMetrics names it (strings are not kept). */
function expected(dir: string, userTags: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  const common = { ...userTags, ...runTags(dir) };
  forEachStoredPoint(dir, (points: InfluxPoint[]) => {
    for (const point of points) {
      for (const [field, value] of Object.entries(point.fields)) {
        if (typeof value === 'string') continue;
        out.set(sampleKey(`${point.measurement}_${field}`, { ...common, ...point.tags }, point.timestamp), typeof value === 'boolean' ? Number(value) : value);
      }
    }
  });
  return out;
}

function assertSame(actual: Map<string, number>, wanted: Map<string, number>, what: string): void {
  const missing = [...wanted.keys()].filter((k) => !actual.has(k));
  const extra = [...actual.keys()].filter((k) => !wanted.has(k));
  const differ = [...wanted].filter(([k, v]) => actual.has(k) && actual.get(k) !== v);
  assert.deepEqual(
    { missing: missing.slice(0, 5), extra: extra.slice(0, 5), differ: differ.slice(0, 5) },
    { missing: [], extra: [], differ: [] },
    `${what}: ${missing.length} missing, ${extra.length} extra, ${differ.length} differ of ${wanted.size}`,
  );
}

const TAGS = { env: 'ci' };
/** A three-second stage: the sink flushes each second, so a database that dies after its first write misses later ones. */
async function loadRunWith(sinkUrl: string, target: string) {
  const config: InfluxConfig = { url: sinkUrl, org: 'coldbench', bucket: 'runs', tags: TAGS };
  const text = `name: influx\ntargets:\n  a: { url: "${target}" }\n  b: { url: "${target}" }\nprobes:\n  - kind: load\n    stages: [{ name: s, rate: 200/s, duration: 3s }]\n    slo: { successRate: ">= 50%" }\n`;
  const outcome = await runScenario(parseScenario(text, 'influx.yaml'), {
    outDir: tempDir(),
    sinks: [influxSink(config)],
    sinkCloseMs: 3000,
    runner: 'runner-1',
  });
  return { outcome, config, influx: outcome.sinks.find((s) => s.name === 'influxdb')! };
}

describe('the InfluxDB sink and export against VictoriaMetrics', () => {
  let vm: { url: string; child: ChildProcess };
  before(async () => (vm = await startVictoriaMetrics()));
  // Every fifth request fails, so that error points are written too.
  const target = () => {
    let n = 0;
    return serve((_, res) => (n++ % 5 === 0 ? res.writeHead(503).end() : res.end('ok')));
  };
  after(() => vm.child.kill());

  it('writes live what the run directory holds, and a backfill, once or twice, writes the same', async () => {
    const { outcome, config, influx } = await loadRunWith(vm.url, await target());
    assert.equal(outcome.exitCode, 0, JSON.stringify(outcome.summary.verdicts.map((v) => v.detail)));
    assert.match(influx.note!, /^\d+ points written to http/);
    const wanted = expected(outcome.dir, TAGS);
    const names = new Set([...wanted.keys()].map((k) => k.split('{')[0]));
    for (const name of [
      'coldbench_load_sent',
      'coldbench_load_target_rate',
      'coldbench_latency_p99',
      'coldbench_errors_count',
      'coldbench_verdict_observed',
      'coldbench_summary_p99',
    ]) {
      assert.ok(names.has(name), `${name} among ${[...names].join(', ')}`);
    }
    assertSame(await readBack(vm.url, outcome.runId, wanted.size), wanted, 'live');

    await fetch(`${vm.url}/api/v1/admin/tsdb/delete_series`, { method: 'POST', body: new URLSearchParams({ 'match[]': `{run_id="${outcome.runId}"}` }) });
    assert.equal((await readBack(vm.url, outcome.runId)).size, 0);
    const report = await exportRunToInflux(outcome.dir, config);
    assert.equal(report.written, report.points);
    assertSame(await readBack(vm.url, outcome.runId, wanted.size), wanted, 'backfill');
    const cli = execFileSync(process.execPath, [CLI, 'export', 'influx', outcome.dir, '--influx-url', vm.url, '--influx-bucket', 'runs', '--tag', 'env=ci'], {
      encoding: 'utf8',
    });
    assert.equal(cli, `${report.points} of ${report.points} points written to ${vm.url} (org -, bucket runs)\n`);
    assertSame(await readBack(vm.url, outcome.runId, wanted.size + 1), wanted, 'backfill twice');
  });

  // The answers InfluxDB gives that VictoriaMetrics never does, from a loopback stand-in.
  const faults: Array<[string, (server: Server) => void]> = [
    ['down at the start', (server) => server.close()],
    [
      '401 Unauthorized',
      (server) =>
        server.on('request', (_, res) =>
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"unauthorized","message":"unauthorized access"}'),
        ),
    ],
    [
      '413 Request Entity Too Large',
      (server) =>
        server.on('request', (_, res) => res.writeHead(413, { 'content-type': 'application/json' }).end('{"code":"request too large","message":"too large"}')),
    ],
    ['429 with Retry-After', (server) => server.on('request', (_, res) => res.writeHead(429, { 'retry-after': '1' }).end())],
    ['500', (server) => server.on('request', (_, res) => res.writeHead(500).end('{"code":"internal error","message":"boom"}'))],
    ['10 s responses', (server) => server.on('request', (_, res) => setTimeout(() => res.writeHead(204).end(), 10_000).unref())],
    [
      'going down mid-run',
      (server) => {
        let writes = 0;
        server.on('request', (req, res) => {
          req.resume();
          res.writeHead(204).end();
          if (++writes === 1) {
            server.close();
            server.closeAllConnections();
          }
        });
      },
    ],
  ];
  for (const [name, behave] of faults) {
    it(`completes the run when InfluxDB is ${name}, names what was not written, and the backfill fills it`, async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      behave(server);
      const started = Date.now();
      const { outcome, config, influx } = await loadRunWith(url, await target());
      server.closeAllConnections();
      server.close();
      assert.ok(Date.now() - started < 15_000, `the run took ${Date.now() - started} ms`);
      assert.equal(outcome.exitCode, 0, `the run is judged as if nothing happened: ${JSON.stringify(outcome.summary.verdicts.map((v) => v.detail))}`);
      assert.equal(outcome.summary.targets.a!.load!.s!.requests, 600);
      assert.match(
        influx.note!,
        /^(\d+) of (\d+) points not written to http:\/\/127\.0\.0\.1:\d+ \(.+\); write them with: coldbench export influx \S+ --influx-url .* --tag env=ci$/,
      );
      assert.deepEqual(outcome.summary.sinks.find((s) => s.name === 'influxdb')?.note, influx.note, 'summary.json names it too');
      const report = await exportRunToInflux(outcome.dir, { ...config, url: vm.url });
      assert.equal(report.written, report.points);
      const wanted = expected(outcome.dir, TAGS);
      assertSame(await readBack(vm.url, outcome.runId, wanted.size), wanted, `backfill after ${name}`);
    });
  }
});
