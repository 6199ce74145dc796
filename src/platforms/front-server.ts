/**
 * The front door shared by both embedded platforms: an HTTP server on loopback that hands
 * each request to an instance chosen by the platform's policy and proxies it there.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
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
  const server = createServer((req, res) => {
    if (req.url === STATUS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(policy.status()));
      return;
    }
    void forward(req, res, policy, agent, options.maxRequestDurationMs);
  });
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (req, socket, head) => void forwardUpgrade(req, socket, head, policy, options.maxRequestDurationMs));
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
        server.closeAllConnections();
        agent.destroy();
        await policy.close();
      })()),
  };
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
          else res.writeHead(504, { 'content-type': 'text/plain', connection: 'close' }).end('request exceeded max request duration\n');
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
  const upstream = httpRequest({ host: '127.0.0.1', port: instance.port, method: req.method, path: req.url, headers: req.headers, agent }, (upstreamRes) => {
    if (res.destroyed) return upstreamRes.destroy();
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    upstreamRes.pipe(res);
    upstreamRes.once('error', () => res.destroy());
  });
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
