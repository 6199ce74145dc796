/**
 * Timed requests over a shared undici Pool, for load probes. The handler sees the moment
 * undici writes the request to a socket (onRequestStart is called right before the header
 * write), so queueing for a connection is measured apart from the server's time.
 */
import { isIP, type Socket } from 'node:net';
import { buildConnector, Pool, type Dispatcher } from 'undici';
import { classifyError, statusError } from '../model/error-class.js';
import type { SampleError } from '../model/records.js';
import type { HttpRequestSpec } from '../model/request.js';
import { now } from './http.js';

export interface PooledResult {
  /** Monotonic ms of the socket write; undefined when the request never reached a socket. */
  sentAt?: number;
  headersAt?: number;
  endedAt: number;
  status?: number;
  bytes: number;
  instanceId?: string;
  error?: SampleError;
}

export interface PoolOptions {
  connections: number;
  timeoutMs: number;
  rejectUnauthorized: boolean;
}

export interface WarmPool {
  pool: Pool;
  /**
   * Opens up to `count` connections ahead (TCP and TLS, no request), which the pool uses
   * before opening any of its own: the first arrivals then do not pay for a burst of
   * handshakes. A connection that fails here is simply opened later, as usual.
   */
  preconnect(count: number): Promise<void>;
  /** Destroys the pool and any connection opened ahead that it never used. */
  destroy(): Promise<void>;
}

export function createPool(origin: string, options: PoolOptions): WarmPool {
  const connector = buildConnector({ rejectUnauthorized: options.rejectUnauthorized, timeout: options.timeoutMs });
  const spare = new Set<Socket>();
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const [socket] = spare;
    if (!socket) return connector(connectOptions, callback);
    spare.delete(socket);
    // undici's own connector answers asynchronously; a synchronous answer re-enters its dispatch loop and stalls the request.
    process.nextTick(callback, null, socket);
  };
  const url = new URL(origin);
  const pool = new Pool(url.origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect,
  });
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const target: buildConnector.Options = {
    hostname,
    host: url.host,
    protocol: url.protocol,
    port: url.port || (url.protocol === 'https:' ? '443' : '80'),
    ...(isIP(hostname) === 0 && { servername: url.hostname }),
  };
  const openOne = () =>
    new Promise<void>((resolve) =>
      connector(target, (error, socket) => {
        if (!error && socket) {
          spare.add(socket);
          socket.once('close', () => spare.delete(socket));
        }
        resolve();
      }),
    );
  return {
    pool,
    preconnect: (count) => Promise.all(Array.from({ length: Math.min(count, options.connections) }, openOne)).then(() => undefined),
    destroy() {
      for (const socket of spare) socket.destroy();
      return pool.destroy();
    },
  };
}

export function sendPooled(pool: Pool, spec: HttpRequestSpec, instanceIdHeader: string, onDone: (result: PooledResult) => void): void {
  const result: PooledResult = { endedAt: 0, bytes: 0 };
  let finished = false;
  const finish = (error?: SampleError) => {
    if (finished) return;
    finished = true;
    result.endedAt = now();
    result.error = error ?? (result.status !== undefined && result.status >= 400 ? statusError(result.status) : undefined);
    onDone(result);
  };
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart() {
      result.sentAt = now();
    },
    onResponseStart(_controller, statusCode, headers) {
      result.headersAt = now();
      result.status = statusCode;
      const id = headers[instanceIdHeader];
      if (id !== undefined) result.instanceId = Array.isArray(id) ? id[0] : String(id);
    },
    onResponseData(_controller, chunk) {
      result.bytes += chunk.length;
    },
    onResponseEnd() {
      finish();
    },
    onResponseError(_controller, error) {
      finish(classifyError(error));
    },
  };
  try {
    pool.dispatch({ method: spec.method as Dispatcher.HttpMethod, path: spec.path, headers: spec.headers, body: spec.body }, handler);
  } catch (error) {
    finish(classifyError(error));
  }
}
