/**
 * One kept-alive HTTP/1.1 socket of the lean client (runner/fixed-request-pool.ts), with at
 * most one request on it, and the reading of its response's framing from the socket's
 * buffers: the status line, the four headers that decide the framing (Content-Length,
 * Transfer-Encoding, Connection, Keep-Alive) and the instance header, then a body by
 * length, by chunks or until the close, counted and never kept.
 */
import type { Socket } from 'node:net';
import { classifyError, codedError, statusError } from '../model/error-class.js';
import type { SampleError } from '../model/records.js';
import { now, timedOut } from './http.js';
import type { PooledResult } from './http-pool.js';

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n');
/** A response head longer than this is not HTTP a load test expects (undici's default is 16 KiB too). */
const MAX_HEAD_BYTES = 16 * 1024;
/** An idle socket is retired this long before the server's announced keep-alive timeout, as undici does. */
const KEEP_ALIVE_MARGIN_MS = 1000;

const enum Body {
  None,
  Length,
  Chunked,
  UntilClose,
}
const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailers,
}

/** What the pool's connections share: the request, the queue, the idle list. */
export interface PoolState {
  request: Buffer;
  isHead: boolean;
  instanceHeader: Buffer;
  onDone(result: PooledResult): void;
  /** Idle connections, the most recently used last: the busiest few stay warm, the rest idle out. */
  idle: Connection[];
  queue: PooledResult[];
  queueHead: number;
  opening: number;
  open: Set<Connection>;
  closed: boolean;
  connect(): void;
}

export function takeQueued(pool: PoolState): PooledResult | undefined {
  if (pool.queueHead === pool.queue.length) return undefined;
  const result = pool.queue[pool.queueHead]!;
  pool.queue[pool.queueHead++] = undefined as never;
  if (pool.queueHead === pool.queue.length) {
    pool.queue.length = 0;
    pool.queueHead = 0;
  }
  return result;
}

export function fail(pool: PoolState, result: PooledResult, error: SampleError): void {
  result.endedAt = now();
  result.error = error;
  pool.onDone(result);
}

/** One kept-alive socket with at most one request on it, and the state of the response being read. */
export class Connection {
  private current: PooledResult | undefined;
  private pending: Buffer | undefined;
  private body = Body.None;
  private remaining = 0;
  private chunk = Chunk.Size;
  private keepAlive = true;
  expiresAt = Infinity;

