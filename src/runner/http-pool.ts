/**
 * Timed requests over a shared undici Pool, for load probes. The handler sees the moment
 * undici writes the request to a socket (onRequestStart is called right before the header
 * write), so queueing for a connection is measured apart from the server's time.
 */
import { Pool, type Dispatcher } from 'undici';
import { classifyError, statusError, type SampleError } from './error-class.js';
import { now, type HttpRequestSpec } from './http.js';

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

export function createPool(origin: string, options: PoolOptions): Pool {
  return new Pool(origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { rejectUnauthorized: options.rejectUnauthorized, timeout: options.timeoutMs },
  });
}

export function sendPooled(
  pool: Pool,
  spec: HttpRequestSpec,
  instanceIdHeader: string,
  onDone: (result: PooledResult) => void,
): void {
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
