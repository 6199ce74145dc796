/**
 * Flows wherever a request is: a cold-start probe whose first step is the cold request (the
 * whole journey timed too), a stream opened after the steps that sign in, and WebSocket steps
 * (YAML and script). Against the reference app, whose chat routes refuse a wrong token or
 * another user's conversation: what the server accepts shows that the extracts were used.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ColdstartSample, FlowSample, StreamSample } from '../src/model/records.js';
import { startAlwaysOn } from '../src/platforms/always-on.js';
import { STATUS_PATH } from '../src/platforms/front-server.js';
import { startScaleToZero } from '../src/platforms/scale-to-zero.js';
import { runScenario } from '../src/run-scenario.js';
import { generateK6 } from '../src/k6/script.js';
import { loadScenarioFile, parseScenario } from '../src/scenario/read.js';
import { appInProcess, platform, runOneProbe, storedSamples, tempDir } from './helpers.js';

const SIGN_IN = `
  - name: signin
    request: { method: POST, path: /api/signin, body: { user: ada, password: pw } }
    extract: { token: $.token }
  - name: conversation
    request: { method: POST, path: /api/conversations, headers: { authorization: "Bearer \${token}" } }
    check: { status: 201 }
    extract: { conversationId: $.conversation.id }`;

const READ_BACK = `
  - name: read-back
    request: { method: GET, path: "/api/conversations/\${conversationId}", headers: { authorization: "Bearer \${token}" } }
    check: { json: { $.conversation.user: ada } }`;

/** Steps written for a probe at the top level, for one nested in a scenario's probes. */
const indent = (steps: string) => steps.replace(/\n/g, '\n    ');

describe('a cold-start probe with steps', () => {
  it('takes the first step as the cold request, times the whole journey from it, and runs the journey again warm', async () => {
    const cold = await platform(startScaleToZero({ startupDelayMs: 300, idleMs: 200, concurrency: 10 }));
    const text = `name: journey
targets:
  cloudrun:
    url: ${cold.url}
    coldStart:
      trigger:
        idle: 300ms
        waitFor: { http: { url: "${cold.url}${STATUS_PATH}", bodyMatches: '"instances":0' }, interval: 20ms, timeout: 10s }
probes:
  - kind: coldstart
    samples: 3
    warmFollowUps: 2
    steps:${indent(SIGN_IN + READ_BACK)}
`;
    const outcome = await runScenario(parseScenario(text, 'journey.yaml'), { outDir: tempDir() });
    const summary = outcome.summary.targets.cloudrun!.coldStart!;
    assert.deepEqual([summary.samples, summary.cold, summary.errors], [3, 3, 0]);
    const journey = summary.journey!;
    assert.deepEqual(journey.steps, ['signin', 'conversation', 'read-back']);
    assert.deepEqual([journey.journeys, journey.errors, journey.coldMs?.count, journey.warmMs?.count], [3, 0, 3, 6]);
    // The cold journey waits for an instance to start (300 ms); the warm ones do not.
    assert.ok(journey.coldMs!.p50 > journey.warmMs!.p50 + 150, `cold ${journey.coldMs!.p50}ms, warm ${journey.warmMs!.p50}ms`);
    const firsts = storedSamples<ColdstartSample>(outcome.dir).filter((s) => s.request === 'first');
    // Both from the same intended start: the journey ends after its first request does.
    assert.ok(firsts.every((s) => s.cold === true && s.journeyMs! > s.latencyMs));
  });

  it('counts a journey that a later step ended as an error of that step, not as a failed cold start', async () => {
    const warm = await platform(startAlwaysOn({ replicas: 1 }));
    const forged = SIGN_IN.replace('Bearer ${token}', 'Bearer forged.token');
    const text = `name: journey
targets: { k8s: { url: "${warm.url}" } }
probes:
  - kind: coldstart
    samples: 2
    warmFollowUps: 1
    steps:${indent(forged + READ_BACK)}
`;
    const outcome = await runScenario(parseScenario(text, 'journey.yaml'), { outDir: tempDir() });
    const summary = outcome.summary.targets.k8s!.coldStart!;
    assert.deepEqual([summary.samples, summary.errors], [2, 0]);
    assert.deepEqual([summary.journey!.errors, summary.journey!.errorsByStep, summary.journey!.firstMs], [2, { conversation: 2 }, null]);
    const firsts = storedSamples<ColdstartSample>(outcome.dir).filter((s) => s.request === 'first');
    assert.ok(firsts.every((s) => s.ok && s.journeyError?.code === 'HTTP_401' && s.journeyMs === undefined));
  });

  it('refuses request and steps together, and an unknown variable in a step, before any traffic', () => {
    const text = `name: bad
targets: { t: { url: "http://127.0.0.1:9" } }
probes:
  - kind: coldstart
    samples: 1
    request: { path: /health }
    steps:
      - name: first
        request: { path: "/x/\${nowhere}" }
`;
    assert.throws(
      () => parseScenario(text, 'bad.yaml'),
      (error: Error & { details: string[] }) => {
        assert.match(error.details.join('\n'), /bad\.yaml:6 probes\[0\]\.request: a cold-start probe takes request or steps, not both/);
        assert.match(error.details.join('\n'), /bad\.yaml:9 .*unknown variable \$\{nowhere\} in step "first"/);
        return true;
      },
    );
  });
});

