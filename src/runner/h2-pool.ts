/**
 * The load probe's HTTP/2 client: node:http2 sessions on connections coldbench opens and
 * times itself (ALPN h2 over TLS, prior knowledge over plain TCP), each carrying up to
 * `maxConcurrentStreams` requests at once, a new session opened only when every open one is
 * full. undici's HTTP/2 dispatcher did the same work at a quarter of the rate on this
 * machine (3.3k against 12k requests a second on one core) and lagged its own schedule by
 * hundreds of milliseconds at 2,000/s. A TLS server that answers ALPN with http/1.1 gets the
 * whole pool handed to undici's HTTP/1.1 pool (http-pool.ts): a fallback, reported as one.
 * What a request measures is the undici pool's: the hand-off to the session (sentAt), the
 * response head, the end, body bytes, the status error and the same error codes.
 */
import http2 from 'node:http2';
import { classifyError, codedError, statusError } from '../model/error-class.js';
import type { SampleError } from '../model/records.js';
import type { HttpRequestSpec } from '../model/request.js';
import { connectTimed, now, timedOut, type ConnectionPhases } from './http.js';
import { createUndiciPool, type PoolOptions, type PooledResult, type RequestPool } from './http-pool.js';

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2). */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

interface Session {
  session: http2.ClientHttp2Session;
  active: number;
}

interface InFlight {
  result: PooledResult;
  stream: http2.ClientHttp2Stream;
  session: Session;
}

export function createH2Pool(origin: string, spec: HttpRequestSpec, instanceIdHeader: string, options: PoolOptions): RequestPool {
  const http2Options = options.http2!;
  const url = new URL(origin);
  const instanceHeader = instanceIdHeader.toLowerCase();
  const headers: http2.OutgoingHttpHeaders = { ':method': spec.method, ':path': spec.path };
  for (const [name, value] of Object.entries(spec.headers ?? {})) if (!CONNECTION_HEADERS.has(name)) headers[name] = value;
  const target = { hostname: url.hostname, protocol: url.protocol, port: url.port };
  const connectOptions = { connectTimeoutMs: options.timeoutMs, rejectUnauthorized: options.rejectUnauthorized, http2: true };
  const sessions: Session[] = [];
  const queue: PooledResult[] = [];
  const inFlight = new Set<InFlight>();
  let opening = 0;
  let closed = false;
  let fallback: RequestPool | undefined;
  // Prior knowledge is not a negotiation: its sessions count as h2 once a response came back.
  const priorKnowledge = url.protocol === 'http:';
  let unconfirmed = 0;

  const finish = (entry: InFlight | undefined, result: PooledResult, error?: SampleError) => {
    if (result.endedAt) return;
    if (entry) {
      inFlight.delete(entry);
      entry.session.active -= 1;
    }
    result.endedAt = now();
    result.error = error ?? (result.status !== undefined && result.status >= 400 ? statusError(result.status) : undefined);
    if (unconfirmed > 0 && result.status !== undefined) for (; unconfirmed > 0; unconfirmed--) http2Options.onConnection('h2');
    options.onDone(result);
    if (entry) drain();
  };

  const start = (session: Session, result: PooledResult) => {
    session.active += 1;
    result.sentAt = now();
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.session.request(headers, { endStream: spec.body === undefined });
    } catch (error) {
      session.active -= 1;
      return finish(undefined, result, classifyError(error));
    }
    const entry: InFlight = { result, stream, session };
    inFlight.add(entry);
    if (spec.body !== undefined) stream.end(spec.body);
    stream.on('response', (response) => {
      result.headersAt = now();
      result.status = Number(response[':status']);
      const id = response[instanceHeader];
      if (id !== undefined) result.instanceId = Array.isArray(id) ? id[0]! : String(id);
    });
    stream.on('data', (chunk: Buffer) => (result.bytes += chunk.length));
    stream.on('end', () => finish(entry, result));
    stream.on('error', (error) => finish(entry, result, classifyError(error)));
    stream.on('close', () =>
      finish(entry, result, classifyError(codedError('UND_ERR_SOCKET', `the HTTP/2 stream closed before its end (code ${stream.rstCode})`))),
    );
  };

  const available = (): Session | undefined => {
    let best: Session | undefined;
    for (const session of sessions) if (session.active < http2Options.maxConcurrentStreams && (!best || session.active < best.active)) best = session;
    return best;
  };

  const drain = () => {
    for (let session = available(); session && queue.length > 0; session = available()) start(session, queue.shift()!);
  };

  const handToFallback = () => {
    fallback ??= createUndiciPool(origin, spec, instanceIdHeader, options);
    for (const result of queue.splice(0)) fallback.send(result.intendedAt, result.stage);
  };

  const open = (): Promise<void> => {
    opening += 1;
    const setup: ConnectionPhases = {};
    return connectTimed(target, connectOptions, setup).then(
      (socket) => {
        opening -= 1;
        if (closed) return void socket.destroy();
        if (setup.protocol !== 'h2') {
          socket.destroy();
          return handToFallback();
        }
        const session: Session = { session: http2.connect(url.origin, { createConnection: () => socket }), active: 0 };
        session.session.on('error', () => undefined); // each stream reports its own error
        session.session.once('close', () => {
          const index = sessions.indexOf(session);
          if (index >= 0) sessions.splice(index, 1);
        });
        sessions.push(session);
        if (priorKnowledge) unconfirmed += 1;
        else http2Options.onConnection('h2');
        drain();
      },
      (error: unknown) => {
        opening -= 1;
        // The request that asked for this connection fails with its cause; the others wait for one that opens.
        const waiting = queue.shift();
        if (waiting) finish(undefined, waiting, classifyError(error));
      },
    );
  };

  // The whole request is bounded, as in the other pools.
  const deadlines = setInterval(
    () => {
      const limit = now() - options.timeoutMs;
      for (const entry of inFlight) {
        if (entry.result.sentAt! > limit) continue;
        entry.stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(entry, entry.result, timedOut(options.timeoutMs));
      }
    },
    Math.min(250, options.timeoutMs / 4),
  );
  deadlines.unref();

  return {
    send(intendedAt, stage) {
      if (fallback) return fallback.send(intendedAt, stage);
      const result: PooledResult = { intendedAt, stage, endedAt: 0, bytes: 0 };
      const session = available();
      if (session) return start(session, result);
      queue.push(result);
      // A new session only when the open and opening ones cannot take what waits.
      const room = (sessions.length + opening) * http2Options.maxConcurrentStreams - sessions.reduce((sum, s) => sum + s.active, 0);
      if (queue.length > room && sessions.length + opening < options.connections) void open();
    },
    async preconnect(count) {
      const wanted = Math.min(Math.ceil(count / http2Options.maxConcurrentStreams), options.connections);
      await Promise.all(Array.from({ length: wanted }, open));
    },
    async destroy() {
      closed = true;
      clearInterval(deadlines);
      for (const { session } of sessions) session.destroy();
      await fallback?.destroy();
    },
  };
}
