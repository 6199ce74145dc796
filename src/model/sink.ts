/** What a sink is: the run writer, the progress display and InfluxDB all receive the run's records through this. */
import type { RunRecord } from './records.js';
import type { Summary } from './summary.js';

export interface RunInfo {
  runId: string;
  dir: string;
  scenario: string;
  /** This runner's name (the host unless `--runner` gave one). */
  runner: string;
}

export interface RunEnd {
  /** Epoch ms by which close must have finished; a sink still busy then is left behind. */
  deadline: number;
  status: 'completed' | 'interrupted' | 'failed';
  error?: string;
  /** The judged run, analysed from the store once the first sink (the run writer) closed. */
  summary?: Summary;
}

export interface Sink {
  readonly name: string;
  /** Wants the judged run (`RunEnd.summary`) when it closes: the run is then analysed before it does. */
  readonly needsSummary?: boolean;
  open?(run: RunInfo): void | Promise<void>;
  record(record: RunRecord): void | Promise<void>;
  /** May return a line for people: what it wrote, or what it could not and how to make up for it. */
  close?(end: RunEnd): void | string | Promise<void | string>;
}

export interface SinkReport {
  name: string;
  delivered: number;
  /** Records that found the queue full. */
  dropped: number;
  /** Calls that threw or rejected. */
  failed: number;
  /** The first failure, or a missed deadline. */
  error?: string;
  /** What the sink said when it closed. */
  note?: string;
}
