/** The HTTP side of SSE and NDJSON streams: one timed connection, the body handed over as text as it arrives. */
import type { Target } from '../scenario/schema.js';
import { classifyError, codedError, ownError, statusError } from '../model/error-class.js';
import type { SampleError } from '../model/records.js';
import { isAscii } from 'node:buffer';
import net from 'node:net';
import type { HttpRequestSpec } from '../model/request.js';
import { connectTimed, type ConnectionPhases } from './http.js';
import type { StreamEnd, StreamEvents } from './stream-tracker.js';
import { requestOverH2, type H2StreamSink } from './http2-stream.js';

export interface StreamAdapterContext {
  target: Target;
  /** The target's URL, parsed once per target. */
  url: URL;
  spec: HttpRequestSpec;
  lastEventId?: string;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  events: StreamEvents;
  /** A line, event or message longer than this ends the stream as malformed. */
  maxMessageBytes: number;
  /** WebSocket only: an application message to send every `everyMs`. */
  send?: { everyMs: number; message: string };
}

export function messageTooLarge(maxMessageBytes: number): SampleError {
  return ownError('CB_MESSAGE_TOO_LARGE', 'malformed', `a line, event or message grew past ${maxMessageBytes} bytes without ending`);
}

/** A connection being opened or read. */
export interface OpenStream {
  /** Settles once with how the connection ended; never rejects. */
  readonly ended: Promise<StreamEnd>;
  /** Closes it (the hold is over, or the run stops); `reason` becomes the end's error where one is reported. */
  stop(reason: unknown): void;
}

/** Opens one connection and reports what it carries until it ends. */
export type StreamAdapter = (context: StreamAdapterContext) => OpenStream;

/** What a protocol makes of the body text. */
export interface BodyParser {
  feed(text: string): void;
  /** The body ended properly: whatever is still buffered is the last message. */
  flush(): void;
}

/**
 * One HTTP/1.1 stream on a socket of its own, read by hand rather than through an undici
 * Client: a stream probe opens hundreds of these a second, and undici's client, request and
 * body-stream machinery per connection cost more than the loopback round trip it measures
 * (1,000 opens a second took coldbench's time to first event from 2 ms to 260 ms). The
 * errors are undici's codes, so causes read the same: no complete response framing before
 * the socket closed is UND_ERR_SOCKET (reset), silence past the timeouts UND_ERR_*_TIMEOUT.
 */
export function readHttpStream(context: StreamAdapterContext, extraHeaders: Record<string, string>, parser: BodyParser): OpenStream {
  return new HttpStreamReader(context, extraHeaders, parser);
}

const READER = Symbol('coldbench.httpStreamReader');
type ReaderSocket = net.Socket & { [READER]: HttpStreamReader };
const EMPTY = Buffer.alloc(0);

/**
 * A reader lives as long as its stream, and thousands are alive at once: its state is plain
 * fields and its socket listeners are shared functions that find it on the socket, so an
 * open stream costs no closures for the young-generation GC to copy.
 */
class HttpStreamReader implements OpenStream, H2StreamSink {
  readonly ended: Promise<StreamEnd>;
  private resolve!: (end: StreamEnd) => void;
  private socket: ReaderSocket | undefined = undefined;
  private readonly setup: ConnectionPhases = {};
  /** The response head as it arrives; undefined once it is complete. */
  private head: Buffer | undefined = EMPTY;
  private status = 0;
  private body: BodyFraming | undefined = undefined;
  /** Made only when a chunk is not plain ASCII, which most token streams never send. */
  private decoder: TextDecoder | undefined = undefined;
  private headersTimer: NodeJS.Timeout | undefined = undefined;
  private done = false;
  /** The HTTP/2 request, when the connection spoke h2. */
  private h2: { close(): void } | undefined = undefined;

  constructor(
    readonly context: StreamAdapterContext,
    private readonly extraHeaders: Record<string, string>,
    private readonly parser: BodyParser,
  ) {
    this.ended = new Promise<StreamEnd>((resolve) => (this.resolve = resolve));
    void this.open();
  }

  stop(reason: unknown): void {
    this.finish({ kind: 'error', error: classifyError(reason) });
  }

  private async open(): Promise<void> {
    const { url, target, headersTimeoutMs } = this.context;
    let socket: net.Socket;
    try {
      socket = await connectTimed(
        { hostname: url.hostname, protocol: url.protocol, port: url.port },
        { connectTimeoutMs: headersTimeoutMs, rejectUnauthorized: !target.insecureSkipTLSVerify, http2: target.http.version === 2 },
        this.setup,
      );
    } catch (error) {
      return this.finish({ kind: 'error', error: classifyError(error) });
    }
    if (this.done) {
      socket.destroy();
      return;
    }
    this.socket = Object.assign(socket, { [READER]: this });
    this.headersTimer = setTimeout(onHeadersTimeout, headersTimeoutMs, this);
    if (this.setup.protocol === 'h2') {
      this.h2 = requestOverH2(socket, url, this.context.spec, this.extraHeaders, this.context.idleTimeoutMs, this);
      return;
    }
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    // Silence after the headers: the socket's own inactivity timer, which data resets without a timer per chunk.
    socket.on('timeout', onIdle);
    const { spec } = this.context;
    socket.write(requestHead(url, spec, this.extraHeaders));
    if (spec.body !== undefined) socket.write(spec.body);
  }

