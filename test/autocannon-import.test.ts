/** `coldbench import autocannon` on results real autocannon wrote (`autocannon -j`) against a loopback server. */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Summary } from '../src/model/summary.js';
import { CLI, serve, tempDir } from './helpers.js';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** A bounded autocannon run (-a: a fixed count of requests) and its JSON result; asynchronous, as the server is in this process. */
async function autocannon(url: string, amount: number): Promise<{ text: string; result: { requests: { total: number }; latency: Record<string, number> } }> {
  const { stdout } = await promisify(execFile)(process.execPath, [AUTOCANNON, '-c', '2', '-a', String(amount), '-j', url], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { text: stdout, result: JSON.parse(stdout) };
}

describe('import autocannon', () => {
  it("holds autocannon's result as a capacity run: its counts, and its percentiles as it reported them, labelled, with no distribution made up", async () => {
    const dir = tempDir();
    const fast = await autocannon(await serve((_req, res) => res.end('ok')), 400);
    const slow = await autocannon(await serve((_req, res) => setTimeout(() => res.end('ok'), 5)), 200);
    writeFileSync(join(dir, 'k8s.json'), fast.text);
    writeFileSync(join(dir, 'cloudrun.json'), slow.text);
    const result = spawnSync(
      process.execPath,
      [CLI, 'import', 'autocannon', join(dir, 'k8s.json'), join(dir, 'cloudrun.json'), '--out', join(dir, 'out'), '--json'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    for (const [target, run] of Object.entries({ k8s: fast, cloudrun: slow })) {
      const capacity = summary.targets[target]!.capacity!;
      assert.equal(capacity.requests, run.result.requests.total);
      assert.equal(capacity.latencyMs, null, 'no distribution is made up from percentiles');
      assert.deepEqual(
        [capacity.reportedLatencyMs!.p50, capacity.reportedLatencyMs!.p99, capacity.reportedLatencyMs!.count],
        [run.result.latency.p50, run.result.latency.p99, run.result.latency.totalCount],
      );
    }
    const text = spawnSync(process.execPath, [CLI, 'report', /into (\S+)/.exec(result.stderr)![1]!], { encoding: 'utf8' });
    assert.match(text.stdout, /cloudrun .*\(n=\d+, as autocannon reported them: no samples\)/);
  });

  it('refuses --slo, and a file of another tool with what it is', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), (await autocannon(await serve((_req, res) => res.end('ok')), 50)).text);
    const slo = spawnSync(process.execPath, [CLI, 'import', 'autocannon', join(dir, 'a.json'), '--out', dir, '--slo', 'p95=< 1s'], { encoding: 'utf8' });
    assert.equal(slo.status, 3);
    assert.match(slo.stderr, /^CB_USAGE: --slo judges load stages; autocannon's result is a capacity run/);
    writeFileSync(join(dir, 'k6.json'), '{"type":"Point","metric":"http_reqs","data":{"time":"2026-11-27T12:00:00Z","value":1,"tags":{}}}\n');
    const k6 = spawnSync(process.execPath, [CLI, 'import', 'autocannon', join(dir, 'k6.json'), '--out', dir], { encoding: 'utf8' });
    assert.equal(k6.status, 3);
    assert.match(k6.stderr, /k6\.json is k6's JSON output \(use coldbench import k6\); import autocannon reads autocannon's JSON result/);
    const asK6 = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'a.json'), '--out', dir], { encoding: 'utf8' });
    assert.match(asK6.stderr, /a\.json is autocannon's JSON result \(use coldbench import autocannon\); import k6 reads/);
  });
});
