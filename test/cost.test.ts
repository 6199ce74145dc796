/**
 * coldbench cost: the monthly cost per platform and traffic level, from measured instance
 * time and capacity per instance. A hand-computed sheet matches to the cent; a bad sheet is
 * refused with file:line; a run without instance ids is refused unless --instances is given;
 * the example sheets price a real run end to end, in the terminal and in the run's reports.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { costReport, type CostMeasurements } from '../src/analysis/cost.js';
import { ScenarioError } from '../src/model/errors.js';
import type { CostReport } from '../src/model/price-sheet.js';
import { parsePriceSheet } from '../src/scenario/price-sheet.js';
import { parseScenario } from '../src/scenario/read.js';
import { runScenario } from '../src/run-scenario.js';
import { coldbench, ROOT, serve, tempDir } from './helpers.js';

const price = (value: number) => `{ value: ${value}, source: "https://example.com/prices", read: 2026-12-03 }`;

const HAND_SHEET = `currency: USD
platforms:
  - name: requests
    target: serverless
    billing: requests
    instance: { vcpu: 1, memoryGiB: 0.5 }
    free: { vcpuSeconds: 1000, gibSeconds: 1000, requests: 1000 }
    prices: { vcpuSecond: ${price(0.00002)}, gibSecond: ${price(0.000002)}, millionRequests: ${price(0.5)} }
  - name: instances
    target: serverless
    billing: instances
    instance: { vcpu: 1, memoryGiB: 0.5 }
    minInstances: 1
    free: { vcpuSeconds: 1000, gibSeconds: 1000 }
    prices: { vcpuSecond: ${price(0.00002)}, gibSecond: ${price(0.000002)} }
  - name: nodes
    target: cluster
    billing: nodes
    node: { type: small, podsPerNode: 2 }
    headroom: 30%
    prices: { nodeHour: ${price(0.05)}, clusterHour: ${price(0.1)}, loadBalancerHour: ${price(0.02)} }
  - name: pods
    target: cluster
    billing: pods
    pod: { vcpu: 0.5, memoryGiB: 1 }
    headroom: 30%
    prices: { vcpuHour: ${price(0.04)}, gibHour: ${price(0.005)} }
`;

/** Five alike instances (so resampling them changes nothing), 0.2 s billed and 0.3 s alive per request; 50 rps a pod, 60 when it broke. */
const alike = (count: number) => Array.from({ length: count }, () => ({ requests: 40, busyMs: 6000, billedMs: 8000, lifetimeMs: 12000 }));
const HAND_MEASURED: CostMeasurements = {
  serverless: { stages: [{ stage: 'steady', rate: 10, instances: alike(5) }], capacity: null },
  cluster: { stages: [], capacity: { perInstance: 50, high: 60, instances: 2, heldRate: 100 } },
};

const cell = (report: CostReport, platform: string, level = 0) => report.platforms.find((p) => p.name === platform)!.cells[level]!;

