/**
 * The reference app's `GET /ws`: numbered messages every `interval` ms (`{"seq":N}`), an echo
 * of whatever the client sends (`{"echo":…}`) and a server ping every 5 s. Loaded on the first
 * upgrade only, so instances that never see a WebSocket start as fast as before.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
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
  const options = tokenStreamOptions(new URL(req.url ?? '/', 'http://instance'));
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
