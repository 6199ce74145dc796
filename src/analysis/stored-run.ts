/** A stored run as analysis holds it: what the store reader gave, and each probe kind's accumulated data. */
import type { BusyByInstance } from './billable.js';
import type { CapacitySample, ColdstartSample, HttpProtocol, IdleSweepSample, StreamSample } from '../model/records.js';
import type { RunContents } from '../store/read-run.js';
import type { Reservoir } from './reservoir.js';
import type { LatencyWindow } from './slo.js';

export interface LoadStageData {
  probe: string;
  target: string;
  stage: string;
  /** Due requests: sent plus dropped. */
  due: number;
  sent: number;
  successes: number;
  dropped: number;
  errorsByClass: Record<string, number>;
  lastDueAt: number;
  /** Instance id → epoch ms it first answered in this stage. */
  instances: Map<string, number>;
  /** Corrected latency of successful requests. */
  latency: Reservoir;
  /** Per instance, the periods it held a request: billable instance time. */
  busy: BusyByInstance;
}

export interface StreamAttempt {
  attempt: number;
  outcome: StreamSample['outcome'];
  startedAt: number;
  endedAfterMs: number;
  cause?: string;
}

export interface StreamData {
  probe: string;
  target: string;
  /** Stream number → its connections. */
  streams: Map<number, StreamAttempt[]>;
  events: number;
  lost: number;
  duplicates: number;
  malformed: number;
  reconnects: number;
  reconnectsToNewInstance: number;
  droppedByCause: Record<string, number>;
  instances: Set<string>;
  timeToFirstEvent: Reservoir;
  gaps: Reservoir;
}

export interface FlowStepData {
  requests: number;
  successes: number;
  errorsByClass: Record<string, number>;
  /** Ms from the flow's intended start to the step's send. */
  startsAfter: Reservoir;
}

export interface FlowData {
  due: number;
  dropped: number;
  flows: number;
  successes: number;
  steps: Map<string, FlowStepData>;
  thinkMs: number;
}

export interface StoredRun extends RunContents {
  /** Per load stage (probe/target/stage key): p95 of each interval, for the timeline. */
  seconds: Map<string, Array<{ at: number; count: number; p50Ms: number; p95Ms: number }>>;
  /** Per load stage and latency metric (windowKey): 10-second windows; undefined when the interval log is missing. */
  windows: Map<string, LatencyWindow[]> | undefined;
  coldstart: ColdstartSample[];
  /** A sweep's requests are few (gaps × samples): kept whole. */
  idleSweep: IdleSweepSample[];
  capacity: CapacitySample[];
  load: Map<string, LoadStageData>;
  streams: Map<string, StreamData>;
  /** Per flow probe and target (streamKey). */
  flows: Map<string, FlowData>;
  /** Per target that asked for HTTP/2: its connections by what they spoke (samples of single connections; load ticks are added in the summary). */
  protocols: Map<string, Partial<Record<HttpProtocol, number>>>;
}

// JSON arrays: names may hold any character.
export const stageKey = (probe: string, target: string, stage: string) => JSON.stringify([probe, target, stage]);
export const streamKey = (probe: string, target: string) => JSON.stringify([probe, target]);

/** The 10-second windows of one stage's latency (`latency`, or `uncorrected` for a run with no intended send time). */
export const windowKey = (probe: string, target: string, stage: string, metric: 'latency' | 'uncorrected'): string =>
  `${stageKey(probe, target, stage)}|${metric}`;
