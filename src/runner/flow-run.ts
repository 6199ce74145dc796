/**
 * A running flow as its body (YAML steps, or a script) drives it: the seam between the
 * probes that run flows (flow.ts, and the cold-start and stream probes' steps) and the
 * bodies (the YAML steps here, a script in flow-script.ts).
 */
import type { HttpProtocol, SampleError } from '../model/records.js';
import type { DataRow } from '../scenario/flow-data.js';
import { buildRequest } from '../scenario/request.js';
import type { FlowStep, RequestSpec, Target } from '../scenario/schema.js';
import { checkResponse, drawThink, extractValues, resolveRequest, type StepResponse } from './flow-step.js';
import type { Connection, TimedResult } from './http.js';
import { websocketStep, type WebSocketExchange, type WebSocketStepResult } from './websocket-step.js';
import { substitute } from '../scenario/interpolate.js';

/** Body kept per step for checks and extracts; a longer body is read to its end and counted, not kept. */
export const KEPT_BODY_BYTES = 4 * 1024 * 1024;

/** A step's request and response as the flow records them; monotonic ms. */
export interface StepOutcome {
  startedAt: number;
  endedAt: number;
  ttfbAt?: number;
  status?: number;
  bytes: number;
  instanceId?: string;
  error?: SampleError;
}

/** One running flow, as its body (YAML steps or a script) drives it. */
export interface FlowRun {
  readonly flow: number;
  readonly target: string;
  readonly row: DataRow | undefined;
  /** The scenario's vars, the data row, then what steps extracted. */
  readonly values: Record<string, string>;
  /** Aborted when the probe ends or the run is interrupted. */
  readonly signal: AbortSignal;
  /** Once the flow is stopped, what it records for the step that was running (a timeout at the probe's end, or the interrupt). */
  stopped(): SampleError | undefined;
  /** Think time drawn so far: a step is due at the flow's intended start plus this. */
  readonly thinkMs: number;
  dueNow(): number;
  /** One request on the flow's connection, its body kept for checks and extracts. */
  send(request: RequestSpec, stream?: 'sse' | 'ndjson'): Promise<TimedResult & { instanceId?: string }>;
  /** A WebSocket exchange on a socket of its own: the messages received are its body. */
  websocket(request: RequestSpec, exchange: WebSocketExchange): Promise<WebSocketStepResult & { instanceId?: string }>;
  /** Writes a step's sample; its error, if any, is the step's. */
  record(step: string, due: number, outcome: StepOutcome): void;
  think(ms: number): Promise<void>;
}

/** Runs a flow to its end; returns the error that ended it early, if any. */
export type FlowBody = (run: FlowRun) => Promise<SampleError | undefined>;

/** What a flow run was given; `onStep` writes a step's record, `thinkMs` the think time drawn before it. */
export interface FlowRunOptions {
  flow: number;
  targetName: string;
  target: Target;
  connection: Connection;
  row: DataRow | undefined;
  values: Record<string, string>;
  /** Monotonic ms: when the flow was due to start. */
  intendedAt: number;
  stepTimeoutMs: number;
  signal: AbortSignal;
  /** What a step that failed because the flow was stopped records, instead of the client's abort. */
  stopped(): SampleError | undefined;
  onStep(step: string, due: number, outcome: StepOutcome, thinkMs: number): void;
  /** Every response as the connection measured it (the cold-start probe reads its first request's). */
  onResponse?(result: TimedResult): void;
}

/** A flow run and what it measured so far, for the record of the whole flow. */
export interface FlowRunTotals {
  firstSentAt: number | undefined;
  /** The end of the step that ended last, and when that step was due: the whole flow's latency is the span. */
  endedAt: number;
  lastDue: number;
  bytes: number;
  protocol: HttpProtocol | undefined;
  thinkMs: number;
}

