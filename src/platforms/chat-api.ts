/**
 * The reference app's chat journey, what a flow scenario walks through:
 *   POST /api/signin {user, password}            → 200 {token}
 *   POST /api/conversations (Bearer token)       → 201 {conversation: {id, title}}
 *   POST /api/conversations/:id/messages {prompt} → SSE tokens, then `event: done` {messageId}
 *   GET  /api/conversations/:id (Bearer token)    → 200 {conversation: {id, messages}}
 *   GET  /ws/chat/:id (Bearer token, or ?token=)  → WebSocket: send {prompt}, get {seq, token}… then {done, messageId}
 * Tokens and ids are signed rather than stored, so every instance of a scaled deployment
 * accepts what another issued; a wrong token is 401, an id issued to another user 404, a
 * missing prompt 400. Those refusals are the server-side assertions a flow test relies on.
 * The message stream takes the token stream's query (tokens, interval).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Not a secret: any instance of the reference app must accept the tokens of another. */
const SIGNING_KEY = process.env.COLDBENCH_CHAT_KEY ?? 'coldbench-reference-app';

const sign = (text: string) => createHmac('sha256', SIGNING_KEY).update(text).digest('base64url');

function signed(text: string): string {
  return `${Buffer.from(text).toString('base64url')}.${sign(text)}`;
}

function verified(value: string | undefined): string | undefined {
  const [encoded, signature] = (value ?? '').split('.');
  if (!encoded || !signature) return undefined;
  const text = Buffer.from(encoded, 'base64url').toString();
  const expected = Buffer.from(sign(text));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? text : undefined;
}

type Send = (res: ServerResponse, status: number, body: unknown) => void;

/** Handles the chat routes; false when the path is not one of them. */
export function handleChat(req: IncomingMessage, res: ServerResponse, url: URL, send: Send): boolean {
  const path = url.pathname;
  if (!path.startsWith('/api/signin') && !path.startsWith('/api/conversations')) return false;
  void readJson(req).then((body) => route(req, res, url, body, send));
  return true;
}

function route(req: IncomingMessage, res: ServerResponse, url: URL, body: Record<string, unknown> | undefined, send: Send): void {
  const path = url.pathname;
  if (path === '/api/signin' && req.method === 'POST') {
    if (typeof body?.user !== 'string' || !body.user || typeof body.password !== 'string' || !body.password) {
      return send(res, 400, { error: 'user and password are required' });
    }
    return send(res, 200, { token: signed(`user:${body.user}`), user: body.user });
  }
  const user = verified(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1])?.replace(/^user:/, '');
  if (user === undefined) return send(res, 401, { error: 'a valid Bearer token is required' });
  if (path === '/api/conversations' && req.method === 'POST') {
    return send(res, 201, { conversation: { id: signed(`${user}:${randomUUID()}`), title: 'new', user } });
  }
  const match = /^\/api\/conversations\/([^/]+)(\/messages)?$/.exec(path);
  const owner = match && verified(decodeURIComponent(match[1]!))?.split(':')[0];
  if (!match || owner !== user) return send(res, 404, { error: 'no such conversation for this user' });
  if (!match[2]) return send(res, 200, { conversation: { id: match[1], user } });
  if (req.method !== 'POST') return send(res, 405, { error: 'POST a message' });
  if (typeof body?.prompt !== 'string' || !body.prompt) return send(res, 400, { error: 'prompt is required' });
  streamAnswer(res, url);
}

/** Whether the bearer of `token` may open conversation `id`'s WebSocket chat: its user, or the refusal's status. */
export function chatSocketAccess(token: string | undefined, id: string): { user: string } | { status: 401 | 404 } {
  const user = verified(token)?.replace(/^user:/, '');
  if (user === undefined) return { status: 401 };
  return verified(decodeURIComponent(id))?.split(':')[0] === user ? { user } : { status: 404 };
}

/** The answer over WebSocket: the same tokens as the SSE answer, then `{done, messageId}`. */
export function answerOverSocket(send: (message: string) => void, url: URL): () => void {
  const { tokens, intervalMs } = answerOptions(url);
  let seq = 0;
  const timer = setInterval(() => {
    seq += 1;
    send(JSON.stringify({ seq, token: `t${seq}` }));
    if (seq < tokens) return;
    clearInterval(timer);
    send(JSON.stringify({ done: true, messageId: randomUUID(), tokens }));
  }, intervalMs);
  return () => clearInterval(timer);
}

function answerOptions(url: URL): { tokens: number; intervalMs: number } {
  return {
    tokens: Math.max(1, Math.min(Number(url.searchParams.get('tokens') ?? 20) || 20, 10_000)),
    intervalMs: Math.max(0, Math.min(Number(url.searchParams.get('interval') ?? 20) || 0, 60_000)),
  };
}

/** The answer as SSE: one `token` event per token, then `done` with the message id. */
function streamAnswer(res: ServerResponse, url: URL): void {
  const { tokens, intervalMs } = answerOptions(url);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': answer\n\n');
  let seq = 0;
  const timer = setInterval(() => {
    seq += 1;
    res.write(`event: token\ndata: ${JSON.stringify({ seq, token: `t${seq}` })}\n\n`);
    if (seq < tokens) return;
    clearInterval(timer);
    res.end(`event: done\ndata: ${JSON.stringify({ messageId: randomUUID(), tokens })}\n\n`);
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

/** The JSON body of a request, or undefined when it has none or it is not JSON. At most 1 MB is read. */
function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1024 * 1024) chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', () => resolve(undefined));
  });
}
