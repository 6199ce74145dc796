/**
 * WebSocket streams through `ws`: the handshake timed, server pings answered (ws does it),
 * client pings to keep the line checked, optional application messages, and the close code
 * kept when the server ends it.
 */
import WebSocket from 'ws';
import { classifyError, codedError, statusError } from '../model/error-class.js';
import { messageTooLarge, type OpenStream, type StreamAdapter } from './http-stream.js';
import type { StreamEnd } from './stream-tracker.js';

export const websocket: StreamAdapter = (context) => {
  // Set by the executor below, which runs before the constructor returns.
  let stop!: OpenStream['stop'];
  const ended = new Promise<StreamEnd>((resolve) => {
    const { events, spec, target } = context;
    const url = new URL(spec.path, context.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, {
      headers: spec.headers,
      handshakeTimeout: context.headersTimeoutMs,
      perMessageDeflate: false,
      // ws refuses a larger message before holding it: bounded memory.
      maxPayload: context.maxMessageBytes,
      rejectUnauthorized: !target.insecureSkipTLSVerify,
    });
    const timers: NodeJS.Timeout[] = [];
    let idle: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (end: StreamEnd) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearInterval);
      clearTimeout(idle);
      resolve(end);
    };
    const touch = () => {
      if (settled) return; // late messages while the socket closes must not arm a new timer
      clearTimeout(idle);
      idle = setTimeout(() => {
        socket.terminate();
        settle({ kind: 'error', error: classifyError(codedError('UND_ERR_BODY_TIMEOUT', `no message or pong for ${context.idleTimeoutMs}ms`)) });
      }, context.idleTimeoutMs);
    };
    stop = () => {
      socket.close(1000, 'hold over');
      settle({ kind: 'closed', code: 1000 });
    };

    socket.on('upgrade', (response) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers[name] = value;
      events.opened({ status: response.statusCode ?? 101, headers });
    });
    socket.on('unexpected-response', (_request, response) => {
      events.opened({ status: response.statusCode ?? 0, headers: {} });
      response.resume();
      socket.terminate();
      settle({ kind: 'error', error: statusError(response.statusCode ?? 0) });
    });
    socket.on('open', () => {
      touch();
      timers.push(setInterval(() => socket.ping(), Math.max(100, context.idleTimeoutMs / 3)));
      if (context.send) timers.push(setInterval(() => socket.send(context.send!.message), context.send.everyMs));
    });
    socket.on('message', (data: Buffer) => {
      touch();
      events.bytes(data);
      events.message({ data: data.toString('utf8') });
    });
    socket.on('pong', touch);
    socket.on('close', (code, reason) => settle({ kind: 'closed', code, reason: reason.toString('utf8') }));
    // An oversized message is the same fault as an endless SSE line, and named the same.
    socket.on('error', (error: Error & { code?: string }) =>
      settle({ kind: 'error', error: error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? messageTooLarge(context.maxMessageBytes) : classifyError(error) }),
    );
  });
  return { ended, stop };
};
