/** Faults during a run become recorded, classified errors; the run goes on and says what failed. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ColdstartSample, LoadSample } from '../src/model/records.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { readJsonLines, runOneProbe, selfSignedCertificate, tempDir } from './helpers.js';

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function runTargets(targets: string, options: { samples?: number; env?: NodeJS.ProcessEnv } = {}) {
  const text = `name: faults
targets:${targets}
probes:
  - { kind: coldstart, samples: ${options.samples ?? 2}, warmFollowUps: 1 }
`;
  const outcome = await runScenario(parseScenario(text, 'faults.yaml', { env: options.env ?? {} }), { outDir: tempDir() });
  return { ...outcome, samples: readJsonLines<ColdstartSample>(join(outcome.dir, 'samples.jsonl')) };
}

describe('faults during a run', () => {
  it('records refused connections with their cause and finishes the run', async () => {
    const port = await closedPort();
    const { samples, summary, exitCode } = await runTargets(`\n  down: { url: "http://127.0.0.1:${port}" }`);
    assert.equal(samples.length, 2);
    for (const sample of samples) {
      assert.equal(sample.ok, false);
      assert.equal(sample.error?.code, 'ECONNREFUSED');
      assert.equal(sample.error?.class, 'refused');
    }
    assert.deepEqual(summary.targets.down!.coldStart!.errorsByCode, { ECONNREFUSED: 2 });
    assert.equal(summary.targets.down!.coldStart!.latencyMs, null, 'no successful samples: no figures, not zeros');
    assert.equal(summary.status, 'completed');
    assert.equal(exitCode, 0, 'no verdicts to fail');
  });

  it('times out a server that accepts and never answers', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const started = Date.now();
    const { samples } = await runTargets(`\n  silent: { url: "http://127.0.0.1:${port}", timeout: 300ms }`);
    assert.deepEqual(
      samples.map((s) => s.error?.code),
      ['CB_REQUEST_TIMEOUT', 'CB_REQUEST_TIMEOUT'],
    );
    assert.ok(samples.every((s) => s.latencyMs > 250 && s.latencyMs < 2000));
    assert.ok(Date.now() - started < 5000);
  });

  it('classifies a connection reset', async () => {
    const port = await listen(createTcpServer((socket) => socket.resetAndDestroy()));
    const { samples } = await runTargets(`\n  resets: { url: "http://127.0.0.1:${port}" }`);
    assert.ok(
      samples.every((s) => s.error?.class === 'reset'),
      JSON.stringify(samples.map((s) => s.error)),
    );
  });

  it('records a failing trigger command with the tail of its stderr, and hands it round and target', async () => {
    const dir = tempDir();
    const port = await listen(createServer((_, res) => res.end('ok')));
    const { samples } = await runTargets(
      `
  flaky:
    url: http://127.0.0.1:${port}
    coldStart:
      trigger: { command: 'echo "$COLDBENCH_ROUND $COLDBENCH_TARGET" >> ${dir}/log; if [ "$COLDBENCH_ROUND" = 2 ]; then echo deploy broke >&2; exit 3; fi' }`,
    );
    assert.equal(readFileSync(join(dir, 'log'), 'utf8'), '1 flaky\n2 flaky\n');
    const firsts = samples.filter((s) => s.request === 'first');
    assert.equal(firsts[0]!.ok, true);
    assert.equal(firsts[1]!.error?.code, 'CB_TRIGGER_FAILED');
    assert.match(firsts[1]!.error!.message, /exited with 3: deploy broke/);
  });

  it('stops a hanging trigger command at its timeout', async () => {
    const port = await listen(createServer((_, res) => res.end('ok')));
    const started = Date.now();
    const { samples } = await runTargets(`\n  stuck: { url: "http://127.0.0.1:${port}", coldStart: { trigger: { command: "sleep 30", timeout: 300ms } } }`);
    assert.deepEqual(
      samples.map((s) => s.error?.code),
      ['CB_TRIGGER_TIMEOUT', 'CB_TRIGGER_TIMEOUT'],
    );
    assert.ok(Date.now() - started < 5000, 'the sleep was killed, not waited for');
  });

  it('writes no secret to disk', async () => {
    const port = await listen(createServer((_, res) => res.end('ok')));
    const token = 'sekrit-token-value-123';
    const { dir } = await runTargets(
      `\n  api: { url: "http://127.0.0.1:${port}", headers: { Authorization: "Bearer \${API_TOKEN}", X-Api-Key: literal-key-999 } }`,
      { env: { API_TOKEN: token } },
    );
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      assert.ok(!text.includes(token), `${file} holds the token`);
      assert.ok(!text.includes('literal-key-999'), `${file} holds the API key`);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.scenario.targets.api.headers.Authorization, '[redacted]');
  });
});

describe('TLS targets', () => {
  async function httpsServer(): Promise<number> {
    const { createServer: createHttpsServer } = await import('node:https');
    const server = createHttpsServer(selfSignedCertificate(), (_, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    return (server.address() as AddressInfo).port;
  }

  it('times DNS, TCP connect and the TLS handshake separately', async () => {
    const port = await httpsServer();
    const { samples } = await runTargets(`\n  secure: { url: "https://localhost:${port}", insecureSkipTLSVerify: true }`);
    const first = samples.find((s) => s.request === 'first')!;
    assert.equal(first.ok, true, JSON.stringify(first.error));
    assert.ok(first.phases.dns! > 0 && first.phases.connect! > 0 && first.phases.tls! > 0, JSON.stringify(first.phases));
    assert.ok(first.phases.ttfb! >= first.phases.dns! + first.phases.connect! + first.phases.tls!);
    const warm = samples.find((s) => s.request === 'warm')!;
    assert.equal(warm.phases.tls, undefined, 'follow-ups reuse the connection: no new handshake');
  });

  it('records an untrusted certificate as a TLS error', async () => {
    const port = await httpsServer();
    const { samples } = await runTargets(`\n  secure: { url: "https://localhost:${port}" }`);
    assert.ok(
      samples.every((s) => s.error?.class === 'tls'),
      JSON.stringify(samples.map((s) => s.error)),
    );
  });

  it('sends a load probe over TLS with either client, and both record an untrusted certificate as a TLS error', async () => {
    const port = await httpsServer();
    for (const client of ['lean', 'undici']) {
      const probe = `client: ${client}\nstages: [{ name: s, rate: 20/s, duration: 1s }]`;
      const trusted = await runOneProbe<LoadSample>(`https://localhost:${port}`, 'load', probe, '', ', insecureSkipTLSVerify: true');
      assert.deepEqual(
        trusted.samples.map((s) => [s.ok, s.status, s.bytes]),
        trusted.samples.map(() => [true, 200, 2]),
        client,
      );
      assert.equal(trusted.samples.length, 20, client);
      const untrusted = await runOneProbe<LoadSample>(`https://localhost:${port}`, 'load', probe);
      assert.ok(
        untrusted.samples.length === 20 && untrusted.samples.every((s) => s.error?.class === 'tls' && s.error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT'),
        `${client}: ${JSON.stringify(untrusted.samples.map((s) => s.error))}`,
      );
    }
  });
});
