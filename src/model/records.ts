/**
 * The plain records probes emit, and every room reads: the contract of the run directory.
 * Samples go to samples.jsonl as they are; series records to series.jsonl; events only to
 * live sinks.
 */

import type { ProbeKind } from './probe-kinds.js';

export type ErrorClass =
  | 'refused'
  | 'dns'
  | 'timeout'
  | 'reset'
  | 'tls'
  | 'aborted'
  | 'trigger'
  | 'status-429'
  | 'status-5xx'
  | 'status-other'
  | 'malformed'
  /** A flow step's extract found no value. */
  | 'extract'
  /** A flow step's check failed on a response that was otherwise a success. */
  | 'check'
  /** A flow script threw (its message and line are the error's). */
  | 'script'
  | 'other';

export interface SampleError {
  /** The OS or library code as thrown (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, …) or one of coldbench's own. */
  code: string;
  class: ErrorClass;
  message: string;
}

/** Ms from the request start; absent when the phase did not happen (a reused connection). */
export interface Phases {
  dns?: number;
  connect?: number;
  tls?: number;
  sent?: number;
  ttfb?: number;
  total: number;
}

export type ColdState = boolean | 'unknown';

/** The HTTP a connection spoke, as ALPN (or HTTP/2 prior knowledge) settled it. */
export type HttpProtocol = 'h2' | 'http/1.1';

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
  /** The target's lane (a copy of the service) this round sampled, when it has lanes. */
  lane?: number;
  /** Set on the sample that got its lane left out (it shares instances with another lane, or never answered): that sample and, for a lane that never answered, its failures before it are not counted. */
  laneDropped?: string;
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
  /** The address the fresh connection reached (after DNS): where a round landed. */
  remoteAddress?: string;
  /** A target that asked for HTTP/2: what its connection spoke (http/1.1 is a fallback). */
  httpProtocol?: HttpProtocol;
  ok: boolean;
  status?: number;
  bytes: number;
  error?: SampleError;
  instance?: InstanceIdentity;
  cold: ColdState;
  coldReason: string;
  /** A probe with steps: the whole journey, from this (its first) request's intended start to the end of its last step; absent when a step failed. */
  journeyMs?: number;
  /** A probe with steps: the error of the step that ended the journey early (the first request's own is `error`). */
  journeyError?: SampleError;
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
  /** autocannon's latency histogram (integer ms), re-encoded in µs; absent in an import of autocannon's JSON result, which keeps none. */
  latencyHistogram?: string;
  /** autocannon's own latency percentiles (ms), from an imported JSON result: all there is of its latency then. */
  reportedLatencyMs?: ReportedPercentiles;
}

/** Percentiles a tool reported of its own samples, which coldbench never saw: autocannon's JSON result keeps these and no histogram. */
export interface ReportedPercentiles {
  count: number;
  mean: number;
  max: number;
  p50: number;
  p75: number;
  p90: number;
  p97_5: number;
  p99: number;
  p99_9: number;
}

/**
 * One step of a flow (a scripted user journey), or the whole flow (`step` absent), written
 * when it ends. Latency counts from the flow's intended start plus the think time planned
 * before the step, so a stalled step shows in every later step (open model, no coordinated
 * omission); `uncorrectedLatencyMs` is the step's own request, from its send.
 */
export interface FlowSample {
  type: 'sample';
  kind: 'flow';
  probe: string;
  target: string;
  stage: string;
  /** The flow's number in the whole schedule. */
  flow: number;
  /** The step's name; absent for the whole flow. */
  step?: string;
  /** Epoch ms of the flow's schedule slot. */
  intendedAt: number;
  /** Epoch ms the step's request was sent (the flow's first request for the whole flow). */
  startedAt?: number;
  /** Corrected, think time excluded: see above. For the whole flow, its last step's. */
  latencyMs?: number;
  uncorrectedLatencyMs?: number;
  /** From the step's corrected start to its response headers. */
  ttfbMs?: number;
  /** Think time spent before this step (the whole flow: all of it). */
  thinkMs?: number;
  ok: boolean;
  status?: number;
  bytes: number;
  /** `dropped`: maxInFlight flows were running when it was due; nothing was sent. */
  dropped?: true;
  /** The whole flow, on a target that asked for HTTP/2: what its connection spoke. */
  httpProtocol?: HttpProtocol;
  error?: SampleError;
  instanceId?: string;
}

/**
 * One connection of a held stream, written when it ends. A dropped stream that reconnects
 * continues as the next `attempt` of the same `stream`. A connection held longer than the
 * probe's `checkpoint` period also wrote StreamCheckpoints while open: its counts here are
 * still the whole connection's, but `gapsMs` holds only the gaps since the last checkpoint.
 */
