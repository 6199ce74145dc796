/**
 * An SSE or NDJSON stream over HTTP/2: one node:http2 session on the connection coldbench
 * opened and timed itself (ALPN h2, or prior knowledge on plain TCP), one request stream on
 * it. What it reports goes to the same reader as an HTTP/1.1 stream's (http-stream.ts), so
 * timings, causes and parsing are the same; a reset stream is a `reset`, as a cut socket is.
 */
import http2 from 'node:http2';
import type net from 'node:net';
import { classifyError, codedError } from '../model/error-class.js';
import type { SampleError } from '../model/records.js';
import type { HttpRequestSpec } from '../model/request.js';

export interface H2StreamSink {
  headers(status: number, headers: Record<string, string>): void;
  /** Returns false once the stream has ended (a message grew too large). */
  bodyData(data: Buffer): boolean;
  /** The response ended properly. */
  end(): void;
  error(error: SampleError): void;
}

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2): node:http2 refuses a request that carries them. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export function requestOverH2(
  socket: net.Socket,
  url: URL,
  spec: HttpRequestSpec,
  extraHeaders: Record<string, string>,
  idleTimeoutMs: number,
  sink: H2StreamSink,
): { close(): void } {
  const session = http2.connect(url.origin, { createConnection: () => socket });
  session.on('error', (error) => sink.error(classifyError(error)));
  const headers: http2.OutgoingHttpHeaders = { ':method': spec.method, ':path': spec.path };
  for (const [name, value] of Object.entries({ ...spec.headers, ...extraHeaders })) if (!CONNECTION_HEADERS.has(name)) headers[name] = value;
  const stream = session.request(headers, { endStream: spec.body === undefined });
  if (spec.body !== undefined) stream.end(spec.body);
  let ended = false;
  stream.on('response', (response) => {
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(response)) {
      if (!name.startsWith(':') && value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    sink.headers(Number(response[':status']), flat);
    stream.setTimeout(idleTimeoutMs, () => sink.error(classifyError(codedError('UND_ERR_BODY_TIMEOUT', `no body bytes within ${idleTimeoutMs}ms`))));
  });
  stream.on('data', (chunk: Buffer) => {
    if (!sink.bodyData(chunk)) stream.close();
  });
  stream.on('end', () => {
    ended = true;
    sink.end();
  });
  stream.on('error', (error) => sink.error(classifyError(error)));
  stream.on('close', () => {
    if (!ended) sink.error(classifyError(codedError('UND_ERR_SOCKET', `the HTTP/2 stream closed before its end (code ${stream.rstCode})`)));
  });
  return {
    close() {
      stream.close();
      session.destroy();
    },
  };
}
