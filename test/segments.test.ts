/**
 * Beyond one machine: runners that each send one execution segment of the schedule, started
 * together as real processes against an embedded platform, merged into one run that is the
 * whole schedule with exact percentiles; and the merges and segments that must be refused.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { distribution } from '../src/analysis/stats.js';
import type { Summary } from '../src/model/summary.js';
import { msToUs, newHistogram } from '../src/model/histogram.js';
import type { LoadSample, StreamSample } from '../src/model/records.js';
import { startAlwaysOn } from '../src/platforms/always-on.js';
import type { RunManifest } from '../src/model/manifest.js';
import { coldbench, platform, storedSamples, tempDir } from './helpers.js';

const runDir = (out: string) => join(out, readdirSync(out)[0]!);

describe('segments and merge', () => {
  const out = tempDir();
  const scenario = join(out, 'split.yaml');
  let runs: string[] = [];

  it('merges two runners started together with --segment 1/2 and 2/2 into the whole schedule, with exact percentiles', async () => {
    const k8s = await platform(startAlwaysOn({ replicas: 2 }));
    writeFileSync(
      scenario,
      `name: split
targets:
  k8s: { url: "${k8s.url}" }
probes:
  - kind: load
    request: { path: "/api/work?ms=2" }
    stages: [{ name: base, rate: 100/s, duration: 1s }, { name: peak, rate: 400/s, duration: 2s }]
    slo: { successRate: ">= 90%" }
  - { kind: stream, protocol: sse, request: { method: POST, path: "/api/chat?interval=100" }, connections: 6, openRate: 20/s, hold: 1s }
`,
    );
    const outs = [join(out, 'runner-1'), join(out, 'runner-2')];
    const results = await Promise.all(
      outs.map((dir, i) => coldbench('run', scenario, '--segment', `${i + 1}/2`, '--runner', `runner-${i + 1}`, '--out', dir, '--json')),
    );
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    runs = outs.map(runDir);
    const halves = results.map((r) => (JSON.parse(r.stdout) as Summary).targets.k8s!.load!.peak!);
    assert.deepEqual(
      halves.map((h) => [h.requests, h.targetRate, h.valid]),
      [
        [400, 200, true],
        [400, 200, true],
      ],
      'each runner sent its half, judged against its half',
    );

    const merged = await coldbench('merge', ...runs, '--out', join(out, 'merged'), '--json');
    assert.equal(merged.code, 0, merged.stderr);
    const summary = JSON.parse(merged.stdout) as Summary;
    const load = summary.targets.k8s!.load!;
    // The single-process schedule: 100/s for 1 s and 400/s for 2 s.
    assert.deepEqual([load.base!.requests, load.peak!.requests], [100, 800]);
    assert.equal(load.peak!.targetRate, 400);
    assert.ok(load.peak!.achievedRate >= 380 && load.peak!.valid, `merged achieved ${load.peak!.achievedRate}/s of 400/s`);
    // The merged p99 is the p99 of one histogram fed every sample of both runners.
    const all = newHistogram();
    for (const dir of runs) {
      for (const s of storedSamples<LoadSample>(dir)) if (s.kind === 'load' && s.stage === 'peak' && s.ok) all.recordValue(msToUs(s.latencyMs!));
    }
    assert.deepEqual(load.peak!.latencyMs, distribution(all));
    // Streams are split by number, so the merged run has each once.
    const streams = runs.flatMap((dir) =>
      storedSamples<StreamSample>(dir)
        .filter((s) => s.kind === 'stream')
        .map((s) => s.stream),
    );
    assert.deepEqual(streams.sort(), [0, 1, 2, 3, 4, 5]);
    assert.equal(summary.targets.k8s!.stream!.connections, 6);
    const manifest = JSON.parse(readFileSync(join(runDir(join(out, 'merged')), 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.provenance.producer, 'merge');
    assert.deepEqual(
      manifest.provenance.runners.map((r) => [r.name, r.segment]),
      [
        ['runner-1', '0/2:1/2'],
        ['runner-2', '1/2:2/2'],
      ],
    );
    // `report` on the merged directory gives the same.
    const again = await coldbench('report', runDir(join(out, 'merged')), '--json');
    assert.deepEqual(JSON.parse(again.stdout), summary);
  });

  it('refuses, with exit 3 and the reason, runs of different scenarios, overlapping or missing segments, and other formats', async () => {
    const variant = (name: string, change: (manifest: Omit<RunManifest, 'format'> & { format?: number }) => void) => {
      const dir = join(out, 'variants', name);
      cpSync(runs[0]!, dir, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      change(manifest);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      return dir;
    };
    const refused = async (dirs: string[], reason: RegExp) => {
      const result = await coldbench('merge', ...dirs, '--out', join(out, 'refused'));
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, reason);
    };
    await refused(
      [runs[0]!, variant('other', (m) => (m.scenarioName = 'other'))],
      /^CB_MERGE_MISMATCH: runs of different scenarios: split \(.+\) and other \(.+\)/,
    );
    await refused([runs[0]!, runs[0]!], /^CB_MERGE_MISMATCH: segment 0\/2:1\/2 overlaps: both .+ and .+ ran it/);
    await refused(
      [
        runs[0]!,
        variant('third', (m) => (m.provenance.runners[0]!.segment = '1/2:2/2')),
        variant('extra', (m) => (m.provenance.runners[0]!.segment = '0/3:1/3')),
      ],
      /^CB_MERGE_MISMATCH: .+ ran segment 0\/3:1\/3 of another split/,
    );
    await refused(
      [variant('a3', (m) => (m.provenance.runners[0]!.segment = '0/3:1/3')), variant('b3', (m) => (m.provenance.runners[0]!.segment = '1/3:2/3'))],
      /^CB_MERGE_MISMATCH: segment 2\/3:3\/3 missing/,
    );
    await refused([runs[0]!, variant('old', (m) => delete m.format)], /^CB_RUN_FORMAT: .+ is format 1/);
    // A copy of one runner relabelled as the other would count its samples twice.
    await refused(
      [runs[0]!, variant('relabelled', (m) => (m.provenance.runners[0]!.segment = '1/2:2/2'))],
      /^CB_MERGE_MISMATCH: .+ and .+relabelled are the same run \(.+\): its samples would count twice/,
    );
  });

  it('names a runner whose samples end in a torn line in the merged run', async () => {
    const torn = join(out, 'variants', 'torn');
    cpSync(runs[1]!, torn, { recursive: true });
    appendFileSync(join(torn, 'samples.jsonl'), '{"type":"sample","kind":"lo');
    const merged = await coldbench('merge', runs[0]!, torn, '--out', join(out, 'torn-merged'), '--json');
    assert.equal(merged.code, 0, merged.stderr);
    const summary = JSON.parse(merged.stdout) as Summary;
    assert.deepEqual(summary.incomplete, [`${torn}/samples.jsonl ends in a torn line (27 bytes left out)`]);
  });

  it('refuses a cold-start probe in a segmented run, naming why', async () => {
    const file = join(out, 'cold.yaml');
    writeFileSync(file, 'name: cold\ntargets:\n  a: { url: "http://127.0.0.1:9" }\nprobes:\n  - { kind: coldstart, samples: 1 }\n');
    const result = await coldbench('run', file, '--segment', '1/2', '--out', join(out, 'cold'));
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^CB_USAGE: .+cold\.yaml has coldstart probes, which a segmented run \(--segment 1\/2\) cannot split/);
    const bad = await coldbench('run', file, '--segment', '3/2', '--out', join(out, 'cold'));
    assert.match(bad.stderr, /^CB_USAGE: --segment expects i\/N with 1 ≤ i ≤ N, e\.g\. 2\/4, got "3\/2"/);
  });
});
