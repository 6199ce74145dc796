/** The coldbench command as a user runs it: a real process, real platforms, real files. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startAlwaysOn } from '../src/platforms/always-on.js';
import { startScaleToZero } from '../src/platforms/scale-to-zero.js';
import type { Summary } from '../src/model/summary.js';
import type { LoadSample } from '../src/model/records.js';
import { openReport } from './browser.js';
import { coldbench, instancesOf, platform, readJsonLines, ROOT, startCli as start, storedSamples, tempDir } from './helpers.js';

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const runDirOf = (stderr: string) => /writing (\S+)/.exec(stderr)![1]!;

describe('coldbench CLI', () => {
  it('prints help listing its commands', async () => {
    const { code, stdout } = await coldbench('--help');
    assert.equal(code, 0);
    for (const command of ['run <scenario>', 'report <runDir>', 'demo', 'platform <kind>']) assert.ok(stdout.includes(command), command);
  });

  it('exits 3 on a bad scenario and lists every problem with file and line', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\ntargets:\n  a: { url: "http://127.0.0.1:1", timout: 2s }\nprobes:\n  - { kind: coldstart, samples: -1 }\n');
    const { code, stderr } = await coldbench('run', file, '--out', dir);
    assert.equal(code, 3);
    assert.match(stderr, /CB_SCENARIO_INVALID: scenario has 2 problems/);
    assert.match(stderr, /bad\.yaml:3 targets\.a\.timout: unknown key "timout" \(did you mean "timeout"\?\)/);
    assert.match(stderr, /bad\.yaml:5 probes\[0\]\.samples: expected a positive integer, got -1/);
  });

  it('exits 3 naming a missing scenario file', async () => {
    const { code, stderr } = await coldbench('run', 'no/such/file.yaml');
    assert.equal(code, 3);
    assert.match(stderr, /CB_SCENARIO_NOT_FOUND: cannot read scenario no\/such\/file\.yaml: no such file/);
  });

  it('runs the demo to a PASS verdict and leaves no process behind', async () => {
    const out = tempDir();
    const { child, done } = start(['demo', '--samples', '10', '--out', out]);
    const { code, stdout, stderr } = await done;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /cold start p50 {2}k8s \S+ {2}cloudrun \S+ {2}ratio 0\.\d\d \[0\.\d\d–0\.\d\d\] \(n=10\+10\) {2}PASS: ≥50% lower/);
    assert.match(stdout, /cloudrun +10 +10 +0 +0 /, 'ten rounds, ten cold, no warm hit, no error');
    assert.match(stdout, /load 10x vs baseline, p95 {2}k8s \S+ {2}x10 \(n=3200\) {2}PASS: ≥10x within SLO/);
    assert.match(stdout, /stream survival {2}k8s 100% {2}cloudrun 0% {2}lower bound 90\.5% \(n=30\+30\) {2}PASS/);
    assert.deepEqual(instancesOf(child.pid!), []);

    // The summary follows the published schema, and `report` rebuilds it from the stored data alone.
    const dir = runDirOf(stderr);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'schema/summary.schema.json'), 'utf8')));
    const valid = validate({ ...summary });
    assert.ok(valid, JSON.stringify(validate.errors));
    const again = await coldbench('report', dir, '--json');
    assert.equal(again.code, 0);
    assert.deepEqual(JSON.parse(again.stdout), summary);

    // The scale-to-zero platform scaled out under the 10x step; always-on kept its two replicas.
    const { cloudrun, k8s } = summary.targets;
    assert.ok(cloudrun!.load!['10x']!.peakInstances! > 1);
    assert.ok(cloudrun!.load!['10x']!.firstNewInstanceAfterMs! > 0);
    assert.equal(k8s!.load!['10x']!.peakInstances, 2);
    // Streams held past the scale-to-zero request timeout are cut there and reconnect; always-on keeps them.
    assert.equal(cloudrun!.stream!.dropped, 30);
    assert.ok(cloudrun!.stream!.reconnects >= 30);
    assert.equal(k8s!.stream!.survived, 30);

    // The CI gate passes the demo run.
    const gated = await coldbench('gate', dir);
    assert.equal(gated.code, 0, gated.stdout);
    assert.equal((gated.stdout.match(/ PASS: /g) ?? []).length, 3);

    // The HTML report opens in a real browser with every chart drawn and nothing fetched.
    const html = await coldbench('report', dir, '--html');
    assert.equal(html.code, 0);
    const page = await openReport(join(dir, 'report.html'), 'demo-report.png');
    assert.deepEqual(page.consoleErrors, []);
    assert.equal(page.verdictRows, 3);
    assert.deepEqual(
      page.charts.map((c) => c.id),
      [
        'coldstart-cdf',
        'coldstart-phases',
        'load-spectrum-baseline',
        'load-spectrum-10x',
        'load-rate',
        'load-p95',
        'load-errors',
        'load-instances',
        'stream-survival',
        'stream-gaps',
      ],
    );
    for (const chart of page.charts) assert.ok(chart.canvases === 1 && chart.points > 0, `${chart.id} drew ${chart.points} points`);

    // The analysis reads the stored records, not the scenario: without it in the manifest
    // (as an import or a merge writes them), the same summary.
    const manifestPath = join(dir, 'manifest.json');
    const { scenario: _scenario, scenarioFile: _file, ...withoutScenario } = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(manifestPath, JSON.stringify(withoutScenario));
    assert.deepEqual(JSON.parse((await coldbench('report', dir, '--json')).stdout), summary);

    // Without histograms.json (a crash before the end) nothing changes: the interval log holds them.
    rmSync(join(dir, 'histograms.json'));
    const lines = readFileSync(join(dir, 'samples.jsonl'), 'utf8').split('\n').length;
    appendFileSync(join(dir, 'samples.jsonl'), '{"type":"sample","kind":"colds');
    const rebuilt = JSON.parse((await coldbench('report', dir, '--json')).stdout);
    assert.deepEqual(rebuilt.targets, summary.targets);
    assert.deepEqual(rebuilt.incomplete, [`samples.jsonl line ${lines} is truncated or not JSON; skipped`]);
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /Incomplete data/);
  });

  it("keeps every open stream's checkpointed measurements after a SIGKILL mid-hold, counted interrupted", async () => {
    const warm = await platform(startAlwaysOn({ replicas: 1 }));
    const out = tempDir();
    const file = join(out, 'hold.yaml');
    writeFileSync(
      file,
      `name: hold
targets:
  k8s: { url: "${warm.url}" }
probes:
  - kind: stream
    protocol: sse
    request: { method: POST, path: "/api/chat?interval=100" }
    connections: 5
    openRate: 50/s
    hold: 60s
    checkpoint: 1s
`,
    );
    const { child, done, stderrSoFar } = start(['run', file, '--out', out]);
    await until(() => /writing \S+/.test(stderrSoFar()), 10_000);
    const dir = runDirOf(stderrSoFar());
    const checkpoints = () => readJsonLines<{ type: string }>(join(dir, 'samples.jsonl')).filter((r) => r.type === 'checkpoint').length;
    await until(() => existsSync(join(dir, 'samples.jsonl')) && checkpoints() >= 10, 20_000);
    child.kill('SIGKILL');
    await done;
    const report = await coldbench('report', dir, '--json', '--allow-incomplete');
    assert.equal(report.code, 0, report.stderr);
    const stream = JSON.parse(report.stdout).targets.k8s.stream;
    assert.deepEqual([stream.interrupted, stream.survived, stream.dropped, stream.connections], [5, 0, 0, 0], 'open streams are interrupted, not dropped');
    assert.ok(stream.events >= 5 * 15, `${stream.events} events kept from the checkpoints`);
    assert.equal(stream.timeToFirstEventMs.count, 5);
    assert.ok(stream.gapMs.count >= stream.events - 5 - 5, `${stream.gapMs.count} gaps for ${stream.events} events`);
  });

  it('keeps what it measured when interrupted with SIGINT', async () => {
    const cold = await platform(startScaleToZero({ startupDelayMs: 200, idleMs: 100, concurrency: 10 }));
    const warm = await platform(startAlwaysOn({ replicas: 1 }));
    const out = tempDir();
    const file = join(out, 'long.yaml');
    writeFileSync(
      file,
      `name: long
targets:
  cloudrun: { url: "${cold.url}", coldStart: { trigger: { idle: 300ms } } }
  k8s: { url: "${warm.url}", coldStart: { trigger: { idle: 300ms } } }
probes:
  - { kind: coldstart, samples: 1000, warmFollowUps: 2 }
verdicts:
  - coldStartReduction: { baseline: cloudrun, candidate: k8s, atLeast: 50% }
`,
    );
    const { child, done, stderrSoFar } = start(['run', file, '--out', out]);
    await until(() => (stderrSoFar().match(/ first /g) ?? []).length >= 4, 20_000);
    child.kill('SIGINT');
    const { code, stderr } = await done;
    assert.equal(code, 4, stderr);
    const dir = runDirOf(stderr);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.interrupted, true);
    assert.equal(manifest.status, 'interrupted');
    const samples = readJsonLines<{ request: string }>(join(dir, 'samples.jsonl'));
    assert.ok(samples.filter((s) => s.request === 'first').length >= 4, 'samples measured before the signal are kept');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.equal(summary.interrupted, true);
    assert.ok(summary.targets.cloudrun.coldStart.samples >= 2);

    // A run that did not complete never passes a gate, a report or a comparison, unless asked to.
    const junit = join(out, 'junit.xml');
    const gated = await coldbench('gate', dir, '--junit', junit);
    assert.equal(gated.code, 4, gated.stdout);
    assert.match(gated.stderr, /^CB_RUN_INCOMPLETE: the run was interrupted \(status interrupted\)/);
    assert.match(
      readFileSync(junit, 'utf8'),
      /<testcase classname="coldbench\.run" name="the run completed" time="0">\s*<error message="INCOMPLETE: the run was interrupted/,
    );
    assert.equal((await coldbench('report', dir)).code, 4);
    assert.equal((await coldbench('compare', dir, dir)).code, 4);
    const allowed = await coldbench('gate', dir, '--allow-incomplete');
    assert.notEqual(allowed.code, 4, 'judged as it stands');
    assert.doesNotMatch(allowed.stderr, /CB_RUN_INCOMPLETE/);
  });

  it('leaves no trigger command running when coldbench itself is killed', async () => {
    const out = tempDir();
    const file = join(out, 'trigger.yaml');
    // A marker that no other process on the machine has in its command line.
    const marker = `${process.pid}.${Date.now() % 1000}`;
    writeFileSync(
      file,
      `name: trigger\ntargets:\n  a:\n    url: "http://127.0.0.1:1"\n    coldStart: { trigger: { command: "sleep 30 & sleep ${marker}", timeout: 1m } }\nprobes:\n  - { kind: coldstart, samples: 1 }\n`,
    );
    const sleeping = () =>
      readdirSync('/proc').filter((entry) => {
        try {
          return /^\d+$/.test(entry) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false;
        }
      });
    const { child, done } = start(['run', file, '--out', out]);
    await until(() => sleeping().length > 0, 20_000);
    child.kill('SIGKILL');
    await done;
    await until(() => sleeping().length === 0, 5000);
  });

  it('keeps every sample measured before the last 100 ms when killed with SIGKILL, and never passes that run', async () => {
    const app = await platform(startAlwaysOn({ replicas: 1 }));
    const out = tempDir();
    const file = join(out, 'killed.yaml');
    writeFileSync(
      file,
      `name: killed\ntargets:\n  k8s: { url: "${app.url}" }\nprobes:\n  - kind: load\n    stages: [{ name: s, rate: 50/s, duration: 30s }]\n    slo: { p95: "< 1s" }\n`,
    );
    const { child, done, stderrSoFar } = start(['run', file, '--out', out]);
    await until(() => /writing /.test(stderrSoFar()), 20_000);
    const dir = runDirOf(stderrSoFar());
    const samples = join(dir, 'samples.bin');
    await until(() => existsSync(samples) && statSync(samples).size > 16 + 60 * 64, 20_000);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await done;
    assert.equal(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).status, 'running');
    const kept = storedSamples<LoadSample>(dir)
      .map((s) => s.intendedAt)
      .sort((a, b) => a - b);
    // Every slot of the schedule (one each 20 ms) from the first to the last is there: nothing in between was lost.
    assert.ok(
      kept.every((at, i) => i === 0 || Math.abs(at - kept[i - 1]! - 20) < 1),
      'a gap in the kept samples',
    );
    // The samples are flushed every 50 ms: what is missing is the last 100 ms (plus a slot, and leeway for a loaded machine's scheduling).
    assert.ok(kept.at(-1)! >= killedAt - 100 - 20 - 150, `the last kept sample was due ${killedAt - kept.at(-1)!} ms before the kill`);
    const gated = await coldbench('gate', dir);
    assert.equal(gated.code, 4);
    assert.match(gated.stderr, /CB_RUN_INCOMPLETE: the run never recorded an end \(it crashed, or is still running\) \(status running\)/);
  });

  it('stops the demo platforms on SIGINT', async () => {
    const out = tempDir();
    const { child, done, stderrSoFar } = start(['demo', '--out', out]);
    await until(() => / first /.test(stderrSoFar()), 20_000);
    assert.ok(instancesOf(child.pid!).length > 0, 'the demo runs platform instances');
    child.kill('SIGINT');
    const { code } = await done;
    assert.equal(code, 4);
    assert.deepEqual(instancesOf(child.pid!), []);
  });
});
