import { execFileSync } from 'node:child_process';
import { hostname, cpus, platform, arch } from 'node:os';
import type { Plan } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { TOOL_VERSION } from '../version.js';
import { redact } from './redact.js';

export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed';

export interface RunManifest {
  runId: string;
  scenarioName: string;
  scenarioFile: string;
  /** The validated scenario as run (overrides applied), secrets redacted. */
  scenario: Scenario;
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
}

export function newManifest(runId: string, plan: Plan, options: RunManifest['options']): RunManifest {
  return {
    runId,
    scenarioName: plan.scenario.name,
    scenarioFile: plan.file,
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
