/**
 * What coldbench does when its own surroundings fail: a full disk, an error nothing expected.
 * A crash must never read as a failed verdict (exit 1).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunManifest } from '../src/model/manifest.js';
import { coldbench, serve, tempDir } from './helpers.js';

describe('reliability', () => {
  it('stops a run whose disk fills up: CB_OUTPUT_FULL, exit 4, what was written kept, the manifest interrupted', async (t) => {
    const disk = mkdtempSync(join(tmpdir(), 'coldbench-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', disk], { stdio: 'ignore' });
    } catch {
      rmSync(disk, { recursive: true });
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    t.after(() => {
      execFileSync('umount', ['-l', disk]);
      rmSync(disk, { recursive: true });
    });
    const url = await serve((_req, res) => res.end('ok'));
    const scenario = join(tempDir(), 'full.yaml');
    writeFileSync(scenario, `name: full\ntargets:\n  t: { url: "${url}" }\nprobes:\n  - kind: load\n    stages: [{ name: s, rate: 500/s, duration: 8s }]\n`);
    const { code, stderr } = await coldbench('run', scenario, '--out', disk);
    assert.equal(code, 4, stderr);
    assert.match(stderr, /run failed: CB_OUTPUT_FULL: \S+\/(samples\.jsonl|series\.jsonl|intervals\.hlog): no space left/);
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    const [runId] = readdirSync(disk);
    const manifest = JSON.parse(readFileSync(join(disk, runId!, 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.status, 'interrupted');
    assert.match(manifest.error ?? '', /^CB_OUTPUT_FULL: /);
    const lines = readFileSync(join(disk, runId!, 'samples.jsonl'), 'utf8').split('\n');
    const whole = lines.slice(0, -1).map((line) => JSON.parse(line) as { kind: string });
    assert.ok(whole.length > 100 && whole.every((s) => s.kind === 'load'), `${whole.length} samples kept`);
  });

  it('exits 5 with one CB_INTERNAL line for an error nothing expected, and shows its stack with --debug', async () => {
    const dir = tempDir();
    const run = join(dir, 'run');
    mkdirSync(join(run, 'samples.jsonl'), { recursive: true });
    writeFileSync(
      join(run, 'manifest.json'),
      JSON.stringify({ format: 2, runId: 'r', status: 'completed', targets: [], verdicts: [], provenance: { runners: [] } }),
    );
    const plain = await coldbench('report', run);
    assert.equal(plain.code, 5, plain.stderr);
    assert.match(plain.stderr, /^CB_INTERNAL: coldbench failed: EISDIR.* \(run with --debug for the stack\)\n$/);
    const debug = await coldbench('report', run, '--debug');
    assert.equal(debug.code, 5);
    assert.match(debug.stderr, /^CB_INTERNAL: coldbench failed: EISDIR[^\n]*\n\S*Error: EISDIR[^\n]*\n\s+at /);
  });
});