export interface StreamSample {
  type: 'sample';
  kind: 'stream';
  probe: string;
  target: string;
  protocol: 'sse' | 'ndjson' | 'websocket';
  stream: number;
  attempt: number;
  /** Epoch ms the connection was due (the open schedule, or the reconnect) and opened. */
  intendedAt: number;
  startedAt: number;
  /** TCP connect (with DNS and TLS separately for HTTP streams); the WebSocket handshake for websocket. */
  connectMs?: number;
  /** A target that asked for HTTP/2: what this connection spoke. */
  httpProtocol?: HttpProtocol;
  dnsMs?: number;
  tlsMs?: number;
  /** From the start to the response headers (the 101 for websocket). */
  ttfbMs?: number;
  /** From the start to the first event or message: what a user waits for. */
  timeToFirstEventMs?: number;
  events: number;
  bytes: number;
  /** Messages skipped by the sequence (a sequence field or numeric SSE ids). */
  lost: number;
  duplicates: number;
  /** Every gap between consecutive events, ms; the first one after a reconnect spans the outage. */
  gapsMs: number[];
  /** From the start to the end of this connection. */
  endedAfterMs: number;
  /** alive: held to the end of the hold; completed: the server ended it properly; interrupted: the run stopped. */
  outcome: 'alive' | 'completed' | 'dropped' | 'interrupted';
  /** Why it dropped: closed-early, reset, timeout, refused, status-5xx, ws-close-1011, … */
  cause?: string;
  error?: SampleError;
  status?: number;
  /** Malformed lines or fields seen (bad retry, invalid JSON); the stream may go on. */
  malformed: number;
  /** The first bytes received, kept when something looked wrong. */
  evidence?: string;
  instanceId?: string;
  lastEventId?: string;
  /** attempt > 0: from the drop to the first event on this connection. */
  reconnectMs?: number;
  /** attempt > 0: the reconnect reached another instance than the dropped connection. */
  newInstance?: boolean;
  /** Checkpoints this connection wrote before it ended. */
  checkpoints?: number;
  /** Its opening figures (connect, ttfb, first event, reconnect) went into the histograms with a checkpoint. */
  openingCheckpointed?: true;
}

/**
 * Progress of one open stream connection, written every `checkpoint` period of the probe,
 * so that a crash keeps what was measured. Counts are the connection's so far; `gapsMs`
 * holds the gaps since the previous checkpoint. The opening figures are carried once, by
 * the first checkpoint after the first event.
 */
export interface StreamCheckpoint extends Pick<
  StreamSample,
  | 'probe'
  | 'target'
  | 'protocol'
  | 'stream'
  | 'attempt'
  | 'intendedAt'
  | 'startedAt'
  | 'connectMs'
  | 'dnsMs'
  | 'tlsMs'
  | 'ttfbMs'
  | 'timeToFirstEventMs'
  | 'reconnectMs'
  | 'events'
  | 'bytes'
  | 'lost'
  | 'duplicates'
  | 'malformed'
  | 'gapsMs'
  | 'status'
  | 'instanceId'
  | 'newInstance'
  | 'lastEventId'
> {
  type: 'checkpoint';
  /** 1 for the connection's first checkpoint. */
  checkpoint: number;
  /** Epoch ms. */
  at: number;
}

/** The target name under which coldbench's own client measurements are stored (scenario targets start with a letter). */
export const CLIENT_TARGET = '@coldbench';

/**
 * One request of an idle sweep: sent after exactly `gapMs` of quiet on its lane (no request to
 * it since the end of the previous one), on a fresh connection, and classified cold or warm.
 */
export interface IdleSweepSample {
  type: 'sample';
  kind: 'idleSweep';
  probe: string;
  target: string;
  lane?: number;
  /** The quiet time asked for. */
  gapMs: number;
  /** The quiet time it got: from the end of the lane's previous request to this one's send. */
  quietMs: number;
  /** Epoch ms the request was due (the previous end plus the gap), and when it went. */
  intendedAt: number;
  startedAt: number;
  /** From the intended start to the complete body (or the error). */
  latencyMs: number;
  ttfbMs?: number;
  ok: boolean;
  status?: number;
  bytes: number;
  error?: SampleError;
  instance?: InstanceIdentity;
  cold: ColdState;
  coldReason: string;
}

export type Sample = ColdstartSample | LoadSample | CapacitySample | StreamSample | FlowSample | IdleSweepSample;

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
  instances: number;
  /** A target that asked for HTTP/2: connections opened in the second, by what they spoke. */
  httpProtocols?: Partial<Record<HttpProtocol, number>>;
}

