/**
 * HTTP timing, in one place for every probe. A Connection is one undici Client over one
 * socket that coldbench opens itself, so DNS, TCP connect and TLS are timed separately and
 * nothing (socket, DNS answer) is carried over from an earlier connection. The moment the
 * request headers hit the socket comes from undici's diagnostics_channel.
 */
import { subscribe } from 'node:diagnostics_channel';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { Client } from 'undici';
import { classifyError, codedError, ownError } from '../model/error-class.js';
import type { HttpProtocol, Phases, SampleError } from '../model/records.js';
import type { HttpRequestSpec } from '../model/request.js';
import { deadline } from './deadline.js';

export const now = (): number => performance.now();
export const toEpochMs = (monotonicMs: number): number => performance.timeOrigin + monotonicMs;

/** Durations in ms. dns/connect/tls are phase lengths; sent/ttfb/total are offsets from the request start. */
export interface TimedResult {
  /** Monotonic ms (performance.now) when the request was handed to the connection. */
  startedAt: number;
  phases: Phases;
  status?: number;
  bytes: number;
  headers: Record<string, string>;
  /** The body as text, kept only up to `keepBodyBytes`. */
  body?: string;
  remoteAddress?: string;
  /** What the connection negotiated; undefined when it never connected. */
  protocol?: HttpProtocol;
  error?: SampleError;
}

export interface Connection {
  request(spec: HttpRequestSpec, options: { timeoutMs: number; signal?: AbortSignal; keepBodyBytes?: number }): Promise<TimedResult>;
  close(): Promise<void>;
}

export interface ConnectionPhases {
  dns?: number;
  connect?: number;
  tls?: number;
  remoteAddress?: string;
  /** Set when HTTP/2 was asked for: what the connection speaks. */
  protocol?: HttpProtocol;
}

const headersWritten = new WeakMap<object, (at: number) => void>();
subscribe('undici:client:sendHeaders', (message) => {
  const { socket } = message as { socket: object };
  headersWritten.get(socket)?.(now());
});

export interface ConnectionOptions {
  connectTimeoutMs: number;
  rejectUnauthorized: boolean;
  /** Ask for HTTP/2: ALPN h2 (then http/1.1) over TLS, prior knowledge (h2c) over plain TCP. */
  http2?: boolean;
}

/** What ALPN settled, or h2 by prior knowledge on a plain socket that was asked for it. */
export const spokenProtocol = (socket: net.Socket): HttpProtocol => ((socket as tls.TLSSocket).alpnProtocol === 'h2' ? 'h2' : 'http/1.1');

