/** manifest.json: what a run directory holds, who wrote it and how it ended. */
import type { SinkReport } from './sink.js';
import type { VerdictSpec } from './verdict-specs.js';

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
  producer: 'coldbench run' | 'import k6' | 'import vegeta' | 'import autocannon' | 'merge';
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
  verdicts: VerdictSpec[];
  /** The validated scenario as run (overrides applied), secrets redacted: for people; analysis never reads it. */
  scenario?: object;
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
  /** What the producer knew to be missing from the records (a merge that left out a runner's torn last line). */
  incomplete?: string[];
  /** Per sink (run directory, progress, InfluxDB): records delivered, dropped and failed. */
  sinks?: SinkReport[];
}

/** What a run is of, known before it starts: the scenario's part of the manifest. */
export type RunHeader = Pick<RunManifest, 'scenarioName' | 'scenarioFile' | 'targets' | 'verdicts' | 'scenario'>;