export interface StageStarted {
  type: 'stage';
  probe: string;
  stage: string;
  /** Epoch ms. */
  at: number;
  targetRate: number;
  durationMs: number;
  /** A capacity search's step: the rate is this target's own (each target searches on its own). */
  target?: string;
  /** A capacity search's warm-up before a step, at its rate: never judged. */
  warmUp?: true;
}

export interface ProbeAborted {
  type: 'abort';
  probe: string;
  target: string;
  at: number;
  reason: string;
}

/** One second of one target in a stream probe. */
export interface StreamTick {
  type: 'stream-tick';
  probe: string;
  target: string;
  at: number;
  second: number;
  /** Streams open at the end of the second. */
  open: number;
  opened: number;
  events: number;
  drops: number;
}

/** coldbench's own event-loop delay over at most a second of one probe or stage (runner/client-delay.ts). */
export interface ClientTick {
  type: 'client';
  probe: string;
  /** A load stage's name, else the probe's kind. */
  stage: string;
  startedAt: number;
  endedAt: number;
  /** How late a 10 ms timer ran, µs, HDR encoded, corrected for samples a stall swallowed. */
  loopDelayHistogram: string;
  /** Ms of the window that writes to the run directory held the loop (store/write-stalls.ts); written by the run directory, absent when none. */
  writeStallMs?: number;
}

export type Comparison = '<' | '<=' | '>' | '>=';
export interface Limit {
  op: Comparison;
  value: number;
}
/** SLO limits by name (successRate, p95, survival, gapP99, …); rates are shares, latencies ms. */
export type SloLimits = Partial<Record<string, Limit>>;

/** A load stage with its place in the probe's timeline and its start and end rates. */
export interface StagePlan {
  name: string;
  offsetMs: number;
  durationMs: number;
  fromRate: number;
  toRate: number;
  /** Mean arrival rate over the stage, requests per second. */
  targetRate: number;
}

/** How a capacity search raises and narrows the rate; rates in requests per second per target. */
export interface CapacitySearchPlan {
  fromRate: number;
  maxRate: number;
  /** Each step multiplies the rate by this until a step breaks; then the search bisects. */
  growth: number;
  /** The search ends when the broken rate is within this share above the held one. */
  precision: number;
  stepMs: number;
  /** Each step is preceded by this long at its rate, not judged: instances start, caches fill. */
  warmUpMs: number;
  /** Quiet time between steps, so one step's backlog is not the next one's. */
  pauseMs: number;
  /** No step starts that would end after this, from the first step's start. */
  budgetMs: number;
}

/**
 * What a probe set out to measure, written for every probe before the first one runs: the
 * analysis reads probes, targets, stages and SLOs from these, never from the scenario text,
 * so a run directory that an import or a merge wrote analyses the same.
 */
export interface ProbeDeclared {
  type: 'probe';
  probe: string;
  kind: ProbeKind;
  targets: string[];
  /** Load probes: the stages in order. */
  stages?: StagePlan[];
  slo?: SloLimits;
  /** Flow probes: the steps in order, with their own SLOs; a cold-start probe's journey. */
  steps?: Array<{ name: string; slo?: SloLimits }>;
  /** Idle sweeps: the gaps, in ms, in the order asked. */
  gapsMs?: number[];
  /** A load probe that searches for the highest rate its SLO holds at (its stages are the steps it took). */
  search?: CapacitySearchPlan;
  /** Stream probes. */
  protocol?: 'sse' | 'ndjson' | 'websocket';
  holdMs?: number;
}

/** Per-second series and events: written to series.jsonl. */
export type SeriesRecord = ProbeDeclared | Tick | StageStarted | ProbeAborted | StreamTick | ClientTick;

/**
 * One interval (at most a second, aligned to epoch seconds) of one histogram: what the
 * interval log (intervals.hlog) holds a line of. Merging runners adds these per second.
 */
export interface IntervalRecord {
  type: 'interval';
  target: string;
  probe: string;
  stage: string;
  metric: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  count: number;
  maxUs: number;
  /** µs, HDR compressed base64 (V2). */
  histogram: string;
}

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
/** What samples.jsonl holds. */
export type StoredSample = Sample | StreamCheckpoint;
/** A line of samples.jsonl or series.jsonl: what schema/records.schema.json describes. */
export type StoredRecord = StoredSample | SeriesRecord;
export type RunRecord = StoredSample | SeriesRecord | IntervalRecord | ProbeEvent;
export type Emit = (record: RunRecord) => void;
