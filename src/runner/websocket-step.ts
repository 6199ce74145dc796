/**
 * A flow step over WebSocket: open, send the step's messages, read until a message holds the
 * step's `until` text (or, without one, until the server closes), then close. Timed from the
 * handshake's start; the upgrade's arrival is its time to first byte. The messages received are
 * the step's body, one per line, for checks, and each one an event for extracts.
 */
import WebSocket from 'ws';
import { classifyError, ownError, statusError } from '../model/error-class.js';
import type { HttpRequestSpec } from '../model/request.js';
import type { Target } from '../scenario/schema.js';
import { now, timedOut, type TimedResult } from './http.js';

export interface WebSocketExchange {
  /** Sent in order once the socket is open. */
  send: readonly string[];
  /** The step ends at the first message containing this text; without it, when the server closes. */
  until?: string;
}

export interface WebSocketStepResult extends TimedResult {
  /** Messages received, in order, as far as `keepBodyBytes` reaches. */
  messages: string[];
}

export function websocketStep(
  spec: HttpRequestSpec,
  target: Target,
  exchange: WebSocketExchange,
  options: { timeoutMs: number; signal: AbortSignal; keepBodyBytes: number },
): Promise<WebSocketStepResult> {
  const startedAt = now();
  const url = new URL(spec.path, target.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const result: WebSocketStepResult = { startedAt, phases: { total: 0 }, bytes: 0, headers: {}, messages: [] };
  return new Promise((resolve) => {
    let kept = 0;
    const socket = new WebSocket(url, {
      headers: spec.headers,
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
      maxPayload: options.keepBodyBytes,
      rejectUnauthorized: !target.insecureSkipTLSVerify,
    });
    const end = (error?: TimedResult['error']) => {
      if (result.phases.total) return;
      result.phases.total = Math.max(now() - startedAt, Number.MIN_VALUE);
      clearTimeout(timer);
      options.signal.removeEventListener('abort', abort);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'step over');
      else socket.terminate();
      resolve({ ...result, body: result.messages.join('\n'), ...(error && { error }) });
    };
    const timer = setTimeout(() => end(timedOut(options.timeoutMs)), options.timeoutMs);
    const abort = () => end(classifyError(options.signal.reason));
    if (options.signal.aborted) return abort();
    options.signal.addEventListener('abort', abort, { once: true });

    socket.on('upgrade', (response) => {
      result.phases.ttfb = now() - startedAt;
      result.status = response.statusCode ?? 101;
      for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') result.headers[name] = value;
    });
    socket.on('unexpected-response', (_request, response) => {
      result.phases.ttfb = now() - startedAt;
      result.status = response.statusCode ?? 0;
      response.resume();
      end(statusError(result.status));
    });
    socket.on('open', () => exchange.send.forEach((message) => socket.send(message)));
    socket.on('message', (data: Buffer) => {
      result.bytes += data.length;
      const text = data.toString('utf8');
      if (kept < options.keepBodyBytes) {
        result.messages.push(text);
        kept += data.length;
      }
      if (exchange.until !== undefined && text.includes(exchange.until)) end();
    });
    socket.on('close', (code) =>
      end(
        exchange.until === undefined
          ? undefined
          : ownError('CB_WS_CLOSED', 'reset', `the server closed the socket (code ${code}) before a message containing ${JSON.stringify(exchange.until)}`),
      ),
    );
    socket.on('error', (error) => end(classifyError(error)));
  });
}
