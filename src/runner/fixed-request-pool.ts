/**
 * The load probe's HTTP/1.1 client for a request whose bytes are fixed (method, path,
 * headers and body known before the first arrival): the request is encoded once, written
 * as one buffer on a kept-alive socket, and the response framing (status line, the four
 * headers that decide it, content-length or chunked or until-close bodies) is read from
 * the socket's buffers without building a header object. undici's dispatcher does the same
 * work with a request object, a header list, timers and handler wrappers per request: at
 * overload that was most of coldbench's CPU. What a request measures is the same as the
 * undici pool's (runner/http-pool.ts): the socket write, the response head, the end, the
 * body bytes, the status error and the error codes undici gives (ECONNRESET, UND_ERR_SOCKET,
 * UND_ERR_CONNECT_TIMEOUT); test/http-paths.test.ts sends one corpus through both. The
 * sockets and the reading of responses are runner/http1-connection.ts.
 */
import { classifyError } from '../model/error-class.js';
import type { HttpRequestSpec } from '../model/request.js';
import { connectTimed, now } from './http.js';
import type { PoolOptions, PooledResult, RequestPool } from './http-pool.js';
import { Connection, fail, takeQueued, type PoolState } from './http1-connection.js';

/** The request line, the host header, the request's headers and body, as undici writes them. */
function encodeRequest(origin: URL, spec: HttpRequestSpec): Buffer {
  let head = `${spec.method} ${spec.path} HTTP/1.1\r\nhost: ${origin.host}\r\nconnection: keep-alive\r\n`;
  for (const [name, value] of Object.entries(spec.headers ?? {})) head += `${name}: ${value}\r\n`;
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  if (body) head += `content-length: ${body.length}\r\n`;
  const encoded = Buffer.from(head + '\r\n', 'latin1');
  return body ? Buffer.concat([encoded, body]) : encoded;
}

export function createFixedRequestPool(origin: string, spec: HttpRequestSpec, instanceIdHeader: string, options: PoolOptions): RequestPool {
  const url = new URL(origin);
  const request = encodeRequest(url, spec);
  const target = { hostname: url.hostname, protocol: url.protocol, port: url.port };
  const connectOptions = { connectTimeoutMs: options.timeoutMs, rejectUnauthorized: options.rejectUnauthorized };
  const pool: PoolState = {
    request,
    isHead: spec.method === 'HEAD',
    instanceHeader: Buffer.from(instanceIdHeader.toLowerCase(), 'latin1'),
    onDone: options.onDone,
    idle: [],
    queue: [],
    queueHead: 0,
    opening: 0,
    open: new Set(),
    closed: false,
    connect: () => {
      pool.opening += 1;
      connectTimed(target, connectOptions, {}).then(
        (socket) => {
          pool.opening -= 1;
          if (pool.closed) return void socket.destroy();
          const connection = new Connection(pool, socket);
          pool.open.add(connection);
          connection.next();
        },
        (error: unknown) => {
          pool.opening -= 1;
          // The request that asked for this connection fails with its cause; the others wait for one that opens.
          const waiting = takeQueued(pool);
          if (waiting) fail(pool, waiting, classifyError(error));
        },
      );
    },
  };
  const spare: Connection[] = [];
  const deadlines = setInterval(
    () => {
      const limit = now() - options.timeoutMs;
      for (const connection of pool.open) connection.expireIfOlderThan(limit, options.timeoutMs);
    },
    Math.min(250, options.timeoutMs / 4),
  );
  deadlines.unref();

  return {
    send(intendedAt, stage) {
      const result: PooledResult = { intendedAt, stage, endedAt: 0, bytes: 0 };
      const connection = takeIdle(pool);
      if (connection) return connection.start(result);
      pool.queue.push(result);
      if (pool.open.size + pool.opening < options.connections) pool.connect();
    },
    async preconnect(count) {
      const wanted = Math.min(count, options.connections);
      await Promise.all(
        Array.from({ length: wanted }, () =>
          connectTimed(target, connectOptions, {}).then(
            (socket) => {
              const connection = new Connection(pool, socket);
              pool.open.add(connection);
              spare.push(connection);
            },
            () => undefined,
          ),
        ),
      );
      for (const connection of spare.splice(0)) connection.next();
    },
    async destroy() {
      pool.closed = true;
      clearInterval(deadlines);
      for (const connection of pool.open) connection.socket.destroy();
      pool.open.clear();
      pool.idle.length = 0;
    },
  };
}

function takeIdle(pool: PoolState): Connection | undefined {
  const at = now();
  for (let connection = pool.idle.pop(); connection; connection = pool.idle.pop()) {
    if (connection.expiresAt > at) return connection;
    connection.retire();
  }
  return undefined;
}