  constructor(
    private readonly pool: PoolState,
    readonly socket: Socket,
  ) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('end', this.onEnd);
  }

  /** Takes the next queued request, or goes idle. */
  next(): void {
    if (this.pool.closed) return;
    const queued = takeQueued(this.pool);
    if (queued) this.start(queued);
    else this.pool.idle.push(this);
  }

  start(result: PooledResult): void {
    this.current = result;
    this.pending = undefined;
    this.body = Body.None;
    result.sentAt = now();
    this.socket.write(this.pool.request);
  }

  expireIfOlderThan(limit: number, timeoutMs: number): void {
    const current = this.current;
    if (!current || current.sentAt! > limit) return;
    this.current = undefined;
    this.retire();
    fail(this.pool, current, timedOut(timeoutMs));
  }

  retire(): void {
    this.forget();
    this.socket.destroy();
  }

  private forget(): void {
    this.pool.open.delete(this);
    const at = this.pool.idle.indexOf(this);
    if (at !== -1) this.pool.idle.splice(at, 1);
  }

  private readonly onData = (data: Buffer): void => {
    const buffer = this.pending ? Buffer.concat([this.pending, data]) : data;
    this.pending = undefined;
    let offset = 0;
    while (this.current && offset < buffer.length) {
      const result = this.current;
      if (result.headersAt === undefined) {
        const end = buffer.indexOf(HEAD_END, offset);
        if (end === -1) {
          if (buffer.length - offset > MAX_HEAD_BYTES) return this.abort(codedError('UND_ERR_HEADERS_OVERFLOW', 'Headers Overflow Error'));
          this.pending = buffer.subarray(offset);
          return;
        }
        const error = this.readHead(buffer, offset, end);
        if (error) return this.abort(error);
        offset = end + 4;
        if (result.status! < 200) {
          // An interim response (100 Continue, 103 Early Hints): the real one follows.
          result.headersAt = undefined;
          continue;
        }
        if (this.body === Body.None) {
          this.complete();
          continue;
        }
      }
      offset = this.readBody(buffer, offset);
      if (offset < 0) return;
    }
  };

  /** Status, framing and the instance header from one response head; returns an error for a head that is not HTTP/1.x. */
  private readHead(buffer: Buffer, start: number, end: number): Error | undefined {
    const result = this.current!;
    const afterStatus = buffer[start + 12];
    if (buffer.toString('latin1', start, start + 7) !== 'HTTP/1.' || buffer[start + 8] !== 32 || (afterStatus !== 32 && afterStatus !== CR)) {
      return codedError('HPE_INVALID_CONSTANT', 'Expected HTTP/');
    }
    const status = (buffer[start + 9]! - 48) * 100 + (buffer[start + 10]! - 48) * 10 + (buffer[start + 11]! - 48);
    if (!(status >= 100 && status <= 999)) return codedError('HPE_INVALID_STATUS', 'Invalid status code');
    result.headersAt = now();
    result.status = status;
    this.keepAlive = buffer[start + 7] === 49; // HTTP/1.1 keeps alive unless it says close; 1.0 closes unless it says keep-alive.
    let length = -1;
    let chunked = false;
    let lineStart = buffer.indexOf(LF, start) + 1;
    while (lineStart < end + 2) {
      const lineEnd = buffer.indexOf(CR, lineStart);
      const colon = buffer.indexOf(58, lineStart);
      if (colon > lineStart && colon < lineEnd) {
        const name = colon - lineStart;
        if (name === 14 && nameIs(buffer, lineStart, 'content-length')) length = Number(headerValue(buffer, colon, lineEnd));
        else if (name === 17 && nameIs(buffer, lineStart, 'transfer-encoding')) chunked = /(^|,)\s*chunked\s*$/i.test(headerValue(buffer, colon, lineEnd));
        else if (name === 10 && nameIs(buffer, lineStart, 'connection')) {
          const token = headerValue(buffer, colon, lineEnd).toLowerCase();
          if (token === 'close') this.keepAlive = false;
          else if (token === 'keep-alive') this.keepAlive = true;
        } else if (name === 10 && nameIs(buffer, lineStart, 'keep-alive')) {
          const seconds = /timeout=(\d+)/i.exec(headerValue(buffer, colon, lineEnd));
          if (seconds) this.expiresAt = now() + Number(seconds[1]) * 1000 - KEEP_ALIVE_MARGIN_MS;
        } else if (name === this.pool.instanceHeader.length && nameIs(buffer, lineStart, this.pool.instanceHeader)) {
          result.instanceId ??= headerValue(buffer, colon, lineEnd);
        }
      }
      lineStart = lineEnd + 2;
    }
    if (status < 200 || status === 204 || status === 304 || this.pool.isHead) this.body = Body.None;
    else if (chunked) {
      this.body = Body.Chunked;
      this.chunk = Chunk.Size;
    } else if (length >= 0) {
      if (!Number.isSafeInteger(length)) return codedError('HPE_INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length');
      this.body = length === 0 ? Body.None : Body.Length;
      this.remaining = length;
    } else {
      this.body = Body.UntilClose;
      this.keepAlive = false;
    }
    return undefined;
  }

  /** Reads body bytes from `offset`; returns where the response ended (or the buffer's end), -1 once the connection is given up. */
  private readBody(buffer: Buffer, offset: number): number {
    const result = this.current!;
    if (this.body === Body.UntilClose) {
      result.bytes += buffer.length - offset;
      return buffer.length;
    }
    if (this.body === Body.Length) {
      const take = Math.min(this.remaining, buffer.length - offset);
      result.bytes += take;
      this.remaining -= take;
      if (this.remaining === 0) this.complete();
      return offset + take;
    }
    while (offset < buffer.length && this.current) {
      if (this.chunk === Chunk.Data) {
        const take = Math.min(this.remaining, buffer.length - offset);
        result.bytes += take;
        this.remaining -= take;
        offset += take;
        if (this.remaining === 0) this.chunk = Chunk.DataEnd;
        continue;
      }
      const lineEnd = buffer.indexOf(LF, offset);
      if (lineEnd === -1) {
        if (buffer.length - offset > MAX_HEAD_BYTES) return this.giveUp(codedError('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'Chunk extensions overflow'));
        this.pending = buffer.subarray(offset);
        return buffer.length;
      }
      const line = buffer.toString('latin1', offset, lineEnd).trim();
      offset = lineEnd + 1;
      if (this.chunk === Chunk.DataEnd) {
        if (line !== '') return this.giveUp(codedError('HPE_STRICT', 'Expected LF after chunk data'));
        this.chunk = Chunk.Size;
      } else if (this.chunk === Chunk.Size) {
        const size = parseInt(line, 16);
        if (!/^[0-9a-f]+\s*(;|$)/i.test(line) || !Number.isSafeInteger(size))
          return this.giveUp(codedError('HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size'));
        this.remaining = size;
        this.chunk = size === 0 ? Chunk.Trailers : Chunk.Data;
      } else if (line === '') {
        this.complete();
      }
    }
    return offset;
  }

  private complete(): void {
    const result = this.current!;
    this.current = undefined;
    result.endedAt = now();
    if (result.status! >= 400) result.error = statusError(result.status!);
    if (this.keepAlive) this.next();
    else this.retire();
    this.pool.onDone(result);
  }

  /** abort, for readBody: -1 says the connection is gone. */
  private giveUp(error: Error): number {
    this.abort(error);
    return -1;
  }

  private abort(error: Error): void {
    const result = this.current;
    this.current = undefined;
    this.retire();
    if (result) fail(this.pool, result, classifyError(error));
  }

  private readonly onError = (error: Error): void => {
    const result = this.current;
    // A body read until close that ends with a reset is complete, as undici (and curl) take it.
    if (result && this.body === Body.UntilClose && result.headersAt !== undefined && (error as { code?: string }).code === 'ECONNRESET') return this.complete();
    this.abort(error);
  };

  private readonly onEnd = (): void => {
    if (this.current && this.body === Body.UntilClose && this.current.headersAt !== undefined) this.complete();
    this.retire();
  };

  private readonly onClose = (): void => {
    this.forget();
    if (this.current) this.abort(codedError('UND_ERR_SOCKET', 'other side closed'));
    // A connection that closed leaves room for one more: a queued request opens it.
    if (!this.pool.closed && this.pool.queueHead < this.pool.queue.length) this.pool.connect();
  };
}

const headerValue = (buffer: Buffer, colon: number, lineEnd: number) => buffer.toString('latin1', colon + 1, lineEnd).trim();

function nameIs(buffer: Buffer, start: number, name: string | Buffer): boolean {
  for (let i = 0; i < name.length; i++) {
    const expected = typeof name === 'string' ? name.charCodeAt(i) : name[i]!;
    if ((buffer[start + i]! | 0x20) !== expected) return false;
  }
  return true;
}