export function openConnection(origin: string, options: ConnectionOptions): Connection {
  const setup: ConnectionPhases = {};
  let onHeadersWritten: ((at: number) => void) | undefined;
  let firstRequest = true;
  // A target URL may carry a base path and credentials: undici takes the origin alone (buildRequest adds the rest).
  let protocol: HttpProtocol | undefined;
  const client = new Client(new URL(origin).origin, {
    pipelining: 1,
    ...(options.http2 && { allowH2: true }),
    connect: (target, callback) => {
      connectTimed(target, options, setup)
        .then((socket) => {
          protocol = spokenProtocol(socket);
          headersWritten.set(socket, (at) => onHeadersWritten?.(at));
          callback(null, socket);
        })
        .catch((error: Error) => callback(error, null));
    },
  });

  return {
    async request(spec, { timeoutMs, signal, keepBodyBytes = 0 }) {
      const startedAt = now();
      const phases: Phases = { total: 0 };
      const withSetup = firstRequest;
      firstRequest = false;
      const giveUp = deadline(signal ?? new AbortController().signal, Math.ceil(timeoutMs));
      let result: Omit<TimedResult, 'phases' | 'startedAt'> = { bytes: 0, headers: {} };
      onHeadersWritten = (at) => (phases.sent ??= at - startedAt);
      try {
        const response = await client.request({
          method: spec.method as 'GET',
          path: spec.path,
          headers: spec.headers,
          body: spec.body,
          signal: giveUp.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        phases.ttfb = now() - startedAt;
        result.status = response.statusCode;
        result.headers = flattenHeaders(response.headers);
        const chunks: Buffer[] = [];
        let kept = 0;
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          result.bytes += chunk.length;
          if (kept < keepBodyBytes) {
            chunks.push(chunk.subarray(0, keepBodyBytes - kept));
            kept += Math.min(chunk.length, keepBodyBytes - kept);
          }
        }
        if (keepBodyBytes > 0) result.body = Buffer.concat(chunks).toString('utf8');
      } catch (error) {
        result = { ...result, error: giveUp.signal.aborted && !signal?.aborted ? timedOut(timeoutMs) : classifyError(error) };
      } finally {
        giveUp.clear();
      }
      phases.total = now() - startedAt;
      if (withSetup) Object.assign(phases, setupPhases(setup));
      // Prior knowledge (h2c) is not a negotiation: a connection counts as h2 once a response came over it.
      return { startedAt, phases, remoteAddress: setup.remoteAddress, ...(protocol && result.status !== undefined && { protocol }), ...result };
    },
    close: () => client.destroy().catch(() => undefined),
  };
}

/** What a request that outlived its timeout records, whichever client sent it. */
export function timedOut(timeoutMs: number): SampleError {
  return ownError('CB_REQUEST_TIMEOUT', 'timeout', `no complete response within ${timeoutMs}ms`);
}

/** The connection's own phases, for the request that opened it. */
const setupPhases = ({ dns, connect, tls }: ConnectionPhases) => ({ dns, connect, tls });

export async function connectTimed(
  target: { hostname: string; protocol: string; port: string; servername?: string | null },
  options: ConnectionOptions,
  setup: ConnectionPhases,
): Promise<net.Socket> {
  const deadline = now() + options.connectTimeoutMs;
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  const secure = target.protocol === 'https:';
  const port = Number(target.port) || (secure ? 443 : 80);
  let address = hostname;
  if (!net.isIP(hostname)) {
    const started = now();
    address = (await withDeadline(lookup(hostname), deadline, `DNS lookup of ${hostname}`)).address;
    setup.dns = now() - started;
  } else {
    setup.dns = 0;
  }
  setup.remoteAddress = address;
  const tcpStarted = now();
  const socket = net.connect({ host: address, port });
  socket.setNoDelay(true);
  await withDeadline(onceEvent(socket, 'connect'), deadline, `TCP connect to ${address}:${port}`, () => socket.destroy());
  setup.connect = now() - tcpStarted;
  if (!secure) {
    // Prior knowledge: undici (and node:http2) speak h2 on a plain socket whose alpnProtocol says so.
    if (options.http2) {
      Object.assign(socket, { alpnProtocol: 'h2' });
      setup.protocol = 'h2';
    }
    return socket;
  }
  const tlsStarted = now();
  const servername = target.servername || (net.isIP(hostname) ? undefined : hostname);
  const ALPNProtocols = options.http2 ? ['h2', 'http/1.1'] : ['http/1.1'];
  const secured = tls.connect({ socket, host: hostname, servername, ALPNProtocols, rejectUnauthorized: options.rejectUnauthorized });
  await withDeadline(onceEvent(secured, 'secureConnect'), deadline, `TLS handshake with ${hostname}`, () => secured.destroy());
  setup.tls = now() - tlsStarted;
  if (options.http2) setup.protocol = spokenProtocol(secured);
  return secured;
}

function onceEvent(emitter: net.Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    emitter.once(event, () => {
      emitter.off('error', reject);
      resolve();
    });
    emitter.once('error', reject);
  });
}

async function withDeadline<T>(work: Promise<T>, deadline: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        onTimeout?.();
        reject(codedError('UND_ERR_CONNECT_TIMEOUT', `${what} timed out`));
      },
      Math.max(0, deadline - now()),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
