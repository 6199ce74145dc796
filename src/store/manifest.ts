import { execFileSync } from 'node:child_process';
import { hostname, cpus, platform, arch } from 'node:os';
import { FORMAT_VERSION } from '../model/files.js';
import type { RunHeader, RunManifest } from '../model/manifest.js';
import { segmentText, type Segment } from '../model/segment.js';
import { TOOL_VERSION } from '../model/version.js';

/** The manifest a run starts with, on this host: status running until the writer closes. */
export function newManifest(runId: string, header: RunHeader, runner: { name: string; segment: Segment }, options: RunManifest['options']): RunManifest {
  return {
    format: FORMAT_VERSION,
    runId,
    provenance: {
      producer: 'coldbench run',
      runners: [{ name: runner.name, host: hostname(), tool: { name: 'coldbench', version: TOOL_VERSION }, segment: segmentText(runner.segment) }],
    },
    ...header,
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
