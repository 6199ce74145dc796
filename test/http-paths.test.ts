/**
 * The load probe's two HTTP/1.1 clients, the lean one (fixed-request-pool.ts) and undici's
 * pool (the reference), against one corpus of responses written byte by byte by a raw
 * socket server on loopback: every framing a server may use, and the ways a response can
 * fail. Both must report the same status, body bytes, errors, instance and timing phases.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFixedRequestPool } from '../src/runner/fixed-request-pool.js';
import { createUndiciPool, type PooledResult, type RequestPool } from '../src/runner/http-pool.js';
import { now } from '../src/runner/http.js';

type Write = (socket: Socket) => Promise<void> | void;
const head = (status: string, headers: string[]) => `HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;

/** Each path's response, as bytes on the socket (and what the socket does after). */
const CORPUS: Record<string, Write> = {
  '/length': (s) => void s.write(head('200 OK', ['Content-Length: 5', 'X-Instance-Id: instance-7']) + 'hello'),
  '/chunked': (s) => void s.write(head('200 OK', ['Transfer-Encoding: chunked']) + '5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n'),
  '/close': (s) => void s.end(head('200 OK', ['Connection: close']) + 'read until the connection closes'),
  '/early-hints': (s) => void s.write(head('103 Early Hints', ['Link: </style.css>; rel=preload']) + head('200 OK', ['Content-Length: 2']) + 'ok'),
  '/unasked-continue': (s) => void s.write(head('100 Continue', []) + head('200 OK', ['Content-Length: 2']) + 'ok'),
  '/no-content': (s) => void s.write(head('204 No Content', [])),
  '/not-modified': (s) => void s.write(head('304 Not Modified', ['ETag: "x"'])),
  '/not-modified-with-length': (s) => void s.write(head('304 Not Modified', ['Content-Length: 10', 'ETag: "x"'])),
  '/error': (s) => void s.write(head('503 Service Unavailable', ['Content-Length: 4', 'Retry-After: 1']) + 'busy'),
  '/split': async (s) => {
    // The head and the body in pieces, across TCP writes.
    const bytes = head('200 OK', ['Content-Type: text/plain', 'Content-Length: 12']) + 'split apart!';
    for (const piece of [bytes.slice(0, 11), bytes.slice(11, 30), bytes.slice(30, -5), bytes.slice(-5)]) {
      s.write(piece);
      await sleep(15);
    }
  },
  '/drip': async (s) => {
    s.write(head('200 OK', ['Transfer-Encoding: chunked']));
    for (let i = 0; i < 5; i++) {
      await sleep(30);
      s.write('3\r\ntok\r\n');
    }
    s.write('0\r\n\r\n');
  },
  '/reset': async (s) => {
    s.write(head('200 OK', ['Content-Length: 100']) + 'ten bytes!');
    await sleep(20);
    s.resetAndDestroy();
  },
  '/closed-mid-body': async (s) => {
    s.write(head('200 OK', ['Content-Length: 100']) + 'ten bytes!');
    await sleep(20);
    s.end();
  },
  '/closed-before-head': (s) => void s.end(),
};

/** A server that answers each request on a socket as its path says, keeping the socket open unless the answer closes it. */
async function corpusServer(): Promise<string> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let pending = '';
    let busy = Promise.resolve();
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const [method, path] = pending.slice(0, pending.indexOf('\r\n')).split(' ');
        pending = pending.slice(end + 4);
        const write = CORPUS[path!]!;
        busy = busy.then(async () => {
          if (method === 'HEAD') socket.write(head('200 OK', ['Content-Length: 5']));
          else await write(socket);
        });
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type CreatePool = typeof createFixedRequestPool;

/** Sends the request three times in a row (the second and third on a kept-alive socket where the server keeps it), one at a time. */
async function sendThrice(create: CreatePool, origin: string, method: string, path: string): Promise<PooledResult[]> {
  const results: PooledResult[] = [];
  let done: (result: PooledResult) => void = () => undefined;
  const pool: RequestPool = create(origin, { method, path, headers: { accept: '*/*' } }, 'X-Instance-Id', {
    connections: 1,
    timeoutMs: 5000,
    rejectUnauthorized: true,
    onDone: (result) => done(result),
  });
  try {
    for (let i = 0; i < 3; i++) {
      results.push(
        await new Promise<PooledResult>((resolve) => {
          done = resolve;
          pool.send(now(), 'corpus');
        }),
      );
    }
  } finally {
    await pool.destroy();
  }
  return results;
}

