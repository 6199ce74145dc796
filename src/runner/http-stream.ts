/** The HTTP side of SSE and NDJSON streams: one timed connection, the body handed over as text as it arrives. */
import type { Target } from '../scenario/schema.js';
import { classifyError, codedError, statusError } from './error-class.js';
import type { SampleError } from '../model/records.js';
import net from 'node:net';
import { connectTimed, setupPhases, type ConnectionPhases, type HttpRequestSpec } from './http.js';
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

/**
 * One HTTP/1.1 stream on a socket of its own, read by hand rather than through an undici
 * Client: a stream probe opens hundreds of these a second, and undici's client, request and
 * body-stream machinery per connection cost more than the loopback round trip it measures
 * (1,000 opens a second took coldbench's time to first event from 2 ms to 260 ms). The
 * errors are undici's codes, so causes read the same: no complete response framing before
 * the socket closed is UND_ERR_SOCKET (reset), silence past the timeouts UND_ERR_*_TIMEOUT.
 */
export async function readHttpStream(
  context: StreamAdapterContext,
  extraHeaders: Record<string, string>,
  feed: (text: string) => void,
  flush: () => void = () => undefined,
): Promise<StreamEnd> {
  const { target, spec, events, signal } = context;
  const url = new URL(target.url);
  const setup: ConnectionPhases = {};
  let socket: net.Socket;
  try {
    socket = await connectTimed(
      { hostname: url.hostname, protocol: url.protocol, port: url.port },
      { connectTimeoutMs: context.headersTimeoutMs, rejectUnauthorized: !target.insecureSkipTLSVerify },
      setup,
    );
  } catch (error) {
    return { kind: 'error', error: classifyError(error) };
  }
  if (signal.aborted) {
    socket.destroy();
    return { kind: 'error', error: classifyError(signal.reason) };
  }
  return new Promise<StreamEnd>((resolve) => {
    const decoder = new TextDecoder();
    let head: Buffer | undefined = Buffer.alloc(0);
    let status = 0;
    let body: BodyFraming | undefined;
    let timer: NodeJS.Timeout | undefined;
    let done = false;

    const finish = (end: StreamEnd) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(end);
    };
    const fail = (code: string, message: string) => finish({ kind: 'error', error: classifyError(codedError(code, message)) });
    // Silence after the headers: the socket's own inactivity timer, which data resets without a timer per chunk.
    socket.on('timeout', () => fail('UND_ERR_BODY_TIMEOUT', `no body bytes within ${context.idleTimeoutMs}ms`));
    const onAbort = () => finish({ kind: 'error', error: classifyError(signal.reason) });
    signal.addEventListener('abort', onAbort, { once: true });

    /** Body bytes as they arrive; returns false once the stream has ended. */
    const deliver = (data: Buffer): boolean => {
      if (events.bytes(data)) {
        finish({ kind: 'error', error: messageTooLarge(context.maxMessageBytes) });
        return false;
      }
      if (status < 400) feed(decoder.decode(data, { stream: true }));
      return true;
    };
    const complete = () => {
      if (status >= 400) return finish({ kind: 'error', error: statusError(status) });
      flush();
      finish({ kind: 'closed' });
    };

    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      let data = chunk;
      if (head) {
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD_BYTES) fail('UND_ERR_HEADERS_OVERFLOW', `response headers over ${MAX_HEAD_BYTES} bytes`);
          return;
        }
        const parsed = parseHead(head.subarray(0, end).toString('latin1'));
        if (!parsed) return fail('HPE_INVALID_CONSTANT', 'not an HTTP/1.1 response');
        data = head.subarray(end + 4);
        // 1xx answers come before the real one.
        if (parsed.status < 200) {
          head = Buffer.from(data);
          return;
        }
        head = undefined;
        status = parsed.status;
        body = framing(parsed.headers);
        events.opened({ status, headers: parsed.headers, phases: { ...setupPhases(setup), total: 0 } });
        clearTimeout(timer);
        socket.setTimeout(context.idleTimeoutMs);
      }
      if (!body || data.length === 0) return;
      let read: ReturnType<BodyFraming['read']>;
      try {
        read = body.read(data);
      } catch {
        return fail('HPE_INVALID_CHUNK_SIZE', 'a chunk size that is not hexadecimal');
      }
      for (const piece of read.pieces) if (!deliver(piece)) return;
      if (read.ended) complete();
    });
    socket.on('error', (error) => finish({ kind: 'error', error: classifyError(error) }));
    socket.on('close', () => {
      if (done) return;
      // A close-delimited body ends here properly; any other framing cut short is a reset.
      if (body?.closeDelimited) return complete();
      fail('UND_ERR_SOCKET', head ? 'other side closed before the response headers' : 'other side closed');
    });

    timer = setTimeout(() => fail('UND_ERR_HEADERS_TIMEOUT', `no response headers within ${context.headersTimeoutMs}ms`), context.headersTimeoutMs);
    socket.write(requestHead(url, spec, extraHeaders));
    if (spec.body !== undefined) socket.write(spec.body);
  });
}

const MAX_HEAD_BYTES = 64 * 1024;

function requestHead(url: URL, spec: HttpRequestSpec, extraHeaders: Record<string, string>): string {
  const headers: Record<string, string> = { host: url.host, ...spec.headers, ...extraHeaders };
  if (spec.body !== undefined) headers['content-length'] = String(Buffer.byteLength(spec.body));
  let text = `${spec.method} ${spec.path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  return text + '\r\n';
}

function parseHead(text: string): { status: number; headers: Record<string, string> } | undefined {
  const [statusLine, ...lines] = text.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!match) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), headers };
}

interface BodyFraming {
  /** Splits what arrived into body pieces; `ended` once the framing says the body is complete. */
  read(data: Buffer): { pieces: Buffer[]; ended: boolean };
  closeDelimited: boolean;
}

function framing(headers: Record<string, string>): BodyFraming {
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) return chunked();
  const length = headers['content-length'];
  if (length !== undefined) {
    let left = Number(length);
    return {
      closeDelimited: false,
      read(data) {
        const piece = data.subarray(0, left);
        left -= piece.length;
        return { pieces: piece.length ? [piece] : [], ended: left <= 0 };
      },
    };
  }
  return { closeDelimited: true, read: (data) => ({ pieces: [data], ended: false }) };
}

/** Transfer-Encoding: chunked, decoded incrementally: size line, data, CRLF; a zero size ends it. */
function chunked(): BodyFraming {
  let pending = Buffer.alloc(0);
  let left = 0;
  let state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  return {
    closeDelimited: false,
    read(input) {
      let data = pending.length ? Buffer.concat([pending, input]) : input;
      pending = Buffer.alloc(0);
      const pieces: Buffer[] = [];
      while (data.length) {
        if (state === 'data') {
          const piece = data.subarray(0, left);
          pieces.push(piece);
          left -= piece.length;
          data = data.subarray(piece.length);
          if (left === 0) state = 'crlf';
          continue;
        }
        const lineEnd = data.indexOf('\r\n');
        if (lineEnd < 0) {
          pending = Buffer.from(data);
          break;
        }
        const line = data.subarray(0, lineEnd).toString('latin1');
        data = data.subarray(lineEnd + 2);
        if (state === 'crlf') state = 'size';
        else if (state === 'size') {
          left = parseInt(line, 16);
          if (!Number.isFinite(left)) throw new Error('bad chunk size');
          state = left === 0 ? 'trailer' : 'data';
        } else if (line === '') return { pieces, ended: true };
      }
      return { pieces, ended: false };
    },
  };
}
