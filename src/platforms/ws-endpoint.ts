/**
 * The reference app's WebSockets. `GET /ws`: numbered messages every `interval` ms
 * (`{"seq":N}`), an echo of whatever the client sends (`{"echo":…}`) and a server ping every
 * 5 s. `GET /ws/chat/:id`: the chat journey's answer (chat-api.ts). Loaded on the first
 * upgrade only, so instances that never see a WebSocket start as fast as before.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { answerOverSocket, chatSocketAccess } from './chat-api.js';
import { tokenStreamOptions } from './token-stream.js';

const PING_EVERY_MS = 5000;
let server: Promise<WebSocketServer> | undefined;

export async function handleWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, identity: () => Record<string, string>): Promise<void> {
  server ??= import('ws').then(({ WebSocketServer }) => {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    wss.on('headers', (headers) => headers.push(...Object.entries(identity()).map(([name, value]) => `${name}: ${value}`)));
    return wss;
  });
  const wss = await server;
  const url = new URL(req.url ?? '/', 'http://instance');
  const chat = /^\/ws\/chat\/([^/]+)$/.exec(url.pathname);
  if (chat) return chatSocket(wss, req, socket, head, url, chat[1]!);
  const options = tokenStreamOptions(url);
  wss.handleUpgrade(req, socket, head, (ws) => {
    let seq = 0;
    const send = setInterval(() => {
      if (seq >= options.tokens) return ws.close(1000, 'done');
      if (seq !== options.skip) ws.send(JSON.stringify({ seq }));
      seq += 1;
    }, options.intervalMs);
    const ping = setInterval(() => ws.ping(), PING_EVERY_MS);
    const closeAfter = options.closeAfterMs === undefined ? undefined : setTimeout(() => ws.close(1011, 'closing early'), options.closeAfterMs);
    ws.on('message', (data) => ws.send(JSON.stringify({ echo: data.toString() })));
    ws.on('close', () => {
      clearInterval(send);
      clearInterval(ping);
      clearTimeout(closeAfter);
    });
  });
}

/** A prompt in, the answer's tokens out; a wrong token or another user's conversation is refused before the upgrade. */
function chatSocket(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, id: string): void {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('token') ?? undefined;
  const access = chatSocketAccess(token, id);
  if ('status' in access) {
    socket.end(`HTTP/1.1 ${access.status} ${STATUS_CODES[access.status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const answers: Array<() => void> = [];
    ws.on('message', (data) => {
      let prompt: unknown;
      try {
        prompt = (JSON.parse(data.toString()) as { prompt?: unknown }).prompt;
      } catch {
        prompt = undefined;
      }
      if (typeof prompt !== 'string' || !prompt) return ws.send(JSON.stringify({ error: 'prompt is required' }));
      answers.push(answerOverSocket((message) => ws.send(message), url));
    });
    ws.on('close', () => answers.forEach((stop) => stop()));
  });
}
