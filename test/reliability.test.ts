/**
 * What coldbench does when its own surroundings fail: a full disk, an error nothing expected.
 * A crash must never read as a failed verdict (exit 1).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunManifest } from '../src/model/manifest.js';
import type { Summary } from '../src/model/summary.js';
import { coldbench, ROOT, serve, startCli, storedSamples, tempDir } from './helpers.js';

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
    assert.match(stderr, /run failed: CB_OUTPUT_FULL: \S+\/(samples\.bin|samples\.dict\.jsonl|samples\.jsonl|series\.jsonl|intervals\.hlog): no space left/);
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    const [runId] = readdirSync(disk);
    const manifest = JSON.parse(readFileSync(join(disk, runId!, 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.status, 'interrupted');
    assert.match(manifest.error ?? '', /^CB_OUTPUT_FULL: /);
    const kept = storedSamples(join(disk, runId!));
    assert.ok(kept.length > 100 && kept.every((s) => s.type === 'sample' && s.kind === 'load'), `${kept.length} samples kept`);
  });

  it('names a disk too slow for the samples: the stage invalid with writer-backpressure, every sample kept', { timeout: 60_000 }, async (t) => {
    const backing = tempDir();
    const disk = tempDir();
    // A FUSE disk whose every write waits 30 ms (test/fixtures/slow-fs.py): a congested network disk.
    const fs = spawn('/usr/bin/python3', [join(ROOT, 'test/fixtures/slow-fs.py'), backing, disk, '30'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let fsError = '';
    fs.stderr.on('data', (chunk: Buffer) => (fsError += chunk.toString()));
    const exited = new Promise((resolve) => fs.once('exit', resolve));
    const mounted = () => readFileSync('/proc/mounts', 'utf8').includes(` ${disk} `);
    for (let waited = 0; !mounted() && fs.exitCode === null && waited < 10_000; waited += 50) await sleep(50);
    if (!mounted()) {
      fs.kill();
      t.skip(`no FUSE mount here (apt-get install python3-fusepy, as root): ${fsError.trim().split('\n').at(-1)}`);
      return;
    }
    t.after(async () => {
      execFileSync('umount', ['-l', disk]);
      await exited;
    });
    const url = await serve((_req, res) => res.end('ok'));
    const scenario = join(tempDir(), 'slow-disk.yaml');
    writeFileSync(
      scenario,
      `name: slow-disk\ntargets:\n  t: { url: "${url}" }\nprobes:\n  - kind: load\n    stages: [{ name: s, rate: 200/s, duration: 3s }]\n    slo: { p99: "<1000ms" }\n`,
    );
    const { code, stdout, stderr } = await coldbench('run', scenario, '--out', disk, '--json');
    assert.equal(code, 2, stderr);
    const summary = JSON.parse(stdout) as Summary;
    const stage = summary.targets.t!.load!.s!;
    assert.equal(stage.valid, false);
    assert.match(
      stage.invalidReason ?? '',
      /^writer-backpressure: writes to the run directory held the load generator's loop \S+ of the stage's 3\.00s \(over 1%\)/,
    );
    assert.equal(summary.verdicts[0]!.status, 'invalid');
    const kept = storedSamples(join(backing, summary.runId));
    assert.equal(kept.length, stage.requests + stage.dropped, 'every request due has its sample');
    const healthy = await coldbench('run', scenario, '--out', tempDir(), '--json');
    assert.equal(healthy.code, 0, `the same run on a local disk: ${healthy.stderr}`);
  });

  it('exits 5 with one CB_INTERNAL line for an error nothing expected, and shows its stack with --debug', async () => {
    // A probe record whose targets are not a list: the reader checks records' shape only as far as analysis needs it, so this one surprises it.
    const run = tempDir();
    writeFileSync(
      join(run, 'manifest.json'),
      JSON.stringify({ format: 2, runId: 'r', status: 'completed', targets: ['a'], verdicts: [], provenance: { runners: [] } }),
    );
    writeFileSync(join(run, 'series.jsonl'), JSON.stringify({ type: 'probe', probe: 'load', kind: 'load', targets: 5 }) + '\n');
    writeFileSync(join(run, 'samples.jsonl'), '');
    const plain = await coldbench('report', run);
    assert.equal(plain.code, 5, plain.stderr);
    assert.match(plain.stderr, /^CB_INTERNAL: coldbench failed: .*not iterable \(run with --debug for the stack\)\n$/);
    const debug = await coldbench('report', run, '--debug');
    assert.equal(debug.code, 5);
    assert.match(debug.stderr, /^CB_INTERNAL: coldbench failed: [^\n]*not iterable\n\S*Error: [^\n]*\n\s+at /);
  });

  it('stops on SIGHUP as on SIGTERM: exit 4, manifest and summary interrupted, samples kept', async (t) => {
    const url = await serve((_req, res) => res.end('ok'));
    const out = tempDir();
    const scenario = join(out, 'hup.yaml');
    writeFileSync(scenario, `name: hup\ntargets:\n  t: { url: "${url}" }\nprobes:\n  - kind: load\n    stages: [{ name: s, rate: 50/s, duration: 60s }]\n`);
    const { child, done, stderrSoFar } = startCli(['run', scenario, '--out', out]);
    t.after(() => child.kill('SIGKILL'));
    // After the warm-up, once the measured stage has sent for a second.
    for (let waited = 0; !/load stage s/.test(stderrSoFar()) && waited < 20_000; waited += 50) await sleep(50);
    await sleep(1000);
    child.kill('SIGHUP');
    const { code, stderr } = await done;
    assert.equal(code, 4, stderr);
    assert.match(stderr, /SIGHUP: stopping; samples so far are kept/);
    const dir = /writing (\S+)/.exec(stderr)![1]!;
    assert.equal((JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifest).status, 'interrupted');
    assert.equal((JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { interrupted: boolean }).interrupted, true);
    assert.ok(storedSamples(dir).length > 20, 'samples kept');
  });

  describe('InfluxDB', () => {
    const TOKEN = 'influx-secret-token-0123456789';
    const scenarioFor = async () => {
      const url = await serve((_req, res) => res.end('ok'));
      const file = join(tempDir(), 'influx.yaml');
      writeFileSync(file, `name: influx\ntargets:\n  t: { url: "${url}" }\nprobes:\n  - kind: load\n    stages: [{ name: s, rate: 20/s, duration: 1s }]\n`);
      return file;
    };

    it('keeps the token out of stderr, stdout and every run file when InfluxDB answers with the request headers', async () => {
      const influx = await serve((req, res) => {
        req.resume();
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 'invalid', message: `bad request: ${JSON.stringify(req.headers)}` }));
      });
      const out = tempDir();
      const env = { ...process.env, INFLUX_TOKEN: TOKEN };
      const run = await startCli(['run', await scenarioFor(), '--out', out, '--json', '--influx-url', influx, '--influx-bucket', 'b'], undefined, env).done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /influxdb: \d+ of \d+ points not written .*; failed writes: \d+× status 400\)/);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace from the client');
      const [runId] = readdirSync(out);
      const exported = await startCli(['export', 'influx', join(out, runId!), '--influx-url', influx, '--influx-bucket', 'b'], undefined, env).done;
      assert.equal(exported.code, 4);
      assert.match(exported.stderr, /^CB_INFLUX_WRITE: \d+ points not written: /);
      const files = ['manifest.json', 'summary.json', 'report.md'].map((name) => readFileSync(join(out, runId!, name), 'utf8'));
      for (const [what, text] of Object.entries({ stdout: run.stdout, stderr: run.stderr, exportStderr: exported.stderr, files: files.join('') })) {
        assert.ok(!text.includes(TOKEN), `${what} holds the token`);
      }
      assert.match(run.stderr + exported.stderr, /\[redacted\]/, 'the echoed header is there, scrubbed');
    });

    it('refuses an --influx-url with credentials, naming INFLUX_TOKEN, without printing the password', async () => {
      const { code, stderr } = await coldbench('run', await scenarioFor(), '--influx-url', 'http://admin:hunter2-secret@127.0.0.1:1', '--influx-bucket', 'b');
      assert.equal(code, 3);
      assert.match(stderr, /^CB_USAGE: --influx-url carries credentials \(http:\/\/\*\*\*@127\.0\.0\.1:1\): give the token in INFLUX_TOKEN instead/);
      assert.ok(!stderr.includes('hunter2'));
    });

    it('ends the run by the sink deadline when InfluxDB accepts connections and never answers', { timeout: 60_000 }, async (t) => {
      const influx = await serve((req) => req.resume());
      const started = Date.now();
      const { child, done } = startCli(['run', await scenarioFor(), '--out', tempDir(), '--influx-url', influx, '--influx-bucket', 'b']);
      t.after(() => child.kill('SIGKILL'));
      const { code, stderr } = await done;
      assert.equal(code, 0, stderr);
      // Whichever comes first, the client's request timeout or the sinks' deadline (both ten seconds), names the points not written.
      assert.match(stderr, /influxdb: \d+ of \d+ points not written .*(InfluxDB did not answer before the deadline|Request timed out)/);
      // The stage is a second and the sinks' deadline ten: a process kept alive by the open sockets never exits.
      assert.ok(Date.now() - started < 40_000, `exited after ${Date.now() - started} ms`);
    });
  });
});
