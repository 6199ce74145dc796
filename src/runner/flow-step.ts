/**
 * What a flow step does with its response: checks (status, body, JSON values), extracts
 * (JSON body, header, the last stream event) into the flow's variables, and the request with
 * the variables substituted. Pure functions over a response, so the errors a user sees are
 * tested without a server.
 */
import { ownError, statusError } from '../model/error-class.js';
import type { SampleError } from '../model/records.js';
import { substitute } from '../scenario/interpolate.js';
import type { ExtractSpec, FlowStep, RequestSpec, ThinkTime } from '../scenario/schema.js';
import { NdjsonParser } from './ndjson.js';
import { SseParser } from './sse.js';
import type { StreamMessage } from './stream-tracker.js';

export interface StepResponse {
  status?: number;
  headers: Record<string, string>;
  body?: string;
  /** The body was longer than what was kept. */
  truncated: boolean;
  /** A WebSocket step's messages, in order: its events. */
  messages?: string[];
}

/** The step's request with `${…}` filled in: path, header values and every string in a JSON body. */
export function resolveRequest(request: RequestSpec, values: Readonly<Record<string, string>>): RequestSpec {
  const fill = (value: unknown): unknown =>
    typeof value === 'string'
      ? substitute(value, values)
      : Array.isArray(value)
        ? value.map(fill)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item)]))
          : value;
  return {
    method: request.method,
    path: substitute(request.path, values),
    ...(request.headers && { headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, substitute(value, values)])) }),
    ...(request.body !== undefined && { body: fill(request.body) as RequestSpec['body'] }),
  };
}

/** The first check the response fails, or undefined. Without `check.status`, a status of 400 or more fails. */
export function checkResponse(step: FlowStep, response: StepResponse): SampleError | undefined {
  const status = response.status ?? 0;
  const expected = step.check?.status === undefined ? undefined : [step.check.status].flat();
  if (!expected && status >= 400) return statusError(status);
  if (expected && !expected.includes(status)) {
    return status >= 400 ? statusError(status) : ownError('CB_CHECK_FAILED', 'check', `status ${status}, expected ${expected.join(' or ')}`);
  }
  const { bodyContains, json } = step.check ?? {};
  if (bodyContains !== undefined && !(response.body ?? '').includes(bodyContains)) {
    return ownError('CB_CHECK_FAILED', 'check', `the body does not contain ${JSON.stringify(bodyContains)}${truncatedNote(response)}`);
  }
  if (json) {
    const parsed = parseJsonBody(response);
    if ('error' in parsed) return ownError('CB_CHECK_FAILED', 'check', `json check: ${parsed.error}`);
    for (const [path, want] of Object.entries(json)) {
      const got = jsonPathValue(parsed.value, path);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        return ownError('CB_CHECK_FAILED', 'check', `${path} is ${got === undefined ? 'missing' : JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      }
    }
  }
  return undefined;
}

/** Every extract of the step into `values`; the first that finds nothing is the step's error (class `extract`). */
export function extractValues(step: FlowStep, response: StepResponse, values: Record<string, string>): SampleError | undefined {
  for (const [name, spec] of Object.entries(step.extract ?? {})) {
    const found = extractOne(spec, response, step.stream);
    if ('error' in found) return ownError('CB_EXTRACT_FAILED', 'extract', `${name}: ${found.error}`);
    values[name] = typeof found.value === 'string' ? found.value : JSON.stringify(found.value);
  }
  return undefined;
}

function extractOne(spec: ExtractSpec, response: StepResponse, stream: FlowStep['stream']): { value: unknown } | { error: string } {
  if (spec.from === 'header') {
    const value = response.headers[spec.name];
    return value === undefined ? { error: `no ${spec.name} header in the response` } : { value };
  }
  if (spec.from === 'json') {
    const parsed = parseJsonBody(response);
    if ('error' in parsed) return parsed;
    const value = jsonPathValue(parsed.value, spec.path);
    return value === undefined || value === null ? { error: `${spec.path} not found in the JSON body${truncatedNote(response)}` } : { value };
  }
  const events =
    stream === 'websocket' ? (response.messages ?? []).map((data): StreamMessage => ({ data })) : streamMessages(response.body ?? '', stream ?? 'sse');
  const matching = spec.event === undefined ? events : events.filter((event) => event.event === spec.event);
  const event = matching.at(-1);
  const which = spec.event === undefined ? 'no event' : `no "${spec.event}" event`;
  if (!event) return { error: `${which} in the stream (${events.length} events)${truncatedNote(response)}` };
  if (spec.path === undefined) return { value: event.data };
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return { error: `the event's data is not JSON: ${JSON.stringify(event.data.slice(0, 80))}` };
  }
  const value = jsonPathValue(data, spec.path);
  return value === undefined || value === null ? { error: `${spec.path} not found in the event's data` } : { value };
}

function parseJsonBody(response: StepResponse): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(response.body ?? '') };
  } catch {
    const type = response.headers['content-type'] ?? 'none';
    return { error: `the body is not JSON (content-type ${type}${response.truncated ? ', and longer than what is kept' : ''})` };
  }
}

const truncatedNote = (response: StepResponse) => (response.truncated ? ' (the body is longer than what is kept)' : '');

/** `$.a.b[0].c`: the subset of JSONPath a scenario may write (schema.ts JSON_PATH). */
export function jsonPathValue(value: unknown, path: string): unknown {
  let current = value;
  for (const [, key, index] of path.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = index !== undefined ? (Array.isArray(current) ? current[Number(index)] : undefined) : (current as Record<string, unknown>)[key!];
  }
  return current;
}

/** The events of a whole stream body, parsed by the stream probe's own parsers. */
export function streamMessages(body: string, format: 'sse' | 'ndjson'): StreamMessage[] {
  const messages: StreamMessage[] = [];
  const events = { opened() {}, message: (message: StreamMessage) => void messages.push(message), bytes: () => false, malformed() {}, retry() {} };
  const parser = format === 'sse' ? new SseParser(events) : new NdjsonParser(events);
  parser.feed(body);
  parser.flush();
  return messages;
}

/** Exponential draws stop at this many means: an unbounded pause would outlive any stage. */
const EXPONENTIAL_CAP = 10;

/** One draw of a think time, ms; `random` in [0, 1). */
export function drawThink(think: ThinkTime, random: () => number): number {
  if (think.kind === 'fixed') return think.ms;
  if (think.kind === 'uniform') return think.minMs + random() * (think.maxMs - think.minMs);
  return Math.min(-think.meanMs * Math.log(1 - random()), EXPONENTIAL_CAP * think.meanMs);
}

/** The longest a think time can take, ms. */
export function longestThink(think: ThinkTime | undefined): number {
  if (!think) return 0;
  return think.kind === 'fixed' ? think.ms : think.kind === 'uniform' ? think.maxMs : EXPONENTIAL_CAP * think.meanMs;
}
