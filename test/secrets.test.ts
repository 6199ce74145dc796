/**
 * Secrets never reach a file, stdout or stderr, whatever echoes them: a target that reflects
 * request headers into a stream or an error body, a failing trigger that prints them, a
 * secret-named variable only the trigger's shell expands, a literal secret in a query.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ScenarioError } from '../src/model/errors.js';
import { scrub } from '../src/model/redact.js';
import { parseScenario } from '../src/scenario/read.js';
import { CLI, serve, tempDir } from './helpers.js';

const TOKEN = 'tok-4f1c9a7e2b';
const OTHER = 'other-secret-8d3e61';

describe('secrets', () => {
  it('never writes or prints a secret that a target, a trigger or a shell echoes', async () => {
    const url = await serve((req, res) => {
      const echo = JSON.stringify(req.headers);
      if (req.url!.startsWith('/sse')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`garbage ${echo}\n`);
      } else res.writeHead(500, { 'content-type': 'text/plain' }).end(`proxy error: ${echo}`);
    });
    const dir = tempDir();
    const scenario = join(dir, 'secrets.yaml');
    writeFileSync(
      scenario,
      `name: secrets
targets:
  api:
    url: "${url}"
    headers: { Authorization: "Bearer \${API_TOKEN}" }
    coldStart:
      trigger: { command: 'echo "deploy with \${API_TOKEN} and $$OTHER_SECRET to ${url}/x?api_key=literal-key-77" >&2; exit 1' }
probes:
  - { kind: coldstart, samples: 1, warmFollowUps: 0 }
  - { kind: stream, protocol: sse, request: { path: "/sse?token=${TOKEN}" }, connections: 2, hold: 1s }
  - { kind: load, stages: [{ name: s, rate: 10/s, duration: 1s }] }
`,
    );
    const child = spawn(process.execPath, [CLI, 'run', scenario, '--out', dir], {
      env: { ...process.env, API_TOKEN: TOKEN, OTHER_SECRET: OTHER },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.notEqual(code, null);
    assert.doesNotMatch(output, /\n {4}at /, 'no stack trace');
    const runDir = join(
      dir,
      readdirSync(dir).find((name) => name.startsWith('2'))!,
    );
    const files = readdirSync(runDir).map((name) => [name, readFileSync(join(runDir, name), 'utf8')] as const);
    for (const [where, text] of [['stdout and stderr', output] as const, ...files]) {
      for (const secret of [TOKEN, OTHER, 'literal-key-77']) assert.ok(!text.includes(secret), `${where} holds ${secret}`);
    }
    // What was redacted is still there, as evidence.
    const samples = readFileSync(join(runDir, 'samples.jsonl'), 'utf8');
    assert.match(samples, /deploy with \[redacted\] and \[redacted\]/);
    assert.match(samples, /"evidence":"garbage .*Bearer \[redacted\]/);
  });

  it('does not hang on a 5 MB string (the regex it replaced took 57 s on 200 kB)', () => {
    const text = `${'a'.repeat(2_500_000)}://user:${'b'.repeat(2_500_000)}`;
    const started = performance.now();
    scrub(text, ['secret-value']);
    scrub('x'.repeat(5_000_000), ['secret-value']);
    assert.ok(performance.now() - started < 5000, `${performance.now() - started}ms`);
    assert.equal(scrub('GET http://me:pw@h/p?api_key=k1&x=1&token=t2', []), 'GET http://me:[redacted]@h/p?api_key=[redacted]&x=1&token=[redacted]');
  });

  it('names the variable, never its value, when a secret with a line break makes a header invalid', () => {
    for (const ending of ['\r', '\n', '\r\n']) {
      const text =
        'name: s\ntargets:\n  t:\n    url: http://127.0.0.1:1\n    headers: { Authorization: "Bearer ${API_TOKEN}" }\nprobes:\n  - { kind: coldstart, samples: 1 }\n';
      assert.throws(
        () => parseScenario(text, 'x.yaml', { env: { API_TOKEN: `${TOKEN}${ending}` } }),
        (error: ScenarioError) => {
          const printed = error.details.join('\n');
          assert.match(
            printed,
            /x\.yaml:5 targets\.t\.headers\.Authorization: a header value cannot hold a line break or NUL, got "Bearer \$\{API_TOKEN\}" once its variables are substituted/,
          );
          assert.ok(!printed.includes(TOKEN), printed);
          return true;
        },
      );
    }
  });

  it("sends a target URL's query with every request and redacts it, a token-only URL user and literal API-key headers", async () => {
    const secrets = ['ghptokenonly123456', 'azfunc-secret-99', 'literal-goog-key-123', 'literal-apim-456'];
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(req.url!);
      res.writeHead(500).end(`upstream said: ${req.url} ${JSON.stringify(req.headers)}`);
    });
    const dir = tempDir();
    const scenario = join(dir, 'query.yaml');
    writeFileSync(
      scenario,
      `name: query
targets:
  a:
    url: "${url.replace('//', '//ghptokenonly123456@')}/api?code=azfunc-secret-99"
    headers: { X-Goog-Api-Key: literal-goog-key-123, Ocp-Apim-Subscription-Key: literal-apim-456 }
probes:
  - { kind: load, request: { path: "/chat?x=1" }, stages: [{ name: s, rate: 5/s, duration: 1s }] }
`,
    );
    const out = join(dir, 'out');
    const child = spawn(process.execPath, [CLI, 'run', scenario, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    child.stdout.on('data', (chunk) => (printed += chunk));
    child.stderr.on('data', (chunk) => (printed += chunk));
    await new Promise((resolve) => child.once('close', resolve));
    assert.deepEqual([...new Set(seen)], ['/api/chat?x=1&code=azfunc-secret-99']);
    const runDir = join(out, readdirSync(out)[0]!);
    const written = readdirSync(runDir).map((name) => readFileSync(join(runDir, name), 'utf8'));
    const manifest = readFileSync(join(runDir, 'manifest.json'), 'utf8');
    assert.match(manifest, /"url": "http:\/\/\[redacted\]@127\.0\.0\.1:\d+\/api\?code=\[redacted\]"/, 'the target is recorded, scrubbed');
    assert.match(manifest, /"X-Goog-Api-Key": "\[redacted\]",\s+"Ocp-Apim-Subscription-Key": "\[redacted\]"/);
    for (const secret of secrets) assert.ok(![printed, ...written].some((text) => text.includes(secret)), `${secret} was written or printed`);
  });
});
