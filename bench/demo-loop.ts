/**
 * `npm run bench:demo [-- runs] [--decision]`: runs `coldbench demo` (or `demo --decision`) N times (default 10), each in a fresh
 * process as a user runs it, and prints how many exited 0 and the spread of the figures the
 * verdicts rest on, so the demo's margin on this machine is a measured number.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Summary } from '../src/model/summary.js';

const CLI = fileURLToPath(new URL('../../bin/coldbench.js', import.meta.url));
const DECISION = process.argv.includes('--decision');
const RUNS = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? process.env.BENCH_DEMO_RUNS ?? 10);

interface DemoRun {
  exit: number;
  summary?: Summary;
}

function runDemo(): Promise<DemoRun> {
  const out = mkdtempSync(join(tmpdir(), 'coldbench-demo-loop-'));
  const args = [CLI, 'demo', ...(DECISION ? ['--decision'] : []), '--json', '--out', out];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      rmSync(out, { recursive: true, force: true });
      let summary: Summary | undefined;
      try {
        summary = JSON.parse(stdout) as Summary;
      } catch {
        // a run that failed before its summary counts by its exit code alone
      }
      resolve({ exit: code ?? -1, summary });
    }),
  );
}

/** The figures each run's verdicts rest on, in ms unless named otherwise. */
function figures(summary: Summary): Record<string, number | undefined> {
  if (DECISION) {
    const share = (target: string, gapMs: number) => summary.targets[target]?.idleSweep?.gaps.find((g) => g.gapMs === gapMs)?.coldShare ?? undefined;
    return {
      'cloudrun cold share after 250ms': share('cloudrun', 250),
      'cloudrun cold share after 1s': share('cloudrun', 1000),
      'k8s cold share after 1s': share('k8s', 1000),
      'k8s rps per instance': summary.targets.k8s?.capacitySearch?.rpsPerInstance ?? undefined,
      'cloudrun rps per instance': summary.targets.cloudrun?.capacitySearch?.rpsPerInstance ?? undefined,
      'cloudrun held rate': summary.targets.cloudrun?.capacitySearch?.heldRate ?? undefined,
    };
  }
  const k8s = summary.targets.k8s?.load?.['10x'];
  const cloudrun = summary.targets.cloudrun?.load?.['10x'];
  return {
    'k8s 10x p95': k8s?.latencyMs?.p95,
    'k8s 10x p99': k8s?.latencyMs?.p99,
    'cloudrun 10x p95': cloudrun?.latencyMs?.p95,
    '10x schedule lag p99': k8s?.scheduleLagMs?.p99,
    '10x event-loop delay p99': k8s?.eventLoopDelayMs?.p99,
    'cold start ratio (k8s/cloudrun p50)': summary.verdicts.find((v) => v.id === 'cold-start-reduction')?.observed ?? undefined,
    'k8s streams kept': summary.targets.k8s?.stream?.survived,
    'cloudrun streams kept': summary.targets.cloudrun?.stream?.survived,
  };
}

const runs: DemoRun[] = [];
for (let i = 1; i <= RUNS; i++) {
  const run = await runDemo();
  runs.push(run);
  const statuses = run.summary?.verdicts.map((v) => v.status).join(' ') ?? 'no summary';
  const f = run.summary ? figures(run.summary) : {};
  const detail = DECISION
    ? `k8s ${f['k8s rps per instance'] ?? '–'}/s per instance  cloudrun held ${f['cloudrun held rate'] ?? '–'}/s`
    : `k8s 10x p99 ${f['k8s 10x p99'] ?? '–'}ms  lag p99 ${f['10x schedule lag p99'] ?? '–'}ms`;
  process.stdout.write(`run ${i}/${RUNS}: exit ${run.exit}  ${statuses}  ${detail}\n`);
}

const passed = runs.filter((r) => r.exit === 0).length;
process.stdout.write(`\ncoldbench demo${DECISION ? ' --decision' : ''}: ${passed}/${RUNS} runs exited 0 (node ${process.version})\n\n`);
const rows = runs.flatMap((r) => (r.summary ? [figures(r.summary)] : []));
const names = Object.keys(rows[0] ?? {});
process.stdout.write(`${'figure'.padEnd(38)}${'min'.padStart(9)}${'median'.padStart(9)}${'max'.padStart(9)}  n\n`);
for (const name of names) {
  const values = rows
    .map((row) => row[name])
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  if (values.length === 0) continue;
  const cell = (v: number) => String(Math.round(v * 100) / 100).padStart(9);
  process.stdout.write(`${name.padEnd(38)}${cell(values[0]!)}${cell(values[Math.floor((values.length - 1) / 2)]!)}${cell(values.at(-1)!)}  ${values.length}\n`);
}
process.exitCode = passed === RUNS ? 0 : 1;
