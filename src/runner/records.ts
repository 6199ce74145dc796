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

export type Sample = ColdstartSample;

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
export type RunRecord = Sample | ProbeEvent;
export type Emit = (record: RunRecord) => void;
