/**
 * The provisioned Grafana dashboards, query by query, against a real InfluxQL engine:
 * Debian's InfluxDB 1.6, started here on loopback, loaded with a run's points exactly as the
 * sink writes them. Grafana's variables are substituted as Grafana would; every query must
 * run, and the panels must show the numbers summary.json holds. A contract test checks that
 * every measurement, field and tag a query names is one the sink writes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Summary } from '../src/model/summary.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { forEachStoredPoint, runTags } from '../src/cli/influx-export.js';
import { INFLUX_SCHEMA } from '../src/sinks/influx-points.js';
import { toLineProtocolPoint } from '../src/sinks/influxdb.js';
import { formatMs } from '../src/model/units.js';
import { ROOT, appInProcess, freePort, tempDir } from './helpers.js';

const INFLUXD = '/usr/bin/influxd';
const DB = 'runs';

interface Panel {
  title: string;
  targets: Array<{ query: string; resultFormat: string }>;
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: string }> };
}
const dashboard = (name: string) => JSON.parse(readFileSync(join(ROOT, 'grafana/dashboards', name), 'utf8')) as Dashboard;
const DASHBOARDS = [dashboard('coldbench-run.json'), dashboard('coldbench-trends.json')];

async function startInfluxDb(): Promise<{ url: string; stop(): void }> {
  assert.ok(existsSync(INFLUXD), `${INFLUXD} is missing: apt-get install influxdb (as .ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'coldbench-influxd-'));
  const [http, rpc] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'influxdb.conf'),
    `reporting-disabled = true\nbind-address = "127.0.0.1:${rpc}"\n[meta]\n  dir = "${dir}/meta"\n[data]\n  dir = "${dir}/data"\n  wal-dir = "${dir}/wal"\n  query-log-enabled = false\n[http]\n  bind-address = "127.0.0.1:${http}"\n  log-enabled = false\n[monitor]\n  store-enabled = false\n`,
  );
  const child = spawn(INFLUXD, ['-config', join(dir, 'influxdb.conf')], { stdio: 'ignore' });
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  // Never outlives the test file, however it ends.
  process.once('exit', () => child.kill());
  const url = `http://127.0.0.1:${http}`;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (
      await fetch(`${url}/ping`).then(
        (r) => r.status === 204,
        () => false,
      )
    )
      return { url, stop: () => child.kill() };
  }
  child.kill();
  throw new Error('influxd did not start');
}

type Series = { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] };

async function influxQl(url: string, q: string): Promise<Series[]> {
  const response = await fetch(`${url}/query?${new URLSearchParams({ db: DB, q, epoch: 'ms' })}`, { method: 'POST' });
  const body = (await response.json()) as { results?: Array<{ series?: Series[]; error?: string }>; error?: string };
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  if (error) throw new Error(`${q}: ${error}`);
  return body.results?.[0]?.series ?? [];
}

/** A column of every series as numbers, with the series' tags. */
const column = (series: Series[], name: string) =>
  series.flatMap((s) => s.values.map((row) => ({ tags: s.tags ?? {}, value: row[s.columns.indexOf(name)] as number | null })).filter((v) => v.value !== null));

