/**
 * Timed requests for load probes, and the undici pool that sends them when the lean path
 * (runner/fixed-request-pool.ts) is not asked for. The handler sees the moment undici writes
 * the request to a socket (onRequestStart is called right before the header write), so
 * queueing for a connection is measured apart from the server's time.
 */
import { isIP, type Socket } from 'node:net';
import { buildConnector, Pool, type Dispatcher } from 'undici';
import { classifyError, codedError, statusError } from '../model/error-class.js';
import type { HttpProtocol, SampleError } from '../model/records.js';
import type { HttpRequestSpec } from '../model/request.js';
import { now, spokenProtocol, timedOut } from './http.js';

export interface PooledResult {
  /** Monotonic ms of the schedule slot, and its stage: handed back untouched. */
  intendedAt: number;
  stage: string;
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
  /** Hears every request's end (response, error or timeout): one function for all, no closure per request. */
  onDone(result: PooledResult): void;
  /** Ask for HTTP/2 (undici's pool only): ALPN over TLS, prior knowledge over plain TCP; each new connection's protocol is reported. */
  http2?: { maxConcurrentStreams: number; onConnection(protocol: HttpProtocol): void };
}

/** Sends one target's fixed request as the schedule says; a request beyond the connections queues for one. */
export interface RequestPool {
  send(intendedAt: number, stage: string): void;
  /**
   * Opens up to `count` connections ahead (TCP and TLS, no request), which the pool uses
   * before opening any of its own: the first arrivals then do not pay for a burst of
   * handshakes. A connection that fails here is simply opened later, as usual.
   */
  preconnect(count: number): Promise<void>;
  /** Destroys the pool and every connection. */
  destroy(): Promise<void>;
}

export function createUndiciPool(origin: string, spec: HttpRequestSpec, instanceIdHeader: string, options: PoolOptions): RequestPool {
  const instanceHeader = instanceIdHeader.toLowerCase();
  const { http2 } = options;
  const url = new URL(origin);
  const undiciConnector = buildConnector({
    rejectUnauthorized: options.rejectUnauthorized,
    timeout: options.timeoutMs,
    ...(http2 && (url.protocol === 'https:' ? { allowH2: true } : { useH2c: true })),
  });
  // Prior knowledge (h2c) is not a negotiation: its connections count as h2 once a response came back on the pool.
  const priorKnowledge = http2 !== undefined && url.protocol === 'http:';
  let unconfirmed = 0;
  let confirmed = false;
  const connector: buildConnector.connector = http2
    ? (connectOptions, callback) =>
        undiciConnector(connectOptions, (...answer) => {
          if (answer[1] && priorKnowledge && !confirmed) unconfirmed += 1;
          else if (answer[1]) http2.onConnection(spokenProtocol(answer[1]));
          callback(...answer);
        })
    : undiciConnector;
  const onDone: PoolOptions['onDone'] = priorKnowledge
    ? (result) => {
        if (!confirmed && result.status !== undefined) {
          confirmed = true;
          for (; unconfirmed > 0; unconfirmed--) http2!.onConnection('h2');
        }
        options.onDone(result);
      }
    : options.onDone;
  const spare = new Set<Socket>();
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const [socket] = spare;
    if (!socket) return connector(connectOptions, callback);
    spare.delete(socket);
    // undici's own connector answers asynchronously; a synchronous answer re-enters its dispatch loop and stalls the request.
    process.nextTick(callback, null, socket);
  };
  const pool = new Pool(url.origin, {
    connections: options.connections,
    pipelining: 1,
    ...(http2 && { allowH2: true, maxConcurrentStreams: http2.maxConcurrentStreams }),
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
  // undici's timeouts are idle ones (headers, then between body chunks): a body that trickles in
  // never trips them. The whole request is bounded here, checked a few times per timeout.
  const written = new Map<Dispatcher.DispatchController, number>();
  const deadlines = setInterval(
    () => {
      const limit = now() - options.timeoutMs;
      for (const [controller, sentAt] of written) {
        if (sentAt > limit) continue;
        written.delete(controller);
        controller.abort(codedError('CB_REQUEST_TIMEOUT', timedOut(options.timeoutMs).message));
      }
    },
    Math.min(250, options.timeoutMs / 4),
  );
  deadlines.unref();
  return {
    send: (intendedAt, stage) => sendPooled(pool, written, spec, instanceHeader, { intendedAt, stage, endedAt: 0, bytes: 0 }, onDone),
    preconnect: (count) => Promise.all(Array.from({ length: Math.min(count, options.connections) }, openOne)).then(() => undefined),
    destroy() {
      clearInterval(deadlines);
      for (const socket of spare) socket.destroy();
      return pool.destroy();
    },
  };
}

function sendPooled(
  pool: Pool,
  written: Map<Dispatcher.DispatchController, number>,
  spec: HttpRequestSpec,
  instanceIdHeader: string,
  result: PooledResult,
  onDone: (result: PooledResult) => void,
): void {
  let finished = false;
  let request: Dispatcher.DispatchController | undefined;
  const finish = (error?: SampleError) => {
    if (finished) return;
    finished = true;
    if (request) written.delete(request);
    result.endedAt = now();
    result.error = error ?? (result.status !== undefined && result.status >= 400 ? statusError(result.status) : undefined);
    onDone(result);
  };
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(controller) {
      result.sentAt = now();
      request = controller;
      written.set(controller, result.sentAt);
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
