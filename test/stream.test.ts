/** Stream probes against real loopback servers: the reference app and hand-made faulty ones. */
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { StreamSample } from '../src/model/records.js';
import { startAlwaysOn } from '../src/platforms/always-on.js';
import type { Platform } from '../src/platforms/front-server.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { appInProcess, runOneProbe, serve, tempDir } from './helpers.js';
import { WebSocketServer } from 'ws';

async function runStream(url: string, probe: string, verdicts = '') {
  const outcome = await runOneProbe<StreamSample>(url, 'stream', probe, verdicts);
  return { ...outcome, stream: outcome.summary.targets.t!.stream! };
}

describe("stream probes judge coldbench's own client", () => {
  it('opens 300 streams a second across three targets without adding to their time to first event', async () => {
    // Three servers in processes of their own, each sending its first event at once; 100 opens a second each.
    // A raw socket client sees 2–4 ms here (npm run bench); coldbench measured 58–103 ms p50 before its open path was warmed.
    const urls = await Promise.all([appInProcess(), appInProcess(), appInProcess()]);
    const text = `name: opens
targets:
${urls.map((url, i) => `  t${i}: { url: "${url}" }`).join('\n')}
probes:
  - kind: stream
    protocol: sse
    request: { method: POST, path: "/api/chat?interval=200&tokens=20" }
    connections: 20
    openRate: 100/s
    hold: 1s
`;
    const { summary } = await runScenario(parseScenario(text, 'opens.yaml'), { outDir: tempDir() });
    for (const target of ['t0', 't1', 't2']) {
      const { timeToFirstEventMs: ttfe, survived } = summary.targets[target]!.stream!;
      assert.equal(survived, 20);
      // The median only: of 20 opens, p90 is the second worst, which the other test files running beside this one decide.
      assert.ok(ttfe!.p50 < 15, `${target}: time to first event p50 ${ttfe!.p50}ms, p90 ${ttfe!.p90}ms (n=${ttfe!.count})`);
    }
  });

  it('calls latency SLOs invalid, naming the loop delay, when its own event loop is blocked', async () => {
    // The server runs in its own process: only coldbench's event loop is starved.
    const url = await appInProcess();
    const busy = setInterval(() => {
      const until = performance.now() + 40;
      while (performance.now() < until);
    }, 100);
    const { summary, exitCode } = await runStream(
      url,
      'protocol: sse\nrequest: { method: POST, path: "/api/chat?interval=50" }\nconnections: 5\nhold: 2s\nslo: { survival: ">= 50%", timeToFirstEventP95: "< 200ms", gapP99: "< 300ms" }',
    ).finally(() => clearInterval(busy));
    const checks = Object.fromEntries(summary.targets.t!.stream!.slo.map((c) => [c.metric, c]));
    assert.equal(checks.survival!.status, 'pass');
    for (const metric of ['timeToFirstEventP95', 'gapP99']) {
      assert.equal(checks[metric]!.status, 'invalid', `${metric}: ${checks[metric]!.detail}`);
      assert.match(
        checks[metric]!.detail,
        /^coldbench's own event loop lagged \(event-loop delay p99 [\d.]+ms; over 10% of the \w+ limit [\d.]+ms\): the client, not the server, may have caused this/,
      );
    }
    // No verdicts section: the declared SLOs are the verdict, and it is invalid, not failed or passed.
    assert.deepEqual(
      summary.verdicts.map((v) => [v.id, v.status]),
      [['stream-slo', 'invalid']],
    );
    assert.equal(exitCode, 2);
  });
});