describe('coldbench cost', () => {
  it('matches a hand-computed sheet to the cent, with intervals from the capacity bracket', () => {
    const report = costReport(parsePriceSheet(HAND_SHEET, 'hand.yaml'), HAND_MEASURED, { traffic: [1e6, 1e8], peakToMean: 4, within: 0.1 });
    // 1M requests × 0.2 s = 200,000 instance-s: (200,000 − 1,000) × 0.00002 + (100,000 − 1,000) × 0.000002 + 0.999 × 0.5 = 4.6775.
    assert.deepEqual(cell(report, 'requests'), { requestsPerMonth: 1e6, cost: 4.68, low: 4.68, high: 4.68, sizing: '200,000 instance-s' });
    // One minimum instance all month (730 h = 2,628,000 s) outweighs 1M × 0.3 s: (2,628,000 − 1,000) × 0.00002 + (1,314,000 − 1,000) × 0.000002 = 55.166.
    assert.equal(cell(report, 'instances').cost, 55.17);
    // 100M a month is 38.05/s on average, 152.2/s at the peak: ⌈152.2 ÷ (50 × 0.7)⌉ = 5 pods on 3 nodes: 730 × (3 × 0.05 + 0.1 + 0.02) = 197.10.
    // At 60/s a pod, 4 pods on 2 nodes: 730 × 0.22 = 160.60, the low end.
    assert.deepEqual(cell(report, 'nodes', 1), { requestsPerMonth: 1e8, cost: 197.1, low: 160.6, high: 197.1, sizing: '5 pods on 3 × small' });
    // 5 pods × (0.5 × 0.04 + 1 × 0.005) × 730 = 91.25; 4 pods: 73.
    assert.deepEqual(cell(report, 'pods', 1), { requestsPerMonth: 1e8, cost: 91.25, low: 73, high: 91.25, sizing: '5 pods' });
    const nodes = report.platforms.find((p) => p.name === 'nodes')!;
    // (197.10 − 160.60) ÷ 2 ÷ 197.10 = 9.3%: within 10%. The pods' (91.25 − 73) ÷ 2 ÷ 91.25 = 10% is not below it.
    assert.deepEqual([nodes.spread, nodes.predictable], [0.093, true]);
    assert.match(report.platforms[0]!.assumptions.join('\n'), /200 s per 1,000 requests, measured on serverless steady at 10\/s over 5 instances/);

    // Two instances cannot be resampled into an interval: the cost stands, the interval is left out and the row is not "predictable".
    const few = { ...HAND_MEASURED, serverless: { stages: [{ stage: 'steady', rate: 10, instances: alike(2) }], capacity: null } };
    const unbounded = costReport(parsePriceSheet(HAND_SHEET, 'hand.yaml'), few, { traffic: [1e6], peakToMean: 4, within: 0.1 }).platforms[0]!;
    assert.deepEqual([unbounded.cells[0]!.cost, unbounded.cells[0]!.low, unbounded.spread, unbounded.predictable], [4.68, null, null, false]);
    assert.match(unbounded.unbounded!, /measured over 2 instances \(steady\): too few to resample/);
  });

  it('refuses a bad sheet with every problem at once, each with file and line', () => {
    const bad = `currency: XYZ
platforms:
  - name: broken
    target: t
    billing: requests
    instance: { vcpu: 1, memoryGiB: 0.5 }
    prices:
      vcpuSecond: { value: -1, source: "https://example.com", read: 2026-12-03 }
      gibSecond: { value: "cheap", source: "https://example.com", read: 2026-12-03 }
      vcpuMinute: ${price(1)}
`;
    assert.throws(
      () => parsePriceSheet(bad, 'bad.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof ScenarioError);
        assert.equal(error.code, 'CB_PRICES_INVALID');
        const lines = error.details.join('\n');
        assert.match(lines, /^bad\.yaml:1 currency: expected a currency code/m);
        assert.match(lines, /^bad\.yaml:8 platforms\[0\]\.prices\.vcpuSecond\.value: expected a price of 0 or more/m);
        assert.match(lines, /^bad\.yaml:9 platforms\[0\]\.prices\.gibSecond\.value: expected a number/m);
        assert.match(lines, /^bad\.yaml:10 .*vcpuMinute/m);
        assert.match(lines, /millionRequests/);
        return true;
      },
    );
  });

  it('prices a real run with the example sheets, and refuses a run without instance ids unless --instances is given', async () => {
    // Two instances taking turns, each target its own server.
    const named = () => {
      let turn = 0;
      return serve((_, res) => {
        res.setHeader('x-instance-id', `i${turn++ % 2}`);
        setTimeout(() => res.end('ok'), 5);
      });
    };
    const cloudrun = await named();
    const anonymous = await serve((_, res) => setTimeout(() => res.end('ok'), 5));
    const scenario = (k8s: string) => `name: cost
targets:
  cloudrun: { url: "${cloudrun}" }
  k8s: { url: "${k8s}" }
probes:
  - kind: load
    stages: [{ name: steady, rate: 40/s, duration: 2s }]
  - kind: load
    name: search
    search: { from: 50/s, maxRate: 100/s, step: 1s, pause: 0s }
    slo: { p99: "< 500ms" }
`;
    const withIds = await runScenario(parseScenario(scenario(await named()), 'cost.yaml'), { outDir: tempDir() });
    const sheets = ['cloud-run', 'gke', 'doks'].flatMap((name) => ['--prices', join(ROOT, 'examples/prices', `${name}.yaml`)]);
    const printed = await coldbench('cost', withIds.dir, ...sheets, '--traffic', '10k,2M/month');
    assert.ok(printed.code === 0 || printed.code === 1, printed.stderr);
    assert.match(printed.stdout, /## What it costs/);
    for (const platform of ['Cloud Run \\(request-based\\)', 'Cloud Run \\(instance-based\\)', 'GKE Standard', 'GKE Autopilot', 'DigitalOcean Kubernetes'])
      assert.match(printed.stdout, new RegExp(`\\| ${platform}[^\\n]*\\| \\$\\d`));
    assert.match(printed.stdout, /one pod holds 50\/s within the SLO \(100\/s held on 2 instances/);
    assert.match(printed.stdout, /https:\/\/cloud\.google\.com\/run\/pricing, read 2026-12-03/);
    // The run's reports gain the same table when asked to price it.
    const reported = await coldbench('report', withIds.dir, '--html', ...sheets, '--traffic', '10k,2M/month');
    assert.equal(reported.code, 0, reported.stderr);
    assert.match(readFileSync(join(withIds.dir, 'report.md'), 'utf8'), /## What it costs\n\n\| platform \| billing \| 10k\/month \| 2M\/month/);
    assert.match(readFileSync(join(withIds.dir, 'report.html'), 'utf8'), /<h2>What it costs<\/h2><table id="cost">.*GKE Autopilot/s);
    const json = JSON.parse((await coldbench('cost', withIds.dir, ...sheets, '--json')).stdout) as CostReport;
    assert.deepEqual(
      json.platforms.map((p) => p.cells.map((c) => c.requestsPerMonth)),
      Array(5).fill([1e4, 5e4, 5e5, 2e6]),
    );

    const withoutIds = await runScenario(parseScenario(scenario(anonymous), 'cost.yaml'), { outDir: tempDir() });
    const refused = await coldbench('cost', withoutIds.dir, ...sheets);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /CB_COST_UNMEASURED.*target k8s has no capacity per instance.*X-Instance-Id/);
    const assumed = await coldbench('cost', withoutIds.dir, ...sheets, '--instances', '2', '--json');
    assert.ok(assumed.code === 0 || assumed.code === 1, assumed.stderr);
    assert.match(assumed.stdout, /assumed: 2 instances \(--instances\)/);

    const badSheet = join(tempDir(), 'bad.yaml');
    writeFileSync(badSheet, 'currency: USD\nplatforms: []\n');
    const invalid = await coldbench('cost', withIds.dir, '--prices', badSheet);
    assert.equal(invalid.code, 3);
    assert.match(invalid.stderr, /CB_PRICES_INVALID[\s\S]*bad\.yaml:2 platforms: name at least one platform/);
  });
});
