/**
 * What a TypeScript (or JavaScript) flow script sees: `export default async function (ctx:
 * FlowContext)`. Published with the package (`import type { FlowContext } from 'coldbench'`).
 * The clients are coldbench's instrumented ones: the same timings, error classes and
 * redaction as a YAML flow's steps.
 */

export interface FlowRequest {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** Under the target's URL (its base path and query are kept), e.g. `/api/conversations`. */
  path: string;
  headers?: Record<string, string>;
  /** A string as is; anything else as JSON (with `content-type: application/json`). */
  body?: unknown;
}

export interface FlowResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  json<T = unknown>(): T;
}

export interface FlowEvent {
  event?: string;
  data: string;
  id?: string;
}

export interface FlowStreamResponse extends FlowResponse {
  /** Every event of the stream, read to its end (SSE events, or NDJSON lines as `data`). */
  events: FlowEvent[];
}

export interface FlowWebSocketRequest {
  /** Under the target's URL; the scheme becomes ws: or wss:. */
  path: string;
  headers?: Record<string, string>;
  /** Sent in order once the socket is open. */
  send?: string[];
  /** The exchange ends at the first message containing this text; without it, when the server closes. */
  until?: string;
}

export interface FlowWebSocketResponse {
  /** 101 once upgraded; the refusal's status otherwise. */
  status: number;
  headers: Record<string, string>;
  /** Every message received, in order. */
  messages: string[];
}

export interface FlowContext {
  /** The scenario's vars and this flow's data row; a script may add its own. */
  vars: Record<string, string>;
  /** This flow's data row, when the probe has a data file. */
  data: Readonly<Record<string, string>> | undefined;
  /** The flow's number in the schedule (per target). */
  flow: number;
  target: string;
  /** Ends when the probe ends: a script that loops should stop when it is aborted. */
  signal: AbortSignal;
  /** One request; a failed connection or a timeout throws, a status of 400 or more does not. */
  http(request: FlowRequest): Promise<FlowResponse>;
  /** A streamed request read to its end. */
  sse(request: FlowRequest): Promise<FlowStreamResponse>;
  ndjson(request: FlowRequest): Promise<FlowStreamResponse>;
  /** A WebSocket exchange on a socket of its own: open, send, read until. */
  ws(request: FlowWebSocketRequest): Promise<FlowWebSocketResponse>;
  /** Times `fn` as a named step: its latency from the flow's intended start, its errors by class. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Fails the current step (error class `check`) unless `condition` holds. */
  check(condition: unknown, message: string): asserts condition;
  /** A pause that is not counted in the flow's latency (a user reading). */
  think(ms: number): Promise<void>;
}

export type FlowScript = (ctx: FlowContext) => Promise<void>;

/** A script as coldbench loaded it, and its file (for the line of its errors). */
export interface LoadedFlowScript {
  file: string;
  run: FlowScript;
}