describe('stream probes against the reference app', () => {
  let app: Platform;
  before(async () => {
    app = await startAlwaysOn({ replicas: 1 });
  });
  after(() => app.close());

  it('counts skipped sequence numbers as lost messages (SSE ids, NDJSON seq field)', async () => {
    const sse = await runStream(app.url, 'protocol: sse\nrequest: { method: POST, path: "/api/chat?tokens=20&interval=20&skip=5" }\nconnections: 2\nhold: 5s');
    assert.equal(sse.stream.lostMessages, 2, 'one skipped token on each of two streams');
    assert.equal(sse.stream.survived, 2, 'a stream that completes properly is kept');
    assert.deepEqual(
      sse.samples.map((s) => s.outcome),
      ['completed', 'completed'],
    );
    const ndjson = await runStream(
      app.url,
      'protocol: ndjson\nrequest: { method: POST, path: "/api/generate?tokens=20&interval=20&skip=7" }\nconnections: 1\nhold: 5s\nexpect: { sequenceField: seq }',
    );
    assert.equal(ndjson.stream.lostMessages, 1);
    assert.equal(ndjson.stream.events, 20, '19 tokens and the done line');
  });

  it('shows a server closing after 1 s in the survival curve at 1 s', async () => {
    const { stream } = await runStream(
      app.url,
      'protocol: sse\nrequest: { method: POST, path: "/api/chat?interval=100&closeAfter=1000" }\nconnections: 10\nopenRate: 100/s\nhold: 3s',
    );
    assert.equal(stream.survived, 0);
    assert.deepEqual(stream.droppedByCause, { reset: 10 });
    const cut = stream.survivalCurve.find((point) => point.alive === 0)!;
    assert.ok(cut.atMs >= 1000 && cut.atMs <= 1300, `curve reaches 0 at ${cut.atMs}ms`);
    assert.ok(stream.survivalCurve.filter((point) => point.atMs < 990).every((point) => point.alive === 1));
  });

  it('resumes an SSE stream from the last event id after a drop', async () => {
    const { samples, stream } = await runStream(
      app.url,
      'protocol: sse\nrequest: { method: POST, path: "/api/chat?interval=50&closeAfter=500" }\nconnections: 1\nhold: 2s\nreconnect: { enabled: true, maxAttempts: 10 }',
    );
    assert.ok(stream.reconnects >= 2, `${stream.reconnects} reconnects`);
    assert.equal(stream.lostMessages, 0);
    assert.equal(stream.duplicates, 0, 'the server resumed after Last-Event-ID, not from the start');
    const [first, second] = samples;
    assert.equal(first!.outcome, 'dropped');
    assert.ok(Number(second!.lastEventId) > Number(first!.lastEventId));
    assert.ok(second!.reconnectMs! > 0 && second!.reconnectMs! < 500);
    assert.equal(samples.at(-1)!.outcome, 'alive', 'the last connection is held to the end of the hold');
  });

  it('separates time to first event from time to first byte', async () => {
    const { stream } = await runStream(
      app.url,
      'protocol: sse\nrequest: { method: POST, path: "/api/chat?interval=50&firstDelay=500" }\nconnections: 2\nhold: 1s',
    );
    assert.ok(stream.ttfbMs!.p50 < 100, `ttfb ${stream.ttfbMs!.p50}ms`);
    assert.ok(stream.timeToFirstEventMs!.p50 >= 450 && stream.timeToFirstEventMs!.p50 < 800, `first event ${stream.timeToFirstEventMs!.p50}ms`);
  });

  it('keeps WebSocket streams with pings and echoes, and records a close code', async () => {
    const kept = await runStream(
      app.url,
      'protocol: websocket\nrequest: { path: "/ws?interval=50" }\nconnections: 2\nhold: 1s\nsend: { every: 200ms, message: hello }\nexpect: { sequenceField: seq }',
    );
    assert.equal(kept.stream.survived, 2);
    assert.ok(kept.samples.every((s) => s.outcome === 'alive' && s.events > 15));
    const closed = await runStream(app.url, 'protocol: websocket\nrequest: { path: "/ws?interval=50&closeAfter=300" }\nconnections: 2\nhold: 1s');
    assert.deepEqual(closed.stream.droppedByCause, { 'ws-close-1011': 2 });
  });
});