describe('Grafana dashboards on InfluxQL (InfluxDB 1.6)', () => {
  let influx: { url: string; stop(): void };
  let summary: Summary;
  let runId: string;
  let range: [number, number];

  before(async () => {
    influx = await startInfluxDb();
    const [cold, warm] = [await appInProcess(), await appInProcess()];
    const text = `name: dashboards
targets:
  cloudrun: { url: "${cold}" }
  k8s: { url: "${warm}" }
probes:
  - { kind: coldstart, samples: 3, warmFollowUps: 0, request: { path: /health } }
  - kind: load
    request: { path: "/api/work?ms=2" }
    stages: [{ name: baseline, rate: 20/s, duration: 1s }, { name: 10x, rate: 200/s, duration: 2s }]
    slo: { successRate: ">= 90%" }
  - { kind: stream, protocol: sse, request: { method: POST, path: "/api/chat?interval=100" }, connections: 4, hold: 1s }
  - { kind: idleSweep, request: { path: /health }, gaps: [50ms, 150ms], samples: 2 }
  - kind: load
    name: capacity
    request: { path: "/api/work?ms=2" }
    search: { from: 50/s, maxRate: 100/s, step: 1s, pause: 0s }
    slo: { p99: "< 1s" }
verdicts:
  - coldStartReduction: { baseline: cloudrun, candidate: k8s, atLeast: 50% }
  - loadMultiplier: { target: k8s, stage: 10x, baselineStage: baseline, atLeast: 10 }
  - streamSurvival: { target: k8s, atLeast: 50% }
`;
    const outcome = await runScenario(parseScenario(text, 'dashboards.yaml'), { outDir: tempDir() });
    ({ summary, runId } = outcome);
    await influxQl(influx.url, `CREATE DATABASE "${DB}"`);
    // The sink's own points and line protocol, with the tags it puts on every point.
    const common = runTags(outcome.dir);
    const lines: string[] = [];
    forEachStoredPoint(outcome.dir, (points) => {
      for (const point of points) lines.push(toLineProtocolPoint({ ...point, tags: { ...common, ...point.tags } }).toLineProtocol()!);
    });
    const written = await fetch(`${influx.url}/write?db=${DB}&precision=ms`, { method: 'POST', body: lines.join('\n') });
    assert.equal(written.status, 204, await written.text());
    range = [Date.parse(summary.startedAt) - 60_000, Date.parse(summary.endedAt!) + 60_000];
  });
  after(() => influx?.stop());

  /** Grafana's substitution: `$timeFilter`, `$__interval`, the run, and multi-value variables as regex alternations. */
  const substitute = (query: string, values: { target?: string[]; stage?: string[] } = {}) =>
    query
      .replaceAll('$timeFilter', `time >= ${range[0]}ms and time <= ${range[1]}ms`)
      .replaceAll('$__interval', '1s')
      .replaceAll('$run_id', runId)
      .replaceAll('$target', `(${(values.target ?? Object.keys(summary.targets)).join('|')})`)
      .replaceAll('$stage', `(${(values.stage ?? ['baseline', '10x']).join('|')})`);

  const panelQuery = (uid: string, title: string, ref = 0) => {
    const panel = DASHBOARDS.find((d) => d.uid === uid)!.panels.find((p) => p.title.startsWith(title));
    assert.ok(panel, `${uid} has a panel "${title}"`);
    return influxQl(influx.url, substitute(panel.targets[ref]!.query));
  };

  it('runs every query of every panel and variable without an error', async () => {
    for (const board of DASHBOARDS) {
      for (const variable of board.templating.list)
        assert.ok((await influxQl(influx.url, substitute(variable.query))).length > 0, `${board.uid} $${variable.name} has values`);
      for (const panel of board.panels) for (const target of panel.targets) await influxQl(influx.url, substitute(target.query));
    }
    const runs = await influxQl(influx.url, substitute(DASHBOARDS[0]!.templating.list.find((v) => v.name === 'run_id')!.query));
    // One series per measurement; Grafana shows each value once.
    assert.deepEqual([...new Set(column(runs, 'value').map((v) => v.value))], [runId]);
  });

  it('shows the verdicts, cold starts, load, errors and streams of summary.json in the run view', async () => {
    const verdicts = await panelQuery('coldbench-run', 'Verdicts');
    assert.equal(verdicts.length, summary.verdicts.length);
    for (const verdict of summary.verdicts) {
      const row = verdicts.find((s) => s.tags?.verdict === verdict.title);
      assert.ok(row, verdict.title);
      assert.equal(row.tags!.status, verdict.status);
      assert.equal(column([row], 'observed')[0]?.value ?? null, verdict.observed);
    }
    const coldstart = await panelQuery('coldbench-run', 'Cold start: first-request latency');
    for (const [target, figures] of Object.entries(summary.targets)) {
      const latencies = column(coldstart, 'latency').filter((v) => v.tags.target === target);
      assert.equal(latencies.length, figures.coldStart!.samples - figures.coldStart!.errors, `${target} first requests`);
    }
    const rates = await panelQuery('coldbench-run', 'Load: achieved vs target rate');
    const errors = await panelQuery('coldbench-run', 'Load: errors by class');
    const dropped = await panelQuery('coldbench-run', 'Load: dropped');
    const instances = await panelQuery('coldbench-run', 'Load: instances');
    const latency = await panelQuery('coldbench-run', 'Load: p50 / p95 / p99');
    const sum = (values: Array<{ value: number | null }>) => values.reduce((total, v) => total + (v.value ?? 0), 0);
    for (const [target, figures] of Object.entries(summary.targets)) {
      const stages = ['baseline', '10x'].map((name) => figures.load![name]!);
      const mine = (series: Series[], name: string) => column(series, name).filter((v) => v.tags.target === target);
      assert.equal(
        sum(mine(rates, 'mean')),
        stages.reduce((total, s) => total + s.requests, 0),
        `${target} requests sent`,
      );
      assert.equal(
        sum(mine(errors, 'sum')),
        stages.reduce((total, s) => total + s.errors, 0),
        `${target} errors`,
      );
      assert.equal(
        sum(mine(dropped, 'sum')),
        stages.reduce((total, s) => total + s.dropped, 0),
        `${target} dropped`,
      );
      assert.equal(Math.max(...mine(instances, 'max').map((v) => v.value!)), Math.max(...stages.map((s) => s.peakInstances ?? 0)), `${target} instances`);
      const worst = Math.max(...stages.map((s) => s.latencyMs!.max));
      const p99s = mine(latency, 'p99');
      assert.ok(p99s.length >= 3 && p99s.every((v) => v.value! <= worst), `${target} p99 per second within the stage max ${worst}`);
    }
    const targetRate = column(await panelQuery('coldbench-run', 'Load: achieved vs target rate', 1), 'max').map((v) => v.value);
    assert.deepEqual([...new Set(targetRate)].sort(), [20, 200]);
    const streams = await panelQuery('coldbench-run', 'Streams');
    for (const [target, figures] of Object.entries(summary.targets)) {
      assert.equal(
        Math.max(
          ...column(streams, 'open')
            .filter((v) => v.tags.target === target)
            .map((v) => v.value!),
        ),
        figures.stream!.peakConcurrent,
      );
      assert.equal(sum(column(streams, 'drops').filter((v) => v.tags.target === target)), figures.stream!.dropped);
    }
  });

  it("shows the idle sweep's cold share per gap, with its interval, in the run view", async () => {
    const rows = await panelQuery('coldbench-run', 'Idle sweep');
    for (const [target, figures] of Object.entries(summary.targets)) {
      const gaps = figures.idleSweep!.gaps;
      assert.equal(gaps.length, 2);
      for (const gap of gaps) {
        const row = rows.find((series) => series.tags?.target === target && series.tags.stage === formatMs(gap.gapMs));
        assert.ok(row, `${target} ${gap.gapMs}ms`);
        assert.deepEqual(
          ['cold_share', 'ci_low', 'ci_high', 'classified'].map((name) => column([row], name)[0]?.value),
          [gap.coldShare, gap.coldShareLow, gap.coldShareHigh, gap.cold + gap.warm],
        );
      }
    }
  });

  it('shows what each capacity search held, per instance, in the run view', async () => {
    const rows = await panelQuery('coldbench-run', 'Capacity search');
    for (const [target, figures] of Object.entries(summary.targets)) {
      const search = figures.capacitySearch!;
      const row = rows.find((series) => series.tags?.target === target);
      assert.ok(row && search.heldRate !== null, target);
      assert.deepEqual(
        ['held', 'per_instance', 'instances', 'steps'].map((name) => column([row], name)[0]?.value),
        [search.heldRate, search.rpsPerInstance, search.instances, search.steps.length],
      );
    }
  });

  it('shows the cold-start p50, the reduction, the 10x verdict and stream survival of summary.json in the trend view', async () => {
    const coldstart = await panelQuery('coldbench-trends', 'Cold start');
    for (const [target, figures] of Object.entries(summary.targets)) {
      assert.equal(column(coldstart, 'p50').find((v) => v.tags.target === target)?.value, figures.coldStart!.latencyMs!.p50);
    }
    const byId = (id: string) => summary.verdicts.find((v) => v.id === id)!;
    assert.equal(column(await panelQuery('coldbench-trends', 'Cold-start reduction'), 'ratio')[0]?.value ?? null, byId('cold-start-reduction').observed);
    assert.equal(column(await panelQuery('coldbench-trends', '10x verdict history'), 'multiplier')[0]?.value, byId('load-multiplier').observed);
    const survival = await panelQuery('coldbench-trends', 'Stream survival');
    for (const [target, figures] of Object.entries(summary.targets)) {
      assert.equal(column(survival, 'survival').find((v) => v.tags.target === target)?.value, figures.stream!.survival);
    }
  });

  it('names only measurements, fields and tags the sink writes', () => {
    const measurements = INFLUX_SCHEMA.measurements as Record<string, { tags: readonly string[]; fields: readonly string[] }>;
    for (const board of DASHBOARDS) {
      const queries = [...board.templating.list.map((v) => v.query), ...board.panels.flatMap((p) => p.targets.map((t) => t.query))];
      for (const query of queries) {
        const used = [...query.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
        const aliases = new Set([...query.matchAll(/ AS "([^"]+)"/g)].map((m) => m[1]!));
        const from = used.filter((name) => name in measurements);
        const known = new Set<string>([...INFLUX_SCHEMA.commonTags, ...from.flatMap((m) => [...measurements[m]!.tags, ...measurements[m]!.fields])]);
        if (from.length === 0) for (const m of Object.values(measurements)) for (const name of m.tags) known.add(name);
        for (const name of used) assert.ok(name in measurements || known.has(name) || aliases.has(name), `${board.uid}: "${name}" in ${query}`);
      }
    }
  });
});