describe('a stream opened after steps', () => {
  const streamProbe = (before: string) => `protocol: sse
before:${before.replace(/^/gm, '  ')}
request:
  method: POST
  path: "/api/conversations/\${conversationId}/messages?tokens=10&interval=20"
  headers: { authorization: "Bearer \${token}" }
  body: { prompt: hi }
connections: 3
openRate: 10/s
hold: 3s`;

  it("opens each stream with what its own sign-in extracted: the server streams the answer only to the conversation's user", async () => {
    const url = await appInProcess();
    const run = await runOneProbe<StreamSample>(url, 'stream', streamProbe(SIGN_IN));
    const streams = run.samples.filter((s) => s.kind === 'stream');
    assert.equal(streams.length, 3);
    // Ten tokens and the terminal `done` event: the POST reached the answer, so the token and id were right.
    assert.deepEqual(
      streams.map((s) => [s.outcome, s.events, s.status]),
      [
        ['completed', 11, 200],
        ['completed', 11, 200],
        ['completed', 11, 200],
      ],
    );
  });

  it('records a stream whose steps failed as dropped, with the failing step and its cause', async () => {
    const url = await appInProcess();
    const run = await runOneProbe<StreamSample>(url, 'stream', streamProbe(SIGN_IN.replace('check: { status: 201 }', 'check: { status: 200 }')));
    const streams = run.samples.filter((s) => s.kind === 'stream');
    assert.equal(streams.length, 3);
    assert.ok(
      streams.every((s) => s.outcome === 'dropped' && s.cause === 'check' && /^step conversation: status 201, expected 200/.test(s.error!.message)),
      JSON.stringify(streams[0]),
    );
    assert.equal(run.summary.targets.t!.stream!.survival, 0);
  });

  it('refuses a stream request that names a variable no step before it extracts', () => {
    const text = `name: bad
targets: { t: { url: "http://127.0.0.1:9" } }
probes:
  - kind: stream
${streamProbe(SIGN_IN).replace('${conversationId}', '${conversation}').replace(/^/gm, '    ')}
`;
    assert.throws(
      () => parseScenario(text, 'bad.yaml'),
      (error: Error & { details: string[] }) => {
        assert.match(
          error.details.join('\n'),
          /bad\.yaml:\d+ probes\[0\]\.request\.path: unknown variable \$\{conversation\} in the stream's request \(path\)/,
        );
        return true;
      },
    );
  });
});

