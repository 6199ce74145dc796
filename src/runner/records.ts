/** The plain records probes emit. Samples go to samples.jsonl as they are; events only to live sinks. */
import type { SampleError } from './error-class.js';
import type { Phases } from './http.js';

export type ColdState = boolean | 'unknown';

export interface InstanceIdentity {
  id?: string;
  requestCount?: number;
  uptimeMs?: number;
}

export interface ColdstartSample {
  type: 'sample';
  kind: 'coldstart';
  probe: string;
  target: string;
  round: number;
  /** `first`: the request after the trigger, on a fresh connection. `warm`: a follow-up on that connection. */
  request: 'first' | 'warm';
  followUp?: number;
  /** Epoch ms when the request was meant to go out, and when it did. */
  intendedAt: number;
  startedAt: number;
  /** From the intended start to the complete body (or the error). */
  latencyMs: number;
  /** From the intended start to the response headers. */
  ttfbMs?: number;
  phases: Phases;
  ok: boolean;
  status?: number;
  bytes: number;
  error?: SampleError;
  instance?: InstanceIdentity;
  cold: ColdState;
  coldReason: string;
}

/** One request of a load probe (open model), or one that was due but dropped at maxInFlight. */
export interface LoadSample {
  type: 'sample';
  kind: 'load';
  probe: string;
  target: string;
  stage: string;
  /** Epoch ms of the schedule slot. */
  intendedAt: number;
  /** Epoch ms when the request headers were written to the socket; absent when never written. */
  startedAt?: number;
  /** `dropped`: maxInFlight was reached when it was due; nothing was sent. */
  dropped?: true;
  /** Corrected: from the intended start to the complete response (or the error). */
  latencyMs?: number;
  /** Uncorrected: from the socket write to the complete response, as closed-model tools report. */
  uncorrectedLatencyMs?: number;
  ttfbMs?: number;
  /** Socket write − intended start: generator lag plus queueing for a connection. */
  scheduleLagMs?: number;
  ok: boolean;
  status?: number;
  bytes: number;
  error?: SampleError;
  instanceId?: string;
}

/** A closed-model max-throughput run, converted from autocannon's result. */
export interface CapacitySample {
  type: 'sample';
  kind: 'capacity';
  probe: string;
  target: string;
  startedAt: number;
  endedAt: number;
  connections: number;
  pipelining: number;
  requests: number;
  /** Responses with 2xx status. */
  successes: number;
  errors: number;
  timeouts: number;
  resets: number;
  non2xx: number;
  bytes: number;
  requestsPerSecond: number;
  /** autocannon's latency histogram (integer ms), re-encoded in µs. */
  latencyHistogram: string;
}

export type Sample = ColdstartSample | LoadSample | CapacitySample;

/** One second of one target in a load probe. */
export interface Tick {
  type: 'tick';
  probe: string;
  target: string;
  stage: string;
  /** Epoch ms of the start of the second. */
  at: number;
  second: number;
  sent: number;
  completed: number;
  errors: number;
  dropped: number;
  inFlight: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  instances: number;
}

export interface StageStarted {
  type: 'stage';
  probe: string;
  stage: string;
  /** Epoch ms. */
  at: number;
  targetRate: number;
  durationMs: number;
}

export interface ProbeAborted {
  type: 'abort';
  probe: string;
  target: string;
  at: number;
  reason: string;
}

/** Per-second series and events: written to series.jsonl. */
export type SeriesRecord = Tick | StageStarted | ProbeAborted;

export interface RoundStarted {
  type: 'round';
  probe: string;
  round: number;
  rounds: number;
}

export interface TriggerWaiting {
  type: 'trigger';
  probe: string;
  target: string;
  round: number;
  step: 'command' | 'idle' | 'waitFor';
  /** Epoch ms when the wait is expected to end, when known (idle). */
  until?: number;
}

export type ProbeEvent = RoundStarted | TriggerWaiting;
export type RunRecord = Sample | SeriesRecord | ProbeEvent;
export type Emit = (record: RunRecord) => void;
