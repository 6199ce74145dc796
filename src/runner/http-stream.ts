/** The HTTP side of SSE and NDJSON streams: one timed connection, the body handed over as text as it arrives. */
import type { Target } from '../scenario/schema.js';
import { classifyError, statusError } from './error-class.js';
import type { SampleError } from '../model/records.js';
import { openConnection, type HttpRequestSpec } from './http.js';
import type { StreamEnd, StreamEvents } from './stream-tracker.js';

export interface StreamAdapterContext {
  target: Target;
  spec: HttpRequestSpec;
  lastEventId?: string;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** Aborted at the end of the hold, or when the run stops. */
  signal: AbortSignal;
  events: StreamEvents;
  /** A line, event or message longer than this ends the stream as malformed. */
  maxMessageBytes: number;
  /** WebSocket only: an application message to send every `everyMs`. */
  send?: { everyMs: number; message: string };
}

export function messageTooLarge(maxMessageBytes: number): SampleError {
  return { code: 'CB_MESSAGE_TOO_LARGE', class: 'malformed', message: `a line, event or message grew past ${maxMessageBytes} bytes without ending` };
}

/** Opens one connection and reports what it carries until it ends; never throws. */
export type StreamAdapter = (context: StreamAdapterContext) => Promise<StreamEnd>;

export async function readHttpStream(
  context: StreamAdapterContext,
  extraHeaders: Record<string, string>,
  feed: (text: string) => void,
  flush: () => void = () => undefined,
): Promise<StreamEnd> {
  const { target, spec, events } = context;
  const connection = openConnection(target.url, { connectTimeoutMs: context.headersTimeoutMs, rejectUnauthorized: !target.insecureSkipTLSVerify });
  try {
    const response = await connection.stream(
      { ...spec, headers: { ...spec.headers, ...extraHeaders } },
      { headersTimeoutMs: context.headersTimeoutMs, idleTimeoutMs: context.idleTimeoutMs, signal: context.signal },
    );
    events.opened(response);
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      if (events.bytes(chunk)) return { kind: 'error', error: messageTooLarge(context.maxMessageBytes) };
      if (response.status < 400) feed(decoder.decode(chunk, { stream: true }));
    }
    if (response.status >= 400) return { kind: 'error', error: statusError(response.status) };
    flush();
    return { kind: 'closed' };
  } catch (error) {
    return { kind: 'error', error: classifyError(error) };
  } finally {
    await connection.close();
  }
}