describe('WebSocket steps', () => {
  const WS_CHAT = `
  - name: chat
    request: { path: "/ws/chat/\${conversationId}?tokens=5&interval=5", headers: { authorization: "Bearer \${token}" } }
    stream: websocket
    send: ['{"prompt":"\${token}"}']
    until: '"done":true'
    check: { bodyContains: '"token":"t5"' }
    extract: { messageId: { path: $.messageId } }
  - name: read-back
    request: { method: GET, path: "/api/conversations/\${conversationId}", headers: { authorization: "Bearer \${token}", x-message: "\${messageId}" } }
    check: { json: { $.conversation.user: ada } }`;

  it('opens the chat socket with the extracted token and id, reads until the answer is done and extracts from its last message', async () => {
    const url = await appInProcess();
    const run = await runOneProbe<FlowSample>(url, 'flow', `name: chat\nstages: [{ name: s, rate: 5/s, duration: 1s }]\nsteps:${SIGN_IN}${WS_CHAT}`);
    const flow = run.summary.targets.t!.flow!.chat!;
    assert.deepEqual(
      flow.steps.map((s) => [s.name, s.requests, s.successes]),
      [
        ['signin', 5, 5],
        ['conversation', 5, 5],
        ['chat', 5, 5],
        ['read-back', 5, 5],
      ],
    );
    const chat = run.samples.filter((s) => s.kind === 'flow' && s.step === 'chat');
    assert.ok(chat.every((s) => s.status === 101 && s.latencyMs! > 0 && s.ttfbMs! <= s.latencyMs!));
  });

  it("is refused at the upgrade with another user's conversation: a status error of the step", async () => {
    const url = await appInProcess();
    const run = await runOneProbe<FlowSample>(
      url,
      'flow',
      `name: chat\nstages: [{ name: s, rate: 3/s, duration: 1s }]\nsteps:${SIGN_IN}${WS_CHAT.replace('/ws/chat/${conversationId}', '/ws/chat/someone-else.sig')}`,
    );
    const chat = run.samples.filter((s) => s.kind === 'flow' && s.step === 'chat');
    assert.equal(chat.length, 3);
    assert.ok(chat.every((s) => !s.ok && s.status === 404 && s.error?.code === 'HTTP_404'));
  });

  it('gives a script ctx.ws, timed as a step, and refuses send and until outside a WebSocket step', async () => {
    const url = await appInProcess();
    const dir = tempDir();
    writeFileSync(
      join(dir, 'ws.js'),
      `export default async function (ctx) {
  const { token } = (await ctx.step('signin', () => ctx.http({ method: 'POST', path: '/api/signin', body: { user: 'ada', password: 'pw' } }))).json();
  const { conversation } = (await ctx.http({ method: 'POST', path: '/api/conversations', headers: { authorization: 'Bearer ' + token } })).json();
  const answer = await ctx.step('chat', () =>
    ctx.ws({ path: '/ws/chat/' + conversation.id + '?tokens=3&interval=5', headers: { authorization: 'Bearer ' + token }, send: ['{"prompt":"hi"}'], until: '"done":true' }),
  );
  ctx.check(answer.messages.length === 4 && JSON.parse(answer.messages[3]).done === true, 'three tokens then done: ' + answer.messages.join(' '));
}
`,
    );
    writeFileSync(
      join(dir, 'flow.yaml'),
      `name: script\ntargets: { t: { url: "${url}" } }\nprobes:\n  - kind: flow\n    name: journey\n    stages: [{ name: s, rate: 3/s, duration: 1s }]\n    script: ws.js\n`,
    );
    const outcome = await runScenario(await loadScenarioFile(join(dir, 'flow.yaml')), { outDir: dir });
    const flow = outcome.summary.targets.t!.flow!.journey!;
    assert.equal(flow.successes, 3, JSON.stringify(storedSamples<FlowSample>(outcome.dir).find((s) => !s.ok)?.error));
    assert.deepEqual(
      flow.steps.map((s) => [s.name, s.successes]),
      [
        ['signin', 3],
        ['chat', 3],
      ],
    );

    const bad = `name: bad
targets: { t: { url: "http://127.0.0.1:9" } }
probes:
  - kind: flow
    stages: [{ name: s, rate: 1/s, duration: 1s }]
    steps:
      - name: a
        send: [hello]
        extract: { x: { event: token } }
        stream: sse
      - name: b
        stream: websocket
        extract: { y: { event: token } }
`;
    assert.throws(
      () => parseScenario(bad, 'bad.yaml'),
      (error: Error & { details: string[] }) => {
        const text = error.details.join('\n');
        assert.match(text, /steps\[0\]\.send: send is for WebSocket steps \(stream: websocket\)/);
        assert.match(text, /steps\[1\]\.extract\.y\.event: WebSocket messages have no event type/);
        return true;
      },
    );
    // k6 has no WebSocket inside an http group: the generator says so rather than drop the step.
    const k6 = generateK6(
      parseScenario(
        `name: ws\ntargets: { t: { url: "${url}" } }\nprobes:\n  - kind: flow\n    stages: [{ name: s, rate: 1/s, duration: 1s }]\n    steps:${indent(SIGN_IN + WS_CHAT)}\n`,
        'ws.yaml',
      ),
    );
    assert.match(JSON.stringify(k6), /step chat is a WebSocket exchange/);
  });
});
