/**
 * HTTP/2 targets against real node:http2 servers on loopback: h2c (prior knowledge) and h2
 * over TLS (a self-signed certificate made with openssl), a TLS server that offers only
 * HTTP/1.1 (a fallback, shown as such), SSE streams over h2, and flows. What a target spoke
 * comes from its connections (ALPN), not from its configuration.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FlowSample, LoadSample, StreamSample } from '../src/model/records.js';
import { startAlwaysOn } from '../src/platforms/always-on.js';
import { platform, runOneProbe, selfSignedCertificate, serve } from './helpers.js';

/** Answers "ok", an SSE stream of 5 events on /events, and JSON with the protocol on /whoami. */
function handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const path = headers[':path'] ?? '/';
  if (path.startsWith('/events')) {
    stream.respond({ ':status': 200, 'content-type': 'text/event-stream', 'x-instance-id': 'h2-server' });
    let seq = 0;
    const timer = setInterval(() => {
      seq += 1;
      stream.write(`id: ${seq}\ndata: {"seq":${seq}}\n\n`);
      if (seq === 5) {
        clearInterval(timer);
        stream.end('event: done\ndata: [DONE]\n\n');
      }
    }, 20);
    stream.on('close', () => clearInterval(timer));
    return;
  }
  stream.respond({ ':status': path === '/signin' ? 200 : 200, 'content-type': 'application/json', 'x-instance-id': 'h2-server' });
  stream.end(JSON.stringify({ protocol: 'h2', token: 'tok-1', path }));
}

