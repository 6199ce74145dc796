/**
 * The reference app: the system under test inside the embedded platforms. Run as a child
 * process (one process = one instance). Under a platform it boots as a standby and starts
 * when the platform sends it a start message with its identity; run on its own it starts at
 * once. Either way it waits the startup delay before listening, standing for image pull and
 * model load, then reports its port (over IPC, or on stdout).
 * Every response carries the identity headers coldbench uses to tell cold from warm.
 * Routes: /health, /api/work?ms=N[&slots=K], /api/chat (SSE), /api/generate (NDJSON), /ws and /ws/chat/:id (WebSocket),
 * and the chat journey of chat-api.ts (/api/signin, /api/conversations…).
 * Kept to node:http at startup, so that the process itself starts as fast as Node can.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { handleChat } from './chat-api.js';
import { streamTokens, tokenStreamOptions } from './token-stream.js';
import { handleWebSocket } from './ws-endpoint.js';

export interface ReadyMessage {
  type: 'ready';
  port: number;
  instanceId: string;
}

export interface StartMessage {
  type: 'start';
  instanceId: string;
  startupDelayMs: number;
}

/** Uptime counts from the start message: an instance's life begins when the platform starts it. */
let startedAt = performance.now();
let instanceId = '';
let requestCount = 0;

function uptimeMs(): number {
  return Math.round(performance.now() - startedAt);
}

function identityHeaders(): Record<string, string> {
  requestCount += 1;
  return { 'x-instance-id': instanceId, 'x-req-count': String(requestCount), 'x-uptime-ms': String(uptimeMs()) };
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  for (const [name, value] of Object.entries(identityHeaders())) res.setHeader(name, value);
  const url = new URL(req.url ?? '/', 'http://instance');
  if (url.pathname === '/health') {
    const started = new Date(performance.timeOrigin + startedAt).toISOString();
    sendJson(res, 200, { status: 'ok', instanceId, startedAt: started, uptimeMs: uptimeMs(), requestCount });
  } else if (url.pathname === '/api/work') {
    const ms = Math.min(Number(url.searchParams.get('ms') ?? 0) || 0, 600_000);
    const slots = Number(url.searchParams.get('slots')) || Infinity;
    const work = (done: () => void) => {
      const timer = setTimeout(() => {
        sendJson(res, 200, { instanceId, workedMs: ms });
        done();
      }, ms);
      res.on('close', () => {
        if (res.writableFinished) return;
        clearTimeout(timer);
        done();
      });
    };
    inWorkerPool(slots, work);
  } else if (url.pathname === '/api/chat' || url.pathname === '/api/generate') {
    streamTokens(req, res, url.pathname === '/api/chat' ? 'sse' : 'ndjson', tokenStreamOptions(url));
  } else if (!handleChat(req, res, url, sendJson)) {
    sendJson(res, 404, { error: 'not found', path: url.pathname });
  }
  req.resume();
}

/**
 * `/api/work?slots=K`: at most K requests work at once in this instance, the rest wait in
 * line, as in a model server with K batch slots; so one instance holds K ÷ ms requests a
 * second, a known capacity to search for.
 */
let working = 0;
const waiting: Array<() => void> = [];

function inWorkerPool(slots: number, work: (done: () => void) => void): void {
  const run = () => {
    working += 1;
    let released = false;
    work(() => {
      if (released) return;
      released = true;
      working -= 1;
      waiting.shift()?.();
    });
  };
  if (working < slots) run();
  else waiting.push(run);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function start(): void {
  // HTTP_VERSION=2: HTTP/2 by prior knowledge (h2c), as behind an ingress that speaks h2 to its backends; no WebSocket then.
  if (process.env.HTTP_VERSION === '2') return listen(createHttp2Server(handle as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void));
  const server = createServer(handle);
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (req, socket, head) => {
    if (!/^\/ws(\/chat\/[^/]+)?$/.test(new URL(req.url ?? '/', 'http://instance').pathname)) return socket.destroy();
    handleWebSocket(req, socket, head, identityHeaders).catch(() => socket.destroy());
  });
  listen(server);
}

function listen(server: Server | Http2Server): void {
  // Loopback unless told: in a container, HOST=0.0.0.0 (deploy/reference-app/).
  server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const ready: ReadyMessage = { type: 'ready', port, instanceId };
    if (process.send) process.send(ready);
    else console.log(JSON.stringify(ready));
  });
  process.on('SIGTERM', () => {
    server.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
    process.exit(0);
  });
}

function activate(message: StartMessage): void {
  startedAt = performance.now();
  instanceId = message.instanceId;
  setTimeout(start, message.startupDelayMs);
}

if (process.send) {
  // An instance must not outlive the platform that started it.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: StartMessage) => (message?.type === 'start' && !instanceId ? activate(message) : undefined));
  process.send({ type: 'standby' });
} else {
  activate({ type: 'start', instanceId: randomUUID(), startupDelayMs: Number(process.env.COLDBENCH_STARTUP_MS ?? 0) });
}