/** Runs a flow's requests on one connection (a user's own), keeping the totals the whole flow records. */
export function startFlowRun(options: FlowRunOptions): { run: FlowRun; totals: FlowRunTotals } {
  const { connection, target, intendedAt, signal, stopped } = options;
  const instanceHeader = target.identity.instanceIdHeader.toLowerCase();
  const totals: FlowRunTotals = { firstSentAt: undefined, endedAt: intendedAt, lastDue: intendedAt, bytes: 0, protocol: undefined, thinkMs: 0 };
  /** Every request's response counts toward the whole flow's figures. */
  const measured = <R extends TimedResult>(result: R): R & { instanceId?: string } => {
    totals.firstSentAt ??= result.startedAt;
    totals.protocol ??= result.protocol;
    totals.lastDue = intendedAt + totals.thinkMs;
    totals.endedAt = result.startedAt + result.phases.total;
    totals.bytes += result.bytes;
    options.onResponse?.(result);
    const instanceId = result.headers[instanceHeader];
    return { ...result, ...(result.error && stopped() && { error: stopped() }), ...(instanceId !== undefined && { instanceId }) };
  };
  const run: FlowRun = {
    flow: options.flow,
    target: options.targetName,
    row: options.row,
    values: options.values,
    signal,
    stopped,
    get thinkMs() {
      return totals.thinkMs;
    },
    dueNow: () => intendedAt + totals.thinkMs,
    async send(request, stream) {
      const spec = buildRequest(request, target);
      if (stream === 'sse') spec.headers = { accept: 'text/event-stream', ...spec.headers };
      return measured(await connection.request(spec, { timeoutMs: options.stepTimeoutMs, signal, keepBodyBytes: KEPT_BODY_BYTES }));
    },
    async websocket(request, exchange) {
      const spec = buildRequest(request, target);
      return measured(await websocketStep(spec, target, exchange, { timeoutMs: options.stepTimeoutMs, signal, keepBodyBytes: KEPT_BODY_BYTES }));
    },

    record(step, due, outcome) {
      if (outcome.endedAt >= totals.endedAt) [totals.endedAt, totals.lastDue] = [outcome.endedAt, due];
      options.onStep(step, due, outcome, totals.thinkMs);
    },
    async think(ms) {
      await pause(ms, signal);
      totals.thinkMs += ms;
    },
  };
  return { run, totals };
}

/** The YAML steps as a flow body: each step's request, checks, extracts and think time, in order. */
export function yamlSteps(steps: readonly FlowStep[]): FlowBody {
  return async (run) => {
    for (const step of steps) {
      const due = run.dueNow();
      const request = resolveRequest(step.request, run.values);
      const result =
        step.stream === 'websocket'
          ? await run.websocket(request, {
              send: (step.send ?? []).map((message) => substitute(message, run.values)),
              ...(step.until !== undefined && { until: step.until }),
            })
          : await run.send(request, step.stream);
      const response: StepResponse = {
        status: result.status,
        headers: result.headers,
        body: result.body,
        truncated: result.bytes > KEPT_BODY_BYTES,
        ...('messages' in result && { messages: result.messages as string[] }),
      };
      const error = result.error ?? checkResponse(step, response) ?? extractValues(step, response, run.values);
      run.record(step.name, due, {
        startedAt: result.startedAt,
        endedAt: result.startedAt + result.phases.total,
        ...(result.phases.ttfb !== undefined && { ttfbAt: result.startedAt + result.phases.ttfb }),
        ...(result.status !== undefined && { status: result.status }),
        bytes: result.bytes,
        ...(result.instanceId !== undefined && { instanceId: result.instanceId }),
        ...(error && { error }),
      });
      if (error) return { ...error, message: `step ${step.name}: ${error.message}` };
      // The drawn pause, not the one the timer gave: a late timer is the client's delay and shows in the next step.
      if (step.think && step !== steps.at(-1)) await run.think(drawThink(step.think, Math.random));
    }
    return undefined;
  };
}

/** Waits `ms` unless the flow is stopped first (then throws). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
