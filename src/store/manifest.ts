import { execFileSync } from 'node:child_process';
import { hostname, cpus, platform, arch } from 'node:os';
import type { Plan } from '../scenario/load.js';
import { FORMAT_VERSION } from '../model/files.js';
import { segmentText, type Segment } from '../model/segment.js';
import type { Scenario, Verdict } from '../scenario/schema.js';
import type { SinkReport } from '../sinks/sink.js';
import { TOOL_VERSION } from '../version.js';
import { redact } from './redact.js';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed';

export interface Runner {
  /** The runner tag its InfluxDB points carry (the host unless `--runner` named it). */
  name: string;
  host: string;
  tool: { name: string; version: string };
  /** This runner's execution segment (`0:1` when alone), as k6 writes them. */
  segment: string;
}

export interface Provenance {
  producer: 'coldbench run' | 'import k6' | 'merge';
  runners: Runner[];
}

export interface RunManifest {
  /** The run-directory format (model/files.ts FORMAT_VERSION). */
  format: number;
  runId: string;
  provenance: Provenance;
  scenarioName: string;
  scenarioFile?: string;
  /** The target names, in the scenario's order. */
  targets: string[];
  /** The verdicts the run is judged by, as validated. */
  verdicts: Verdict[];
  /** The validated scenario as run (overrides applied), secrets redacted: for people; analysis never reads it. */
  scenario?: Scenario;
  tool: { name: 'coldbench'; version: string };
  git?: { commit: string; dirty: boolean };
  host: { hostname: string; platform: string; arch: string; cpus: number; cpuModel?: string };
  node: string;
  options: { samples?: number; only?: string[] };
  startedAt: string;
  endedAt?: string;
  status: RunStatus;
  interrupted: boolean;
  error?: string;
  /** Per sink (run directory, progress, InfluxDB): records delivered, dropped and failed. */
  sinks?: SinkReport[];
}

export function newManifest(runId: string, plan: Plan, runner: { name: string; segment: Segment }, options: RunManifest['options']): RunManifest {
  return {
    format: FORMAT_VERSION,
    runId,
    provenance: { producer: 'coldbench run', runners: [{ name: runner.name, host: hostname(), tool: { name: 'coldbench', version: TOOL_VERSION }, segment: segmentText(runner.segment) }] },
    scenarioName: plan.scenario.name,
    scenarioFile: plan.file,
    targets: Object.keys(plan.scenario.targets),
    verdicts: plan.scenario.verdicts,
    scenario: redact(plan.scenario, plan.substitutions),
    tool: { name: 'coldbench', version: TOOL_VERSION },
    git: gitState(),
    host: { hostname: hostname(), platform: platform(), arch: arch(), cpus: cpus().length, cpuModel: cpus()[0]?.model },
    node: process.version,
    options,
    startedAt: new Date().toISOString(),
    status: 'running',
    interrupted: false,
  };
}

function gitState(): RunManifest['git'] {
  try {
    const run = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim();
    return { commit: run('rev-parse', 'HEAD'), dirty: run('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return undefined;
  }
}