/** What must be the same whichever client sent the request: the timings by which phases happened and in which order. */
function observed({ intendedAt, sentAt, headersAt, endedAt, status, bytes, error, instanceId }: PooledResult) {
  const ordered = [intendedAt, sentAt, headersAt, endedAt].filter((t) => t !== undefined);
  return {
    status,
    bytes,
    error: error && { code: error.code, class: error.class },
    instanceId,
    phases: { sent: sentAt !== undefined, headers: headersAt !== undefined, ended: endedAt > 0 },
    inOrder: ordered.every((t, i) => i === 0 || t! >= ordered[i - 1]!),
  };
}

describe('the lean HTTP/1.1 client against undici, on one corpus of responses', async () => {
  const origin = await corpusServer();
  const cases: Array<[string, string, Partial<ReturnType<typeof observed>>]> = [
    ['GET', '/length', { status: 200, bytes: 5, instanceId: 'instance-7' }],
    ['GET', '/chunked', { status: 200, bytes: 12 }],
    ['GET', '/close', { status: 200, bytes: 32 }],
    ['GET', '/early-hints', { status: 200, bytes: 2 }],
    ['GET', '/no-content', { status: 204, bytes: 0 }],
    ['GET', '/not-modified', { status: 304, bytes: 0 }],
    ['HEAD', '/length', { status: 200, bytes: 0 }],
    ['GET', '/error', { status: 503, bytes: 4, error: { code: 'HTTP_503', class: 'status-5xx' } }],
    ['GET', '/split', { status: 200, bytes: 12 }],
    ['GET', '/drip', { status: 200, bytes: 15 }],
    ['GET', '/reset', { status: 200, error: { code: 'ECONNRESET', class: 'reset' } }],
    ['GET', '/closed-mid-body', { status: 200, error: { code: 'UND_ERR_SOCKET', class: 'reset' } }],
    ['GET', '/closed-before-head', { status: undefined, bytes: 0, error: { code: 'UND_ERR_SOCKET', class: 'reset' } }],
  ];
  for (const [method, path, expected] of cases) {
    it(`${method} ${path}: the same status, bytes, error, instance and phases from both`, async () => {
      const lean = (await sendThrice(createFixedRequestPool, origin, method, path)).map(observed);
      const undici = (await sendThrice(createUndiciPool, origin, method, path)).map(observed);
      assert.deepEqual(lean, undici);
      for (const result of lean) {
        assert.ok(result.inOrder, 'intended ≤ sent ≤ headers ≤ end');
        for (const [field, value] of Object.entries(expected)) assert.deepEqual(result[field as keyof typeof result], value, field);
      }
    });
  }

  // RFC 9110 §15.2: a client parses a 1xx it did not ask for; §15.4.5: a 304's Content-Length is the
  // representation's, and no body follows. undici fails both; the lean client reads the final response.
  // Asserted both ways, so that a change on either side shows here.
  for (const [path, status] of [
    ['/unasked-continue', 200],
    ['/not-modified-with-length', 304],
  ] as const) {
    it(`GET ${path}: the lean client reads the response as RFC 9110 says, where undici reports an error`, async () => {
      const lean = (await sendThrice(createFixedRequestPool, origin, 'GET', path)).map(observed);
      const undici = (await sendThrice(createUndiciPool, origin, 'GET', path)).map(observed);
      assert.ok(
        lean.every((r) => r.status === status && r.error === undefined),
        JSON.stringify(lean),
      );
      assert.ok(
        undici.every((r) => r.error !== undefined),
        JSON.stringify(undici),
      );
    });
  }

  it('records a refused connection with the same error from both', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const closedPort = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
    const lean = (await sendThrice(createFixedRequestPool, closedPort, 'GET', '/')).map(observed);
    const undici = (await sendThrice(createUndiciPool, closedPort, 'GET', '/')).map(observed);
    assert.deepEqual(lean, undici);
    assert.deepEqual(lean[0]!.error, { code: 'ECONNREFUSED', class: 'refused' });
  });
});
