/**
 * The front door shared by both embedded platforms: an HTTP server on loopback that hands
 * each request to an instance chosen by the platform's policy and proxies it there.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { Instance } from './instance.js';

export interface PlatformStatus {
  platform: string;
  instances: number;
  ready: number;
  inFlight: number;
  instanceIds: string[];
}

export interface InstancePolicy {
  /** An instance with room for one more request; its `load` already counts it. */
  acquire(): Promise<Instance>;
  release(instance: Instance): void;
  status(): PlatformStatus;
  close(): Promise<void>;
}

export interface FrontServerOptions {
  host?: string;
  port?: number;
  /** Also serve HTTP/2 by prior knowledge (h2c) on the same port, as an ingress that speaks h2 does; HTTP/1.1 still works. */
  http2?: boolean;
  /** Requests older than this are ended, as Cloud Run ends requests at its timeout. */
  maxRequestDurationMs?: number;
}

export interface Platform {
  url: string;
  port: number;
  status(): PlatformStatus;
  close(): Promise<void>;
}

export const STATUS_PATH = '/_coldbench/platform';

export async function startFrontServer(policy: InstancePolicy, options: FrontServerOptions = {}): Promise<Platform> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === STATUS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(policy.status()));
      return;
    }
    void forward(req, res, policy, agent, options.maxRequestDurationMs);
  };
  const http1 = createServer(handle);
  http1.keepAliveTimeout = 65_000;
  http1.on('upgrade', (req, socket, head) => void forwardUpgrade(req, socket, head, policy, options.maxRequestDurationMs));
  const h2 = options.http2 ? dualStack(http1, handle) : undefined;
  const server = h2?.server ?? http1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port, address } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address}:${port}`,
    port,
    status: () => policy.status(),
    close: () =>
      (closing ??= (async () => {
        server.close();
        http1.closeAllConnections();
        h2?.closeAll();
        agent.destroy();
        await policy.close();
      })()),
  };
}

/**
 * HTTP/1.1 and h2c on one port: a connection that opens with the HTTP/2 preface goes to a
 * node:http2 server (the same handler, through its compatibility API), any other to the
 * HTTP/1.1 server, as Go's h2c handler does. Clients that speak either both work.
 */
function dualStack(http1: Server, handle: (req: IncomingMessage, res: ServerResponse) => void): { server: NetServer; closeAll(): void } {
  const h2 = createHttp2Server(handle as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  const sessions = new Set<ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const server = createNetServer((socket) =>
    socket.once('data', (first: Buffer) => {
      if (first.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) return void h2.emit('connection', replaying(socket, first));
      socket.pause();
      socket.unshift(first);
      http1.emit('connection', socket);
      socket.resume();
    }),
  );
  return {
    server,
    closeAll() {
      for (const session of sessions) session.destroy();
    },
  };
}

/**
 * The socket as a stream that gives back the bytes already read first: node:http2 reads a
 * net.Socket from its native handle, past anything unshifted into its JS buffer, but reads
 * any other Duplex through the stream API.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, encoding, callback) => void socket.write(chunk, encoding, callback),
    final: (callback) => void socket.end(callback),
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (error) => stream.destroy(error));
  socket.on('close', () => stream.destroy());
  return stream;
}

/** The start of the HTTP/2 connection preface ("PRI * HTTP/2.0"). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/** Headers HTTP/2 forbids in a response (RFC 9113 §8.2.2), which an HTTP/1.1 instance sends. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** A request's headers for the HTTP/1.1 hop to the instance: no HTTP/2 pseudo-headers. */
function upstreamHeaders(req: IncomingMessage): IncomingMessage['headers'] {
  if (req.httpVersionMajor !== 2) return req.headers;
  const headers: IncomingMessage['headers'] = {};
  for (const [name, value] of Object.entries(req.headers)) if (!name.startsWith(':')) headers[name] = value;
  headers.host = String(req.headers[':authority'] ?? '');
  return headers;
}

/** A response's headers for the client: hop-by-hop ones dropped when the client speaks HTTP/2. */
function clientHeaders(req: IncomingMessage, headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  if (req.httpVersionMajor !== 2) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  policy: InstancePolicy,
  agent: Agent,
  maxRequestDurationMs: number | undefined,
): Promise<void> {
  const timer =
    maxRequestDurationMs === undefined
      ? undefined
      : setTimeout(() => {
          if (res.headersSent) res.destroy();
          else res.writeHead(504, clientHeaders(req, { 'content-type': 'text/plain', connection: 'close' })).end('request exceeded max request duration\n');
        }, maxRequestDurationMs);
  let instance: Instance;
  try {
    instance = await policy.acquire();
  } catch (error) {
    clearTimeout(timer);
    if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain' }).end(`no instance: ${(error as Error).message}\n`);
    return;
  }
  let released = false;
  const finish = () => {
    clearTimeout(timer);
    if (released) return;
    released = true;
    policy.release(instance);
  };
  res.once('close', finish);
  if (res.writableEnded || res.destroyed) return finish();
  const upstream = httpRequest(
    { host: '127.0.0.1', port: instance.port, method: req.method, path: req.url, headers: upstreamHeaders(req), agent },
    (upstreamRes) => {
      if (res.destroyed) return upstreamRes.destroy();
      res.writeHead(upstreamRes.statusCode ?? 502, clientHeaders(req, upstreamRes.headers));
      upstreamRes.pipe(res);
      upstreamRes.once('error', () => res.destroy());
    },
  );
  upstream.once('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream error: ${error.message}\n`);
    else res.destroy();
  });
  res.once('close', () => upstream.destroy());
  req.pipe(upstream);
}

/** WebSocket and other upgrades: a raw TCP tunnel to an instance, counted against its concurrency like any request. */
async function forwardUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  policy: InstancePolicy,
  maxRequestDurationMs: number | undefined,
): Promise<void> {
  let instance: Instance;
  try {
    instance = await policy.acquire();
  } catch {
    client.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
    return;
  }
  const upstream = connect(instance.port!, '127.0.0.1');
  const timer = maxRequestDurationMs === undefined ? undefined : setTimeout(() => client.destroy(), maxRequestDurationMs);
  let released = false;
  const finish = () => {
    clearTimeout(timer);
    upstream.destroy();
    client.destroy();
    if (released) return;
    released = true;
    policy.release(instance);
  };
  client.once('close', finish);
  upstream.once('close', finish);
  client.on('error', finish);
  upstream.on('error', finish);
  upstream.once('connect', () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
}
