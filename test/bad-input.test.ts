/**
 * Bad input gets a clear error with a stable code and loses nothing: each case asserts the
 * exit code, the CB_* code and that no stack trace reaches the user.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, serve, tempDir } from './helpers.js';

function coldbench(args: string[], options: { shell?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = options.shell
    ? spawn('bash', ['-c', options.shell.replace('COLDBENCH', `"${process.execPath}" "${CLI}"`)], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function assertClean(result: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n {4}at /, 'no stack trace');
}

describe('bad input', () => {
  const dir = tempDir();
  const ok = join(dir, 'ok.yaml');
  writeFileSync(ok, 'name: ok\ntargets:\n  a: { url: "http://127.0.0.1:1" }\nprobes:\n  - { kind: coldstart, samples: 1 }\n');

  it('refuses bad numbers on the command line', async () => {
    for (const samples of ['0', '-3', 'abc']) {
      assertClean(await coldbench(['run', ok, '--samples', samples, '--out', dir]), 3, /^CB_USAGE: --samples expects a whole number from 1 up/);
    }
    assertClean(await coldbench(['platform', 'always-on', '--port', '99999']), 3, /^CB_USAGE: --port expects a whole number from 0 to 65535, got "99999"/);
  });

  it('names an output it cannot write, and ends: --out a file or under /proc, --junit in a missing directory, --markdown /', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    assertClean(await coldbench(['run', ok, '--out', file]), 3, /^CB_OUTPUT_UNWRITABLE: cannot write the run directory under .*a-file: .* is not a directory/);
    assertClean(
      await coldbench(['run', ok, '--out', '/proc/coldbench-x']),
      3,
      /^CB_OUTPUT_UNWRITABLE: cannot write the run directory under \/proc\/coldbench-x/,
    );
    const run = await coldbench(['run', ok, '--out', dir]);
    const runDir = join(
      dir,
      readdirSync(dir).find((name) => name.startsWith('2'))!,
    );
    assert.equal(run.code, 0, run.stderr);
    assertClean(
      await coldbench(['gate', runDir, '--junit', join(dir, 'missing/junit.xml')]),
      3,
      /^CB_OUTPUT_UNWRITABLE: cannot write --junit .*missing\/junit\.xml: ENOENT/,
    );
    assertClean(await coldbench(['gate', runDir, '--markdown', '/']), 3, /^CB_OUTPUT_UNWRITABLE: cannot write --markdown \/: EISDIR/);
    // A reader that stops early (| head -1) is not an error of coldbench's.
    const piped = await coldbench([], { shell: `COLDBENCH compare ${runDir} ${runDir} | head -1; exit \${PIPESTATUS[0]}` });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '');
  });

  it('says a platform port is in use and leaves no replica behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    after(() => taken.close());
    const port = (taken.address() as { port: number }).port;
    const result = await coldbench(['platform', 'always-on', '--port', String(port)]);
    assertClean(result, 3, new RegExp(`^CB_USAGE: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  });

  it('refuses a YAML alias bomb, and line breaks in header names, values and paths, with file and line', async () => {
    const bomb = join(dir, 'bomb.yaml');
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f'].entries())
      levels.push(
        `${name}: &${name} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(',')}]`,
      );
    writeFileSync(bomb, `name: bomb\n${levels.join('\n')}\n`);
    assertClean(
      await coldbench(['run', bomb]),
      3,
      /^CB_SCENARIO_SYNTAX: scenario has 1 problem\n {2}.*bomb\.yaml:1 the YAML cannot be expanded: Excessive alias count/,
    );

    const crlf = join(dir, 'crlf.yaml');
    writeFileSync(
      crlf,
      'name: crlf\ntargets:\n  a:\n    url: "http://127.0.0.1:1"\n    headers: { "X-Bad\\r\\nInjected": "v", X-Ok: "a\\r\\nb" }\n' +
        'probes:\n  - { kind: load, request: { path: "/a b\\r\\n" }, stages: [{ name: s, rate: 1/s, duration: 1s }] }\n',
    );
    const result = await coldbench(['run', crlf]);
    assertClean(result, 3, /^CB_SCENARIO_INVALID: scenario has 3 problems/);
    assert.match(result.stderr, /crlf\.yaml:5 targets\.a\.headers\["X-Bad\\r\\nInjected"\]: a header name is letters, digits/);
    assert.match(result.stderr, /crlf\.yaml:5 targets\.a\.headers\["X-Ok"\]: a header value cannot hold a line break or NUL/);
    assert.match(result.stderr, /crlf\.yaml:7 probes\[0\]\.request\.path: a path cannot hold spaces or line breaks/);
  });

  it('joins a target URL base path to the request path, and sends URL credentials as Basic auth, never writing them', async () => {
    const seen: Array<{ url: string; authorization?: string }> = [];
    const url = await serve((req, res) => {
      seen.push({ url: req.url!, authorization: req.headers.authorization });
      res.end(`echo ${req.headers.authorization}`);
    });
    const scenario = join(dir, 'base.yaml');
    writeFileSync(
      scenario,
      `name: base\ntargets:\n  a: { url: "${url.replace('//', '//user:p%40ss-word@')}/api/v1" }\nprobes:\n  - { kind: coldstart, samples: 1, warmFollowUps: 0 }\n  - { kind: load, request: { path: /chat }, stages: [{ name: s, rate: 5/s, duration: 1s }] }\n`,
    );
    const out = join(dir, 'base-out');
    const result = await coldbench(['run', scenario, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    const basic = `Basic ${Buffer.from('user:p@ss-word').toString('base64')}`;
    assert.deepEqual(new Set(seen.map((s) => s.url)), new Set(['/api/v1/', '/api/v1/chat']));
    assert.ok(seen.every((s) => s.authorization === basic));
    const runDir = join(out, readdirSync(out)[0]!);
    for (const name of readdirSync(runDir)) {
      const text = readFileSync(join(runDir, name), 'utf8');
      assert.ok(!text.includes('p@ss-word') && !text.includes('p%40ss-word') && !text.includes(basic.slice(6)), `${name} holds the credentials`);
    }
  });
});

describe('damaged run directories', () => {
  it('does not pass a gate on an interval log that disagrees with the samples (a lost line, a histogram that decodes to nothing)', async () => {
    const url = await serve((_, res) => res.end('ok'));
    const dir = tempDir();
    const scenario = join(dir, 'gate.yaml');
    writeFileSync(
      scenario,
      `name: gate\ntargets:\n  a: { url: "${url}" }\nprobes:\n  - { kind: load, stages: [{ name: s, rate: 50/s, duration: 2s }], slo: { successRate: ">= 90%" } }\n`,
    );
    const out = join(dir, 'out');
    assert.equal((await coldbench(['run', scenario, '--out', out])).code, 0);
    const runDir = join(out, readdirSync(out)[0]!);
    assert.equal((await coldbench(['gate', runDir])).code, 0, 'whole, it passes');
    const log = join(runDir, 'intervals.hlog');
    const lines = readFileSync(log, 'utf8').split('\n');
    const lost = lines.findIndex((line) => line.startsWith('Tag=a/load/s/latency,'));
    writeFileSync(log, lines.filter((_, i) => i !== lost).join('\n'));
    assertClean(
      await coldbench(['gate', runDir]),
      4,
      /^CB_RUN_INCOMPLETE: the run's stored data is incomplete \(intervals\.hlog holds \d+ latencies of a load\/s where the samples hold 100 successful requests\)/,
    );
    assert.equal((await coldbench(['gate', runDir, '--allow-incomplete'])).code, 0);
  });

  it('reads past a samples line too long to be a record in time linear in it, and refuses a samples file that is not a file', async () => {
    const url = await serve((_, res) => res.end('ok'));
    const dir = tempDir();
    const scenario = join(dir, 'long.yaml');
    writeFileSync(scenario, `name: long\ntargets:\n  a: { url: "${url}" }\nprobes:\n  - { kind: load, stages: [{ name: s, rate: 20/s, duration: 1s }] }\n`);
    const out = join(dir, 'out');
    assert.equal((await coldbench(['run', scenario, '--out', out])).code, 0);
    const runDir = join(out, readdirSync(out)[0]!);
    // A load run keeps its samples in samples.bin; samples.jsonl holds the other kinds' lines.
    const samples = join(runDir, 'samples.jsonl');
    const other = '{"type":"sample","kind":"stream"}';
    writeFileSync(samples, [other, other, other, other, other, `{"type":"sample","pad":"${'x'.repeat(40 << 20)}"}`, other].join('\n'));
    const report = await coldbench(['report', runDir, '--json', '--allow-incomplete']);
    assert.equal(report.code, 0, report.stderr);
    const summary = JSON.parse(report.stdout) as { incomplete: string[]; targets: { a: { load: { s: { requests: number } } } } };
    assert.ok(summary.incomplete.includes('samples.jsonl line 6 is longer than 16777216 characters; skipped'), summary.incomplete.join('\n'));
    assert.equal(summary.targets.a.load.s.requests, 20);

    rmSync(samples);
    symlinkSync('/dev/zero', samples);
    assertClean(await coldbench(['report', runDir]), 3, /^CB_RUN_DIR_INVALID: .+samples\.jsonl is not a regular file\n$/);
  });

  it('ignores damaged derived histograms, rebuilds from samples without an interval log, names torn lines, and refuses a manifest that is not one or of another format', async () => {
    const url = await serve((_, res) => res.end('ok'));
    const dir = tempDir();
    const scenario = join(dir, 'damage.yaml');
    writeFileSync(scenario, `name: damage\ntargets:\n  t: { url: "${url}" }\nprobes:\n  - { kind: load, stages: [{ name: s, rate: 20/s, duration: 1s }] }\n`);
    const run = await coldbench(['run', scenario, '--out', dir, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const original = JSON.parse(run.stdout);
    const runDir = join(dir, original.runId);
    const report = async () => {
      const result = await coldbench(['report', runDir, '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /\n {4}at /);
      return JSON.parse(result.stdout);
    };

    // histograms.json is derived from the interval log for other tools; analysis never reads it.
    writeFileSync(join(runDir, 'histograms.json'), '{"histograms":[{"encoded":7}]}');
    assert.deepEqual((await report()).targets, original.targets);

    const intervalLog = join(runDir, 'intervals.hlog');
    const log = readFileSync(intervalLog, 'utf8');
    const logLines = log.split('\n').filter(Boolean);
    const torn = logLines.at(-1)!.slice(0, 40);
    writeFileSync(intervalLog, `${log}${torn}`);
    const tornSummary = await report();
    assert.deepEqual(tornSummary.targets, original.targets, 'a torn last line loses nothing else');
    assert.ok(
      tornSummary.incomplete.some((r: string) => r.startsWith(`intervals.hlog line ${logLines.length + 1} is truncated or damaged`)),
      tornSummary.incomplete.join('\n'),
    );
    rmSync(intervalLog);
    const rebuilt = await report();
    assert.deepEqual(rebuilt.targets, original.targets, 'histograms rebuilt from the samples give the same figures');
    assert.ok(rebuilt.incomplete.includes('intervals.hlog is missing; histograms rebuilt from the samples'), rebuilt.incomplete.join('\n'));

    const lines = readFileSync(join(runDir, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    writeFileSync(
      join(runDir, 'samples.jsonl'),
      readFileSync(join(runDir, 'samples.jsonl'), 'utf8') +
        'null\n{}\n{"type":"sample","kind":"load","target":"t","probe":"load","stage":"s","intendedAt":"soon","latencyMs":"abc"}\n',
    );
    const summary = await report();
    assert.deepEqual(summary.targets, original.targets);
    for (const n of [1, 2, 3])
      assert.ok(summary.incomplete.includes(`samples.jsonl line ${lines + n} is not a coldbench record; skipped`), summary.incomplete.join('\n'));

    // samples.bin cut mid-record, then a record naming no dictionary entry: read up to the damage, named with its byte offset.
    const binary = join(runDir, 'samples.bin');
    const records = readFileSync(binary);
    writeFileSync(binary, records.subarray(0, records.length - 10));
    const cut = await coldbench(['report', runDir, '--json']);
    assert.equal(cut.code, 4, cut.stderr);
    assert.match(
      cut.stderr,
      new RegExp(`^CB_SAMPLES_DAMAGED: samples\\.bin is damaged at byte ${16 + 19 * 64} \\(a torn last record \\(54 of 64 bytes\\)\\); read up to there`, 'm'),
    );
    assert.equal(JSON.parse(cut.stdout).targets.t.load.s.requests, 19);
    const wrongName = Buffer.from(records);
    wrongName.writeUInt16LE(999, 16 + 5 * 64 + 4);
    writeFileSync(binary, wrongName);
    const named = await coldbench(['report', runDir, '--json', '--allow-incomplete']);
    assert.equal(named.code, 0, named.stderr);
    assert.ok(
      JSON.parse(named.stdout).incomplete.some((r: string) =>
        r.startsWith('CB_SAMPLES_DAMAGED: samples.bin is damaged at byte 336 (a record that is not a load sample'),
      ),
      named.stdout,
    );
    assert.equal((await coldbench(['gate', runDir])).code, 4);
    assert.equal((await coldbench(['gate', runDir, '--allow-incomplete'])).code, 0);
    writeFileSync(binary, records);

    const { format: _format, ...formatOne } = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    writeFileSync(join(runDir, 'manifest.json'), JSON.stringify(formatOne));
    assertClean(
      await coldbench(['report', runDir]),
      3,
      /^CB_RUN_FORMAT: .*manifest\.json is format 1 \(no "format" field.*\); this coldbench reads formats 2 and 3/,
    );
    for (const manifest of ['null', '{}']) {
      writeFileSync(join(runDir, 'manifest.json'), manifest);
      assertClean(await coldbench(['report', runDir]), 3, /^CB_RUN_DIR_INVALID: .*manifest\.json is not a coldbench manifest/);
    }
  });
});
