/**
 * `npm run bench`: coldbench's open-model executor against autocannon and wrk, measured in
 * the same run against the same plain node:http server on loopback, so that the figures are
 * ratios within one run on a noisy machine. What a user's first run gets: every throughput
 * and lag figure comes from a fresh `coldbench run` process, the server pinned to core 0 and
 * every client (coldbench, autocannon, wrk, the raw stream client) to core 1 with taskset.
 *
 *   BENCH_SECONDS   length of each throughput and lag run (default 5)
 *   BENCH_REPEATS   throughput pairs and lag runs per rate, interleaved with what they are compared to (default 3)
 *   BENCH_REQUESTS  requests for the memory run (default 1,000,000)
 *   BENCH_STREAMS   concurrent SSE streams for the stream run (default 10,000)
 *   BENCH_K6_BYTES  size of the k6 JSON output the k6-import section generates and imports (default 1 GB)
 *   BENCH_ONLY      comma-separated sections to run: throughput, lag, segments, stream-open, streams, memory, k6-import, h2 (default all)
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadStageSummary, Summary } from '../src/model/summary.js';
import type { Tick } from '../src/model/records.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { K6_HTTP_METRICS } from '../test/helpers.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** One fresh process is one draw from a noisy machine: each comparison is made this many times, alternating, and read by its median. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const MEMORY_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
const CONNECTIONS = 64;
const STREAMS = Number(process.env.BENCH_STREAMS ?? 10_000);
const STREAM_HOLD_S = 20;
const K6_BYTES = Number(process.env.BENCH_K6_BYTES ?? 1e9);
const ONLY = process.env.BENCH_ONLY?.split(',');
const section = (name: string) => !ONLY || ONLY.includes(name);

const SERVER_CORE = '0';
const CLIENT_CORE = '1';
const CLI = fileURLToPath(new URL('../../bin/coldbench.js', import.meta.url));
/** A fresh run holds a rate cleanly with no drop and a schedule lag p99 within this. */
const CLEAN_LAG_P99_MS = 2;

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();

/** A command pinned to one core where taskset is available. */
function pinned(core: string, command: string, args: string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', core, command, ...args]] : [command, args];
}