  finish(end: StreamEnd): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.headersTimer);
    this.h2?.close();
    this.socket?.destroy();
    this.resolve(end);
  }

  /** The response head of an HTTP/2 stream (H2StreamSink). */
  headers(status: number, headers: Record<string, string>): void {
    if (this.done) return;
    this.status = status;
    this.context.events.opened({ status, headers, setup: this.setup });
    clearTimeout(this.headersTimer);
    this.headersTimer = undefined;
  }

  bodyData(data: Buffer): boolean {
    return !this.done && this.deliver(data);
  }

  end(): void {
    if (!this.done) this.complete();
  }

  error(error: SampleError): void {
    this.finish({ kind: 'error', error });
  }

  fail(code: string, message: string): void {
    this.finish({ kind: 'error', error: classifyError(codedError(code, message)) });
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    let data = chunk;
    if (this.head) {
      const head = this.head.length ? Buffer.concat([this.head, data]) : data;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) return this.fail('UND_ERR_HEADERS_OVERFLOW', `response headers over ${MAX_HEAD_BYTES} bytes`);
        // A chunk of the socket's is copied before it is kept; a concatenation is already ours.
        this.head = head === data ? Buffer.from(data) : head;
        return;
      }
      const parsed = parseHead(head.subarray(0, end).toString('latin1'));
      if (!parsed) return this.fail('HPE_INVALID_CONSTANT', 'not an HTTP/1.1 response');
      data = head.subarray(end + 4);
      // 1xx answers come before the real one.
      if (parsed.status < 200) {
        this.head = Buffer.from(data);
        return;
      }
      this.head = undefined;
      this.status = parsed.status;
      this.body = framing(parsed.headers);
      this.context.events.opened({ status: parsed.status, headers: parsed.headers, setup: this.setup });
      clearTimeout(this.headersTimer);
      this.headersTimer = undefined;
      this.socket!.setTimeout(this.context.idleTimeoutMs);
    }
    if (!this.body || data.length === 0) return;
    let read: ReturnType<BodyFraming['read']>;
    try {
      read = this.body.read(data);
    } catch {
      return this.fail('HPE_INVALID_CHUNK_SIZE', 'a chunk size that is not hexadecimal');
    }
    for (const piece of read.pieces) if (!this.deliver(piece)) return;
    if (read.ended) this.complete();
  }

  /** Body bytes as they arrive; returns false once the stream has ended. */
  private deliver(data: Buffer): boolean {
    if (this.context.events.bytes(data)) {
      this.finish({ kind: 'error', error: messageTooLarge(this.context.maxMessageBytes) });
      return false;
    }
    if (this.status >= 400) return true;
    if (!this.decoder && isAscii(data)) this.parser.feed(data.toString('latin1'));
    else this.parser.feed((this.decoder ??= new TextDecoder()).decode(data, { stream: true }));
    return true;
  }

  private complete(): void {
    if (this.status >= 400) return this.finish({ kind: 'error', error: statusError(this.status) });
    this.parser.flush();
    this.finish({ kind: 'closed' });
  }

  closed(): void {
    if (this.done) return;
    // A close-delimited body ends here properly; any other framing cut short is a reset.
    if (this.body?.closeDelimited) return this.complete();
    this.fail('UND_ERR_SOCKET', this.head ? 'other side closed before the response headers' : 'other side closed');
  }
}

function onData(this: ReaderSocket, chunk: Buffer): void {
  this[READER].data(chunk);
}
function onError(this: ReaderSocket, error: Error): void {
  this[READER].finish({ kind: 'error', error: classifyError(error) });
}
function onClose(this: ReaderSocket): void {
  this[READER].closed();
}
function onIdle(this: ReaderSocket): void {
  const reader = this[READER];
  reader.fail('UND_ERR_BODY_TIMEOUT', `no body bytes within ${reader.context.idleTimeoutMs}ms`);
}
function onHeadersTimeout(reader: HttpStreamReader): void {
  reader.fail('UND_ERR_HEADERS_TIMEOUT', `no response headers within ${reader.context.headersTimeoutMs}ms`);
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
  readonly closeDelimited: boolean;
}

function framing(headers: Record<string, string>): BodyFraming {
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) return new ChunkedBody();
  const length = headers['content-length'];
  return length === undefined ? CLOSE_DELIMITED : new LengthBody(Number(length));
}

/** No length and no chunking: the body is everything until the server closes. */
const CLOSE_DELIMITED: BodyFraming = { closeDelimited: true, read: (data) => ({ pieces: [data], ended: false }) };

class LengthBody implements BodyFraming {
  readonly closeDelimited = false;

  constructor(private left: number) {}

  read(data: Buffer) {
    const piece = data.subarray(0, this.left);
    this.left -= piece.length;
    return { pieces: piece.length ? [piece] : [], ended: this.left <= 0 };
  }
}

/** Transfer-Encoding: chunked, decoded incrementally: size line, data, CRLF; a zero size ends it. */
class ChunkedBody implements BodyFraming {
  readonly closeDelimited = false;
  private pending = EMPTY;
  private left = 0;
  private state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';

  read(input: Buffer) {
    let data = this.pending.length ? Buffer.concat([this.pending, input]) : input;
    this.pending = EMPTY;
    const pieces: Buffer[] = [];
    while (data.length) {
      if (this.state === 'data') {
        const piece = data.subarray(0, this.left);
        pieces.push(piece);
        this.left -= piece.length;
        data = data.subarray(piece.length);
        if (this.left === 0) this.state = 'crlf';
        continue;
      }
      const lineEnd = data.indexOf('\r\n');
      if (lineEnd < 0) {
        this.pending = Buffer.from(data);
        break;
      }
      const line = data.subarray(0, lineEnd).toString('latin1');
      data = data.subarray(lineEnd + 2);
      if (this.state === 'crlf') this.state = 'size';
      else if (this.state === 'size') {
        this.left = parseInt(line, 16);
        if (!Number.isFinite(this.left)) throw new Error('bad chunk size');
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (line === '') return { pieces, ended: true };
    }
    return { pieces, ended: false };
  }
}
