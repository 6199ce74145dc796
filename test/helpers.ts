/** Shared test fixtures: real platforms on loopback, temp dirs, scenario text. */
import { parseIntervalLogLine } from '../src/store/interval-log.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Platform } from '../src/platforms/front-server.js';
import { OWNER_PID_ENV, startInstance, stopInstance } from '../src/platforms/instance.js';
import type { Sample, SeriesRecord, StoredSample } from '../src/model/records.js';
import { openRunDirectory, readSamples } from '../src/store/run-dir.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'bin/coldbench.js');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** coldbench as a real process, with its output collected; `stderrSoFar` reads it while it runs. */
export function startCli(
  args: string[],
  cwd = ROOT,
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; done: Promise<Finished>; stderrSoFar: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Finished>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, stderrSoFar: () => stderr };
}

export const coldbench = (...args: string[]): Promise<Finished> => startCli(args).done;

export function tempDir(prefix = 'coldbench-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a platform and stops it when the test file ends. */
export async function platform(start: Promise<Platform>): Promise<Platform> {
  const started = await start;
  after(() => started.close());
  return started;
}

/** Processes started by embedded platforms owned by process `pid` (platform hosts, instances, standbys) still alive. */
export function instancesOf(pid: number): number[] {
  const alive: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (environ.split('\0').includes(`${OWNER_PID_ENV}=${pid}`)) alive.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return alive;
}

export function readJsonLines<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** One reference-app instance in a process of its own (GET /api/work?ms=N), stopped when the test file ends. */
export async function appInProcess(): Promise<string> {
  const instance = startInstance(0);
  after(() => stopInstance(instance));
  return `http://127.0.0.1:${await instance.ready}`;
}

/** A loopback port free a moment ago, for a server started as another process (VictoriaMetrics, influxd). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A node:http server on a free loopback port, closed (with its connections) when the test file ends. */
export async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Runs one probe (given as the YAML lines after its `kind`) against one target `t`, with
 * optional verdict lines; returns the outcome with the samples and series it wrote.
 */
export async function runOneProbe<S extends Sample>(url: string, kind: string, probe: string, verdicts = '', targetExtra = '') {
  const text = `name: ${kind}-test
targets:
  t: { url: "${url}"${targetExtra} }
probes:
  - kind: ${kind}
${probe.replace(/^/gm, '    ')}
${verdicts ? `verdicts:\n${verdicts}` : ''}`;
  const started = Date.now();
  const outcome = await runScenario(parseScenario(text, `${kind}.yaml`), { outDir: tempDir() });
  return {
    ...outcome,
    elapsedMs: Date.now() - started,
    samples: storedSamples<S>(outcome.dir),
    series: readJsonLines<SeriesRecord>(join(outcome.dir, 'series.jsonl')),
    intervals: readIntervalLog(join(outcome.dir, 'intervals.hlog')),
  };
}

/** Every sample a run directory holds (samples.jsonl and samples.bin), read by coldbench's own reader. */
export function storedSamples<S extends StoredSample = StoredSample>(dir: string): S[] {
  const samples: S[] = [];
  readSamples(openRunDirectory(dir), (sample) => samples.push(sample as S));
  return samples;
}

/** The interval histograms of an interval log, parsed by coldbench's own reader. */
export function readIntervalLog(path: string) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line) => parseIntervalLogLine(line) ?? []);
}

/** k6's http_* metrics, in the order k6 writes a request's points (http_reqs opens it): for k6 output made in tests and the bench. */
export const K6_HTTP_METRICS = [
  'http_reqs',
  'http_req_duration',
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
  'http_req_failed',
];

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl, valid a day. */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = tempDir();
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}