async function startServer(script = './server.js'): Promise<{ url: string; stop(): void }> {
  const [command, args] = pinned(SERVER_CORE, process.execPath, [fileURLToPath(new URL(script, import.meta.url))]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

interface StageRun {
  stage: LoadStageSummary;
  runDir: string;
  cleanup(): void;
}

interface FreshRun {
  stage: LoadStageSummary;
  /** The first second of the schedule on its own: where a cold generator shows. */
  first: Tick;
}

/** One stage in a fresh, pinned `coldbench run` process, as a user's first run. */
function freshRun(url: string, rate: number, seconds: number, client: 'lean' | 'undici' = 'lean'): FreshRun {
  let first: Tick | undefined;
  const summary = freshSummary(scenarioText(url, rate, seconds, client), (dir) => {
    const series = readFileSync(join(dir, 'series.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Tick);
    first = series.find((r) => r.type === 'tick' && r.second === 0);
  });
  return { stage: summary.targets.server!.load!.s!, first: first! };
}

/** Runs a scenario in a fresh `coldbench run` process pinned to the client core; `inspect` sees the run directory before it goes. */
function freshSummary(scenarioYaml: string, inspect?: (runDir: string) => void): Summary {
  const dir = mkdtempSync(join(tmpdir(), 'coldbench-bench-'));
  try {
    const scenario = join(dir, 'bench.yaml');
    writeFileSync(scenario, scenarioYaml);
    const [command, args] = pinned(CLIENT_CORE, process.execPath, [CLI, 'run', scenario, '--json', '--out', dir, '--max-rate', '100000/s']);
    let stdout: string;
    try {
      stdout = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      // A run whose verdict is not a pass (an invalid stage: exit 2) still printed its summary.
      stdout = (error as { stdout: string }).stdout;
    }
    const summary = JSON.parse(stdout) as Summary;
    inspect?.(join(dir, summary.runId));
    return summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function scenarioText(url: string, rate: number, seconds: number, client: 'lean' | 'undici' = 'lean'): string {
  return `name: bench
targets:
  server: { url: "${url}" }
probes:
  - kind: load
    stages: [{ name: s, rate: ${rate}/s, duration: ${seconds}s }]
    maxInFlight: ${CONNECTIONS * 4}
    connections: ${CONNECTIONS}
    client: ${client}
`;
}

/** A stage in this process, for the memory run, which samples this process's heap. */
async function coldbenchRun(url: string, rate: number, seconds: number, onTick?: () => void): Promise<StageRun> {
  const dir = mkdtempSync(join(tmpdir(), 'coldbench-bench-'));
  const outcome = await runScenario(parseScenario(scenarioText(url, rate, seconds), 'bench.yaml'), {
    outDir: dir,
    sinks: [{ name: 'bench', record: (record) => void (record.type === 'tick' && onTick?.()) }],
  });
  return { stage: outcome.summary.targets.server!.load!.s!, runDir: outcome.dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `coldbench report` on a run directory, in a fresh process: its time and peak RSS. */
function reportCost(runDir: string): { seconds: number; maxRss: number } {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(new URL('../src/report/write-reports.js', import.meta.url).href)});
m.writeReports(${JSON.stringify(runDir)}); console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, maxRss: process.resourceUsage().maxRSS * 1024 }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { seconds: number; maxRss: number };
}

function autocannonThroughput(url: string): number {
  const [command, args] = pinned(CLIENT_CORE, process.execPath, [
    fileURLToPath(import.meta.resolve('autocannon/autocannon.js')),
    '-c',
    String(CONNECTIONS),
    '-d',
    String(SECONDS),
    '-j',
    url,
  ]);
  const result = JSON.parse(execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { requests: { average: number } };
  return result.requests.average;
}

function wrkThroughput(url: string): number | undefined {
  try {
    const [command, args] = pinned(CLIENT_CORE, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, url]);
    const out = execFileSync(command, args, { encoding: 'utf8' });
    return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  } catch {
    return undefined;
  }
}

function sseScenario(url: string, path: string, connections: number, openRate: number, hold: string, extra = ''): string {
  return `name: bench-streams
targets:
  server: { url: "${url}" }
probes:
  - kind: stream
    protocol: sse
    request: { method: POST, path: "${path}" }
    connections: ${connections}
    openRate: ${openRate}/s
    hold: ${hold}
    ${extra}
`;
}

/** STREAMS SSE streams held at once, one event a second each: every one accounted for, client RSS and CPU. */
async function streamRun(url: string): Promise<void> {
  const openRate = 2000;
  line(`\n## ${STREAMS.toLocaleString('en')} concurrent SSE streams (one event a second each, opened at ${openRate}/s, held ${STREAM_HOLD_S}s)`);
  const dir = mkdtempSync(join(tmpdir(), 'coldbench-bench-'));
  const text = sseScenario(url, '/api/chat?interval=1000', STREAMS, openRate, `${STREAM_HOLD_S}s`, 'expect: { eventEvery: 1s }');
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    const outcome = await runScenario(parseScenario(text, 'bench.yaml'), {
      outDir: dir,
      sinks: [
        {
          name: 'bench',
          record: (record) => {
            if (record.type === 'stream-tick') peakRss = Math.max(peakRss, process.memoryUsage().rss);
          },
        },
      ],
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const stream = outcome.summary.targets.server!.stream!;
    const accounted = stream.survived + stream.dropped;
    line(
      `streams: ${stream.connections} opened, ${stream.survived} kept, ${stream.dropped} dropped (${JSON.stringify(stream.droppedByCause)}); accounted ${accounted}/${STREAMS}`,
    );
    line(
      `peak open ${stream.peakConcurrent}, ${stream.events.toLocaleString('en')} events, ${stream.lostMessages} lost; gap p50 ${stream.gapMs?.p50}ms p99 ${stream.gapMs?.p99}ms (n=${stream.gapMs?.count})`,
    );
    line(
      `client: peak RSS ${mb(peakRss)} (${mb(rssBefore)} before the streams: +${mb(peakRss - rssBefore)}), CPU ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)}% of one core over ${seconds.toFixed(0)}s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Streams opened at 100, 300 and 1,000 per second against the same server: coldbench's time
 * to first event and connect time (a fresh pinned process) next to the raw reference client
 * (plain sockets, the same schedule, pinned the same way).
 */
function streamOpenRun(url: string): void {
  line("\n## Opening streams: coldbench against a raw socket client (time from each stream's scheduled open)");
  const path = '/api/chat?interval=200&tokens=20';
  for (const rate of [100, 300, 1000]) {
    const streams = Math.max(60, rate * 2);
    const holdMs = 1500;
    const raw = JSON.parse(
      execFileSync(
        ...pinned(CLIENT_CORE, process.execPath, [
          fileURLToPath(new URL('./raw-sse-client.js', import.meta.url)),
          `${url}${path}`,
          String(rate),
          String(streams),
          String(holdMs),
        ]),
        { encoding: 'utf8' },
      ),
    ) as { connectMs: number[]; ttfeMs: number[] };
    const ours = freshSummary(sseScenario(url, path, streams, rate, `${holdMs}ms`)).targets.server!.stream!;
    const at = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * values.length) - 1)] ?? NaN;
    const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(2)}ms`;
    const rawTtfe = { p50: at(raw.ttfeMs, 0.5), p90: at(raw.ttfeMs, 0.9) };
    const ttfe = ours.timeToFirstEventMs!;
    line(
      `${String(rate).padStart(4)}/s  ${streams} streams  time to first event p50 ${ttfe.p50.toFixed(2)}ms (raw ${rawTtfe.p50.toFixed(2)}ms, ${signed(ttfe.p50 - rawTtfe.p50)}, ×${(ttfe.p50 / rawTtfe.p50).toFixed(2)})` +
        `  p90 ${ttfe.p90.toFixed(2)}ms (raw ${rawTtfe.p90.toFixed(2)}ms, ${signed(ttfe.p90 - rawTtfe.p90)})` +
        `  connect p50 ${ours.connectMs!.p50.toFixed(2)}ms (raw ${at(raw.connectMs, 0.5).toFixed(2)}ms)  kept ${ours.survived}/${ours.connections}`,
    );
  }
}

/** h2load's results: its throughput, and its per-request durations from --log-file (µs). */
function h2load(url: string, args: string[]): { rps: number; latencyMs: number[] } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'coldbench-h2load-'));
  try {
    const out = execFileSync(...pinned(CLIENT_CORE, 'h2load', [...args, `--log-file=${join(dir, 'log')}`, url]), { encoding: 'utf8' });
    const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
    const latencyMs = readFileSync(join(dir, 'log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line.split('\t')[2]) / 1000);
    return { rps, latencyMs };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * HTTP/2 (h2c) against a node:http2 server in its own process: h2load's maximum throughput
 * next to coldbench's open model at overload (both 64 connections, 10 streams each), then
 * latency at a fixed rate, h2load paced with --rps and coldbench's schedule, same run.
 */
async function h2Run(): Promise<void> {
  line('\n## HTTP/2 (h2c): coldbench against h2load on the same node:http2 server');
  const server = await startServer('./h2-server.js');
  try {
    const streams = 10;
    const max = h2load(server.url, ['-c', String(CONNECTIONS), '-m', String(streams), '-D', String(SECONDS), '--warm-up-time=1']);
    if (!max) {
      line('h2load not installed (apt-get install nghttp2-client)');
      return;
    }
    const scenario = (rate: number) => `name: bench-h2
targets:
  server: { url: "${server.url}", http: { version: 2, maxConcurrentStreams: ${streams} } }
probes:
  - kind: load
    stages: [{ name: s, rate: ${rate}/s, duration: ${SECONDS}s }]
    maxInFlight: ${CONNECTIONS * streams}
    connections: ${CONNECTIONS}
`;
    const ours = freshSummary(scenario(Math.ceil(max.rps * 1.5))).targets.server!;
    line(`h2load (64 connections × ${streams} streams)    ${Math.round(max.rps)} req/s`);
    line(
      `coldbench open model over h2         ${Math.round(ours.load!.s!.achievedRate)} req/s   ratio to h2load ${(ours.load!.s!.achievedRate / max.rps).toFixed(2)}  (spoke h2 on ${ours.http2?.h2 ?? 0} of ${ours.http2?.connections ?? 0} connections)`,
    );
    const rate = 2000;
    const clients = 8;
    const paced = h2load(server.url, ['-c', String(clients), '-m', String(streams), '--rps', String(rate / clients), '-D', String(SECONDS)]);
    const at = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * values.length) - 1)] ?? NaN;
    const fixed = freshSummary(scenario(rate)).targets.server!.load!.s!;
    line(
      `at ${rate}/s: coldbench latency p50 ${fixed.latencyMs?.p50.toFixed(3)}ms p99 ${fixed.latencyMs?.p99.toFixed(3)}ms (corrected, n=${fixed.latencyMs?.count}; from the send p99 ${fixed.uncorrectedLatencyMs?.p99.toFixed(3)}ms)` +
        `  | h2load p50 ${at(paced!.latencyMs, 0.5).toFixed(3)}ms p99 ${at(paced!.latencyMs, 0.99).toFixed(3)}ms (n=${paced!.latencyMs.length}, from the send)`,
    );
  } finally {
    server.stop();
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const line = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<void> {
  const server = await startServer();
  try {
    line(`coldbench bench: node ${process.version}, ${CONNECTIONS} connections, ${SECONDS}s per run, server ${server.url}`);
    line(
      hasTaskset
        ? `server pinned to core ${SERVER_CORE}, every client to core ${CLIENT_CORE}; each coldbench figure from a fresh \`coldbench run\` process`
        : 'taskset not found: nothing pinned',
    );

    let ours = 10_000;
    if (section('throughput')) ours = throughputRun(server.url);
    if (section('lag')) lagRun(server.url);
    if (section('segments')) await segmentsRun(server.url);
    if (section('stream-open')) streamOpenRun(server.url);
    if (section('streams')) await streamRun(server.url);
    if (section('memory')) await memoryRun(server.url, ours);
    if (section('k6-import')) k6ImportRun();
    if (section('h2')) await h2Run();
  } finally {
    server.stop();
  }
}

/**
 * One runner against two `--segment` runners started together and merged, at rising rates:
 * the highest rate each holds cleanly (every due request sent, nothing dropped, the stage
 * valid: coldbench's own loop delay within its rule). On two cores the second runner shares
 * core 0 with the server, so this shows what splitting buys when the cores are scarce.
 */
async function segmentsRun(url: string): Promise<void> {
  line('\n## Segments: one runner (core 1) against two --segment runners (cores 0 and 1), merged');
  const clean = { one: 0, two: 0 };
  for (const rate of [2000, 5000, 8000, 11000, 14000]) {
    const dir = mkdtempSync(join(tmpdir(), 'coldbench-bench-'));
    try {
      const scenario = join(dir, 'bench.yaml');
      writeFileSync(scenario, scenarioText(url, rate, SECONDS));
      const run = (core: string, args: string[]) =>
        new Promise<void>((resolve) => {
          const [command, argv] = pinned(core, process.execPath, [CLI, 'run', scenario, '--max-rate', '100000/s', ...args]);
          spawn(command, argv, { stdio: 'ignore' }).once('close', () => resolve());
        });
      await run(CLIENT_CORE, ['--out', join(dir, 'one')]);
      await Promise.all([run(CLIENT_CORE, ['--segment', '1/2', '--out', join(dir, 'a')]), run(SERVER_CORE, ['--segment', '2/2', '--out', join(dir, 'b')])]);
      const runDir = (out: string) => join(out, readdirSync(out)[0]!);
      const one = (JSON.parse(readFileSync(join(runDir(join(dir, 'one')), 'summary.json'), 'utf8')) as Summary).targets.server!.load!.s!;
      execFileSync(process.execPath, [CLI, 'merge', runDir(join(dir, 'a')), runDir(join(dir, 'b')), '--out', join(dir, 'merged')], { stdio: 'ignore' });
      const two = (JSON.parse(readFileSync(join(runDir(join(dir, 'merged')), 'summary.json'), 'utf8')) as Summary).targets.server!.load!.s!;
      const holds = (s: LoadStageSummary) => s.valid && s.dropped === 0 && s.achievedRate >= rate * 0.99;
      if (holds(one)) clean.one = Math.max(clean.one, rate);
      if (holds(two)) clean.two = Math.max(clean.two, rate);
      const describe = (s: LoadStageSummary) =>
        `achieved ${Math.round(s.achievedRate)}/s dropped ${s.dropped} p99 ${s.latencyMs?.p99}ms${s.valid ? '' : ' invalid'}`;
      line(`${String(rate).padStart(6)}/s  one runner: ${describe(one)}  |  two segments merged: ${describe(two)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  line(`highest clean rate: one runner ${clean.one ? `${clean.one}/s` : 'none tried'}, two segment runners ${clean.two ? `${clean.two}/s` : 'none tried'}`);
}

/**
 * The most coldbench's open model sends against autocannon's closed loop, REPEATS pairs
 * alternating (autocannon, then a fresh `coldbench run` driven at 1.5× what autocannon just
 * reached, so the executor sends what maxInFlight allows and counts the rest dropped), read by
 * the median ratio; then `client: undici` and wrk once each. Returns coldbench's median.
 */
function throughputRun(url: string): number {
  line('\n## Max throughput (same server, same run)');
  line(
    "coldbench records everything a run records: a 64-byte sample a request (samples.bin), four HDR histograms a request, the interval log, ticks and the client's loop delay; autocannon and wrk keep one histogram in memory",
  );
  const pairs: { autocannon: number; ours: number }[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const autocannon = autocannonThroughput(url);
    pairs.push({ autocannon, ours: freshRun(url, Math.ceil(autocannon * 1.5), SECONDS).stage.achievedRate });
  }
  const autocannon = median(pairs.map((p) => p.autocannon));
  const ours = median(pairs.map((p) => p.ours));
  const undiciRps = freshRun(url, Math.ceil(autocannon * 1.5), SECONDS, 'undici').stage.achievedRate;
  const wrkRps = wrkThroughput(url);
  const each = (values: number[]) => values.map((v) => Math.round(v)).join(', ');
  line(`autocannon                          ${Math.round(autocannon)} req/s   (${each(pairs.map((p) => p.autocannon))})`);
  line(
    `coldbench open model                ${Math.round(ours)} req/s   (${each(pairs.map((p) => p.ours))})   ratio to autocannon ${spread(pairs.map((p) => p.ours / p.autocannon))}`,
  );
  line(`coldbench open model, client undici ${Math.round(undiciRps)} req/s   ratio to the median autocannon ${(undiciRps / autocannon).toFixed(2)}`);
  if (wrkRps) line(`wrk (1 thread)                      ${Math.round(wrkRps)} req/s   coldbench median/wrk ${(ours / wrkRps).toFixed(2)}`);
  else line('wrk                                 not installed (apt-get install wrk)');
  return ours;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
/** "median (min–max)" of a figure measured REPEATS times. */
const spread = (values: number[], digits = 2) =>
  values.length === 1
    ? values[0]!.toFixed(digits)
    : `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

/**
 * Fresh processes at rising rates: schedule lag, the first second on its own, the rates held
 * cleanly; each coldbench run follows a fresh raw reference client (raw-http-client.ts: plain
 * sockets, the same schedule, connections and in-flight bound, pinned the same way), REPEATS
 * times a rate, so what the machine and the server cost a fresh process shows beside what
 * coldbench adds, and one noisy moment is one draw of several, not the figure.
 */
function lagRun(url: string): void {
  line(
    `\n## A fresh process's schedule (lag: socket write − intended start; ${REPEATS} fresh runs a rate, each after a raw reference client's; median and range)`,
  );
  const rates = [500, 1000, 2000, 3000, 5000, 7000, 10000];
  const held = { two: [] as boolean[], one: [] as boolean[], raw: [] as boolean[] };
  for (const rate of rates) {
    const raws: RawLag[] = [];
    const runs: FreshRun[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      raws.push(rawLag(url, rate));
      runs.push(freshRun(url, rate, SECONDS));
    }
    const p99 = runs.map((r) => r.stage.scheduleLagMs?.p99 ?? Infinity);
    const rawP99 = raws.map((r) => r.p99);
    const noDrop = runs.every((r) => r.stage.dropped === 0);
    held.two.push(noDrop && median(p99) <= CLEAN_LAG_P99_MS);
    held.one.push(noDrop && median(p99) <= 1);
    held.raw.push(raws.every((r) => r.dropped === 0) && median(rawP99) <= CLEAN_LAG_P99_MS);
    const firstSent = runs.map((r) => r.first.sent);
    line(
      `${String(rate).padStart(5)}/s  achieved ${Math.round(median(runs.map((r) => r.stage.achievedRate)))}/s  dropped ${runs.map((r) => r.stage.dropped).join('/')}  ` +
        `lag p99 ${spread(p99)}ms max ${spread(
          runs.map((r) => r.stage.scheduleLagMs?.max ?? NaN),
          1,
        )}ms  loop p99 ${spread(runs.map((r) => r.stage.eventLoopDelayMs?.p99 ?? NaN))}ms  ` +
        `| first second: sent ${Math.min(...firstSent)}–${Math.max(...firstSent)}, dropped ${runs.map((r) => r.first.dropped).join('/')}  ` +
        `| raw: lag p99 ${spread(rawP99)}ms dropped ${raws.map((r) => r.dropped).join('/')}`,
    );
  }
  const upTo = (clean: boolean[]) => {
    const firstMiss = clean.indexOf(false);
    const last = firstMiss === -1 ? rates.length - 1 : firstMiss - 1;
    return last >= 0 ? `every rate up to ${rates[last]}/s` : 'not the lowest rate tried';
  };
  line(`held with 0 drops and a median lag p99 ≤ ${CLEAN_LAG_P99_MS} ms: ${upTo(held.two)} (raw client: ${upTo(held.raw)})`);
  line(`held with 0 drops and a median lag p99 ≤ 1 ms: ${upTo(held.one)}`);
}

interface RawLag {
  p99: number;
  max: number;
  dropped: number;
}

function rawLag(url: string, rate: number): RawLag {
  const script = fileURLToPath(new URL('./raw-http-client.js', import.meta.url));
  const args = [script, url, String(rate), String(SECONDS), String(CONNECTIONS), String(CONNECTIONS * 4)];
  const { lagMs, dropped } = JSON.parse(execFileSync(...pinned(CLIENT_CORE, process.execPath, args), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as {
    lagMs: number[];
    dropped: number;
  };
  const sorted = lagMs.sort((a, b) => a - b);
  return { p99: sorted[Math.ceil(0.99 * sorted.length) - 1] ?? NaN, max: sorted.at(-1) ?? NaN, dropped };
}

/**
 * A million requests in this process (it samples its own heap): live heap, RSS, and what
 * `report` then costs, against its cost on a run of a tenth the size: analysis memory must
 * not grow with the requests.
 */
async function memoryRun(url: string, maxRate: number): Promise<void> {
  line(`\n## Memory over ${MEMORY_REQUESTS.toLocaleString('en')} requests`);
  const rate = Math.min(Math.floor(maxRate * 0.8), 20_000);
  const small = await coldbenchRun(url, rate, Math.ceil(MEMORY_REQUESTS / 10 / rate));
  const smallReport = reportCost(small.runDir);
  small.cleanup();
  const seconds = Math.ceil(MEMORY_REQUESTS / rate);
  const heap: number[] = [];
  const rss: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  const { stage, runDir, cleanup } = await coldbenchRun(url, rate, seconds, () => {
    // Live heap after a full collection: what the run holds, not what V8 has yet to give back.
    if (gc && rss.length % 10 === 0) {
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    rss.push(process.memoryUsage().rss);
  });
  const at = (values: number[], share: number) => values[Math.min(values.length - 1, Math.floor(values.length * share))] ?? 0;
  line(`${stage.requests.toLocaleString('en')} requests at ${rate}/s, sampled every second of the run:`);
  const stored = statSync(join(runDir, 'samples.bin')).size + statSync(join(runDir, 'samples.dict.jsonl')).size;
  line(`  samples stored:     ${mb(stored)}, ${(stored / (stage.requests + stage.dropped)).toFixed(1)} bytes a request (samples.bin and its dictionary)`);
  if (heap.length)
    line(`  live heap after GC: ${mb(at(heap, 0.1))} at 10%, ${mb(heap.at(-1)!)} at the end, growth ×${(heap.at(-1)! / at(heap, 0.1)).toFixed(2)}`);
  line(`  RSS:                ${mb(at(rss, 0.1))} at 10%, ${mb(rss.at(-1)!)} at the end (max ${mb(Math.max(...rss))})`);
  const report = reportCost(runDir);
  line(
    `  coldbench report, fresh process: ${small.stage.requests.toLocaleString('en')} requests ${smallReport.seconds.toFixed(1)}s, peak RSS ${mb(smallReport.maxRss)}; ` +
      `${stage.requests.toLocaleString('en')} requests ${report.seconds.toFixed(1)}s, peak RSS ${mb(report.maxRss)} (+${mb(report.maxRss - smallReport.maxRss)} for ${(stage.requests / small.stage.requests).toFixed(0)}× the requests)`,
  );
  cleanup();
}

/**
 * `coldbench import k6` on a k6 JSON output of K6_BYTES from two runners (written as k6 writes
 * it: a request's nine http_* points when it ends), in a fresh process: its peak RSS must not
 * grow with the input, and its throughput in lines a second.
 */
function k6ImportRun(): void {
  line(`\n## Importing ${mb(K6_BYTES)} of k6 JSON output (two runners)`);
  const dir = mkdtempSync(join(tmpdir(), 'coldbench-bench-k6-'));
  try {
    const files = [0, 1].map((runner) => join(dir, `runner-${runner}.json`));
    let lines = 0;
    for (const [runner, file] of files.entries()) lines += writeK6Output(file, K6_BYTES / files.length, runner);
    const script = `const t = performance.now(); const m = await import(${JSON.stringify(new URL('../src/importers/k6.js', import.meta.url).href)});
const r = await m.importK6(${JSON.stringify(files)}, ${JSON.stringify(join(dir, 'out'))});
console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, maxRss: process.resourceUsage().maxRSS * 1024, requests: r.requests }));`;
    const [command, args] = pinned(CLIENT_CORE, process.execPath, ['--input-type=module', '-e', script]);
    const result = JSON.parse(execFileSync(command, args, { encoding: 'utf8' })) as { seconds: number; maxRss: number; requests: number };
    line(
      `${lines.toLocaleString('en')} lines, ${result.requests.toLocaleString('en')} requests: ${result.seconds.toFixed(1)} s, ` +
        `${Math.round(lines / result.seconds).toLocaleString('en')} lines/s, peak RSS ${mb(result.maxRss)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes k6 JSON output of about `bytes`: requests every 100 µs, durations 5–305 ms, each written when it ends. Returns its lines. */
function writeK6Output(file: string, bytes: number, runner: number): number {
  const start = Date.parse('2026-12-01T12:00:00Z');
  const tags = (status: number) => ({
    target: 'k8s',
    probe: 'load',
    stage: '10x',
    scenario: 'k8s',
    url: 'http://k8s.example/api/chat',
    method: 'GET',
    status: String(status),
    expected_response: 'true',
    testid: 'bench',
  });
  const fd = openSync(file, 'w');
  let written = 0;
  let lines = 0;
  let batch: string[] = [];
  try {
    for (let i = 0; written < bytes; i++) {
      const duration = 5 + ((i * 7919) % 300);
      // Ends in order, as k6 writes them; starts (end − duration) out of order by up to 300 ms.
      const time = new Date(start + runner * 0.05 + i * 0.1 + 300).toISOString();
      for (const metric of K6_HTTP_METRICS) {
        const value = metric === 'http_reqs' ? 1 : metric === 'http_req_duration' ? duration : metric === 'http_req_failed' ? 0 : 0.01;
        const text = JSON.stringify({ type: 'Point', data: { time, value, tags: tags(200) }, metric }) + '\n';
        batch.push(text);
        written += text.length;
        lines += 1;
      }
      if (batch.length >= 9000) {
        writeSync(fd, batch.join(''));
        batch = [];
      }
    }
    writeSync(fd, batch.join(''));
  } finally {
    closeSync(fd);
  }
  return lines;
}

void main();