async function listen(server: http2.Http2Server | http2.Http2SecureServer | ReturnType<typeof createHttpsServer>, scheme: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const sessions = new Set<http2.ServerHttp2Session>();
after(() => {
  for (const session of sessions) session.destroy();
});
const { key, cert } = selfSignedCertificate();
const plain = http2.createServer();
plain.on('stream', handle);
plain.on('session', (session) => sessions.add(session));
const h2c = await listen(plain, 'http');
const secure = http2.createSecureServer({ key, cert });
secure.on('stream', handle);
secure.on('session', (session) => sessions.add(session));
const h2tls = await listen(secure, 'https');
const http1tls = await listen(
  createHttpsServer({ key, cert }, (_req, res) => res.end('ok')),
  'https',
);

describe('HTTP/2 targets', () => {
  const h2 = ', http: { version: 2 }, insecureSkipTLSVerify: true';

  it('sends a load stage over h2c (prior knowledge) and says the target spoke h2', async () => {
    const run = await runOneProbe<LoadSample>(h2c, 'load', 'stages: [{ name: s, rate: 200/s, duration: 1s }]\nconnections: 2', '', h2);
    const sent = run.samples.filter((s) => s.kind === 'load' && !s.dropped);
    assert.equal(sent.length, 200);
    assert.ok(sent.every((s) => s.ok && s.status === 200));
    const http2Summary = run.summary.targets.t!.http2!;
    assert.equal(http2Summary.h2, http2Summary.connections);
    assert.ok(http2Summary.connections >= 1 && http2Summary.connections <= 2);
    // Streams share a connection: 200 requests on at most two.
    assert.equal(run.summary.targets.t!.load!.s!.requests, 200);
  });

  it('negotiates h2 by ALPN over TLS, and shows an HTTP/1.1-only server as a fallback', async () => {
    const tls = await runOneProbe<LoadSample>(h2tls, 'load', 'stages: [{ name: s, rate: 50/s, duration: 1s }]\nconnections: 2', '', h2);
    assert.equal(tls.samples.filter((s) => s.kind === 'load' && s.ok).length, 50);
    assert.deepEqual([tls.summary.targets.t!.http2!.h2 > 0, tls.summary.targets.t!.http2!.http1], [true, 0]);
    const fallback = await runOneProbe<LoadSample>(http1tls, 'load', 'stages: [{ name: s, rate: 50/s, duration: 1s }]\nconnections: 2', '', h2);
    assert.equal(fallback.samples.filter((s) => s.kind === 'load' && s.ok).length, 50);
    const spoke = fallback.summary.targets.t!.http2!;
    assert.deepEqual([spoke.h2, spoke.http1 > 0], [0, true]);
    const { readFileSync: read } = await import('node:fs');
    assert.match(read(join(fallback.dir, 'report.md'), 'utf8'), /t asked for HTTP\/2: FELL BACK to HTTP\/1\.1 on all \d+ connections/);
  });

  it('streams SSE events over h2, as over HTTP/1.1', async () => {
    for (const url of [h2c, h2tls]) {
      const run = await runOneProbe<StreamSample>(
        url,
        'stream',
        'protocol: sse\nrequest: { path: /events }\nconnections: 3\nopenRate: 30/s\nhold: 3s\nexpect: { sequenceField: seq }',
        '',
        h2,
      );
      const streams = run.samples.filter((s): s is StreamSample => s.kind === 'stream');
      assert.equal(streams.length, 3);
      assert.ok(
        streams.every((s) => s.outcome === 'completed' && s.events === 6 && s.lost === 0 && s.httpProtocol === 'h2' && s.instanceId === 'h2-server'),
        JSON.stringify(streams[0]),
      );
      assert.equal(run.summary.targets.t!.http2!.h2, 3);
    }
  });

  it('runs a flow over h2, each flow on its own connection', async () => {
    const run = await runOneProbe<FlowSample>(
      h2tls,
      'flow',
      `stages: [{ name: s, rate: 5/s, duration: 1s }]
steps:
  - { name: signin, request: { method: POST, path: /signin, body: { user: a } }, extract: { token: $.token } }
  - { name: use, request: { path: "/use?t=\${token}" }, check: { json: { $.path: "/use?t=tok-1" } } }`,
      '',
      h2,
    );
    const whole = run.samples.filter((s) => s.kind === 'flow' && s.step === undefined);
    assert.equal(whole.length, 5);
    assert.ok(
      whole.every((s) => s.ok && s.httpProtocol === 'h2'),
      JSON.stringify(whole.find((s) => !s.ok)),
    );
    assert.equal(run.summary.targets.t!.http2!.h2, 5);
  });

  it('records an HTTP/1.1-only server asked by prior knowledge as malformed responses, without claiming it spoke h2', async () => {
    const url = await serve((_req, res) => res.end('ok'));
    const run = await runOneProbe<LoadSample>(url, 'load', 'stages: [{ name: s, rate: 20/s, duration: 1s }]\nconnections: 2', '', ', http: { version: 2 }');
    const sent = run.samples.filter((s) => s.kind === 'load' && !s.dropped);
    assert.equal(sent.length, 20);
    assert.ok(sent.every((s) => !s.ok && s.error?.class === 'malformed' && s.error.code === 'ERR_HTTP2_ERROR'));
    assert.equal(run.summary.targets.t!.http2, undefined);
  });

  it('an embedded platform with http2 serves h2c and HTTP/1.1 on one port, the reference app behind it', async () => {
    const served = await platform(startAlwaysOn({ replicas: 1, http2: true }));
    const stage = 'stages: [{ name: s, rate: 30/s, duration: 1s }]\nrequest: { path: /health }\nconnections: 2';
    const overH2 = await runOneProbe<LoadSample>(served.url, 'load', stage, '', ', http: { version: 2 }');
    assert.equal(overH2.samples.filter((s) => s.kind === 'load' && s.ok && s.instanceId).length, 30);
    assert.equal(overH2.summary.targets.t!.http2!.http1, 0);
    assert.ok(overH2.summary.targets.t!.http2!.h2 > 0);
    const overHttp1 = await runOneProbe<LoadSample>(served.url, 'load', stage);
    assert.equal(overHttp1.samples.filter((s) => s.kind === 'load' && s.ok).length, 30);
    assert.equal(overHttp1.summary.targets.t!.http2, undefined);
  });
});