describe('malformed and silent streams', () => {
  it('parses an NDJSON line split across chunks once', async () => {
    const url = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"seq":0,"done":false}\n{"se');
      setTimeout(() => res.end('q":1,"done":false}\n{"done":true}\n'), 50);
    });
    const { samples } = await runStream(url, 'protocol: ndjson\nconnections: 1\nhold: 2s\nexpect: { sequenceField: seq }');
    assert.deepEqual([samples[0]!.events, samples[0]!.malformed, samples[0]!.lost, samples[0]!.outcome], [3, 0, 0, 'completed']);
  });

  it('never keeps a stream of garbage: no event, only malformed lines, fails survival', async () => {
    const url = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: soon\nretry: later\n\n'.repeat(30));
    });
    const { stream, summary, exitCode } = await runStream(
      url,
      'protocol: sse\nconnections: 30\nopenRate: 100/s\nhold: 1s',
      '  - streamSurvival: { target: t, atLeast: 90% }',
    );
    assert.deepEqual([stream.survived, stream.events, stream.droppedByCause], [0, 0, { malformed: 30 }]);
    assert.equal(stream.malformed, 30 * 60);
    assert.equal(summary.verdicts[0]!.status, 'fail');
    assert.equal(exitCode, 1);
  });

  it('ends a stream whose line never ends at maxMessageBytes, as malformed, with the first bytes as evidence', async () => {
    let sent = 0;
    const url = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: ');
      const chunk = 'x'.repeat(64 * 1024);
      const timer = setInterval(() => {
        sent += chunk.length;
        res.write(chunk);
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    const { samples, stream } = await runStream(url, 'protocol: sse\nconnections: 1\nhold: 20s\nmaxMessageBytes: 1048576');
    const [sample] = samples;
    assert.equal(sample!.cause, 'malformed');
    assert.equal(sample!.error?.code, 'CB_MESSAGE_TOO_LARGE');
    assert.ok(sample!.bytes > 1024 * 1024 && sample!.bytes < 2 * 1024 * 1024, `${sample!.bytes} bytes read before it stopped`);
    assert.ok(sample!.endedAfterMs < 5000, `ended after ${sample!.endedAfterMs}ms of a 20s hold`);
    assert.match(sample!.evidence!, /^data: x+$/);
    assert.equal(stream.survived, 0);
    assert.ok(sent < 64 * 1024 * 1024, 'the server was stopped, not read forever');
  });

  it('ends a WebSocket stream at a message over maxMessageBytes with the same cause as an endless SSE line', async (t) => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    t.after(() => server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => socket.send('x'.repeat(2 * 1024 * 1024)));
    const { samples } = await runStream(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      'protocol: websocket\nconnections: 1\nhold: 5s\nmaxMessageBytes: 1048576',
    );
    assert.deepEqual(
      samples.map((s) => [s.outcome, s.cause, s.error?.code]),
      [['dropped', 'malformed', 'CB_MESSAGE_TOO_LARGE']],
    );
  });

  it("backs off from a server that answers retry: 0 and closes at once, instead of reconnecting at the loop's speed", async () => {
    let connections = 0;
    const url = await serve((_, res) => {
      connections += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('retry: 0\n\n');
    });
    await runStream(url, 'protocol: sse\nconnections: 5\nopenRate: 100/s\nhold: 2s\nreconnect: { enabled: true, maxAttempts: 100000 }');
    // 100 + 200 + 400 + 800 ms of backoff fit in the two seconds: five or six connections a stream.
    assert.ok(connections >= 10 && connections <= 40, `${connections} connections in 2 s for 5 streams`);
  });

  it("reads the instance from the target's own identity header", async () => {
    const url = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-pod': 'pod-7' });
      res.end('{"seq":0}\n{"done":true}\n');
    });
    const { samples, stream } = await runOneProbe<StreamSample>(
      url,
      'stream',
      'protocol: ndjson\nconnections: 2\nhold: 2s',
      '',
      ', identity: { instanceIdHeader: X-Pod }',
    ).then((o) => ({
      ...o,
      stream: o.summary.targets.t!.stream!,
    }));
    assert.deepEqual(
      samples.map((s) => s.instanceId),
      ['pod-7', 'pod-7'],
    );
    assert.equal(stream.instances, 1);
  });

  it('counts invalid JSON lines and keeps the evidence', async () => {
    const url = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end('{"seq":0}\nnot json at all\n{"seq":1}\n');
    });
    const { samples } = await runStream(url, 'protocol: ndjson\nconnections: 1\nhold: 2s');
    assert.equal(samples[0]!.malformed, 1);
    assert.equal(samples[0]!.events, 2);
    assert.equal(samples[0]!.cause, 'closed-early', 'no done line: the server ended it early');
    assert.match(samples[0]!.evidence!, /not json at all/);
  });

  it('classifies malformed SSE (bad retry, no blank line) and keeps the first bytes', async () => {
    const url = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('retry: soon\ndata: never dispatched');
    });
    const { samples } = await runStream(url, 'protocol: sse\nconnections: 1\nhold: 2s');
    assert.equal(samples[0]!.outcome, 'dropped');
    assert.equal(samples[0]!.cause, 'closed-early');
    assert.equal(samples[0]!.events, 0);
    assert.ok(samples[0]!.malformed >= 1);
    assert.match(samples[0]!.evidence!, /^retry: soon/);
  });

  it('gives up on a server that accepts and never answers, within the timeout', async () => {
    const server = createTcpServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { samples, elapsedMs } = await runStream(url, 'protocol: sse\nconnections: 2\nhold: 5s\ntimeout: 400ms');
    assert.deepEqual(
      samples.map((s) => s.cause),
      ['timeout', 'timeout'],
    );
    assert.ok(elapsedMs < 3000, `${elapsedMs}ms`);
  });

  it('stops a stream that goes silent after its headers at the idle timeout', async () => {
    const url = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
    });
    const { samples } = await runStream(url, 'protocol: sse\nconnections: 1\nhold: 5s\nidleTimeout: 300ms');
    assert.deepEqual([samples[0]!.outcome, samples[0]!.cause, samples[0]!.events], ['dropped', 'timeout', 1]);
  });
});
