/**
 * Flows: scripted journeys against the reference app (whose chat routes refuse a wrong token
 * or another user's conversation: the server-side assertions) and against servers that record
 * what they were sent; extracts, checks, think times, data rows, and the latency of a step
 * counted from its flow's intended start. Bad input: unknown variables, missing or malformed
 * data files, each refused before any traffic.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../src/model/random.js';
import type { FlowSample } from '../src/model/records.js';
import type { Summary } from '../src/model/summary.js';
import { runScenario } from '../src/run-scenario.js';
import { drawThink, jsonPathValue } from '../src/runner/flow-step.js';
import { loadScenarioFile, parseScenario } from '../src/scenario/read.js';
import { parseThink } from '../src/scenario/schema.js';
import { appInProcess, coldbench, ROOT, runOneProbe, serve, storedSamples, tempDir } from './helpers.js';

const CHAT_STEPS = `steps:
  - name: signin
    request: { method: POST, path: /api/signin, body: { user: ada, password: pw } }
    extract: { token: $.token }
  - name: conversation
    request: { method: POST, path: /api/conversations, headers: { authorization: "Bearer \${token}" } }
    check: { status: 201, json: { $.conversation.user: ada } }
    extract: { conversationId: $.conversation.id }
  - name: prompt
    request: { method: POST, path: "/api/conversations/\${conversationId}/messages?tokens=5&interval=5", headers: { authorization: "Bearer \${token}" }, body: { prompt: hi } }
    stream: sse
    extract: { messageId: { event: done, path: $.messageId } }
  - name: read-back
    request: { method: GET, path: "/api/conversations/\${conversationId}", headers: { authorization: "Bearer \${token}", x-message: "\${messageId}" } }
    check: { json: { $.conversation.user: ada } }`;

const steps = (samples: FlowSample[], name: string) => samples.filter((s) => s.kind === 'flow' && s.step === name);
const flows = (samples: FlowSample[]) => samples.filter((s) => s.kind === 'flow' && s.step === undefined && !s.dropped);

describe('flow probe', () => {
  it('signs in, opens a conversation and reads a streamed answer on the reference app, each step using what the one before extracted', async () => {
    const url = await appInProcess();
    // 60 flows: the fewest that give p95 a 95% upper bound.
    const run = await runOneProbe<FlowSample>(url, 'flow', `name: chat\nstages: [{ name: s, rate: 30/s, duration: 2s }]\n${CHAT_STEPS}\nslo: { p95: "< 5s" }`);
    const whole = flows(run.samples);
    assert.equal(whole.length, 60);
    assert.ok(
      whole.every((s) => s.ok),
      JSON.stringify(whole.find((s) => !s.ok)?.error),
    );
    // The read-back only answers 200 for the token's own conversation: the extracts were used.
    assert.equal(steps(run.samples, 'read-back').filter((s) => s.ok && s.status === 200).length, 60);
    const flow = run.summary.targets.t!.flow!.chat!;
    assert.deepEqual(
      flow.steps.map((s) => [s.name, s.requests, s.successes]),
      [
        ['signin', 60, 60],
        ['conversation', 60, 60],
        ['prompt', 60, 60],
        ['read-back', 60, 60],
      ],
    );
    assert.equal(flow.latencyMs!.count, 60);
    assert.equal(run.summary.verdicts[0]!.id, 'flow-slo');
    assert.equal(run.summary.verdicts[0]!.status, 'pass');
  });

  it('a wrong token is refused by the server and recorded as that step’s error; later steps do not run', async () => {
    const url = await appInProcess();
    const run = await runOneProbe<FlowSample>(
      url,
      'flow',
      `name: chat\nstages: [{ name: s, rate: 5/s, duration: 1s }]\n${CHAT_STEPS.replace('Bearer ${token}"', 'Bearer forged.token"')}`,
    );
    assert.equal(steps(run.samples, 'conversation').length, 5);
    assert.ok(steps(run.samples, 'conversation').every((s) => !s.ok && s.status === 401 && s.error?.code === 'HTTP_401'));
    assert.equal(steps(run.samples, 'prompt').length, 0);
    assert.ok(flows(run.samples).every((s) => !s.ok && /^step conversation: status 401/.test(s.error!.message)));
    assert.deepEqual(run.summary.targets.t!.flow!.chat!.steps[1]!.errorsByClass, { 'status-other': 5 });
  });

  it('an extract that finds nothing fails its step with class extract, naming the variable, the path and a non-JSON body’s content type', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<p>hi</p>');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"session":{}}');
    });
    const missing = await runOneProbe<FlowSample>(
      url,
      'flow',
      `stages: [{ name: s, rate: 3/s, duration: 1s }]
steps:
  - { name: login, request: { path: /json }, extract: { token: $.session.token } }
  - { name: next, request: { path: "/json?t=\${token}" } }`,
    );
    const login = steps(missing.samples, 'login');
    assert.equal(login.length, 3);
    assert.ok(login.every((s) => s.error?.class === 'extract' && s.error.code === 'CB_EXTRACT_FAILED'));
    assert.match(login[0]!.error!.message, /^token: \$\.session\.token not found in the JSON body/);
    assert.equal(steps(missing.samples, 'next').length, 0);

    const html = await runOneProbe<FlowSample>(
      url,
      'flow',
      `stages: [{ name: s, rate: 2/s, duration: 1s }]\nsteps:\n  - { name: page, request: { path: /html }, extract: { id: $.id } }`,
    );
    assert.match(steps(html.samples, 'page')[0]!.error!.message, /id: the body is not JSON \(content-type text\/html\)/);
  });

  it("counts each step's latency from the flow's intended start: a stalled first step shows in every later step, not in their own time", async () => {
    const url = await serve((req, res) => {
      const wait = req.url === '/slow' ? 300 : 0;
      setTimeout(() => res.end('{}'), wait);
    });
    const run = await runOneProbe<FlowSample>(
      url,
      'flow',
      `stages: [{ name: s, rate: 4/s, duration: 1s }]
steps:
  - { name: slow, request: { path: /slow } }
  - { name: fast, request: { path: /fast }, think: 100ms }
  - { name: last, request: { path: /fast } }`,
    );
    for (const sample of steps(run.samples, 'fast')) {
      // From the intended start: the 300 ms stall before it (a timer may fire a little early), not the think time after the first step.
      assert.ok(sample.latencyMs! >= 290, `fast step latency ${sample.latencyMs}`);
      assert.ok(sample.uncorrectedLatencyMs! < 200, `fast step own time ${sample.uncorrectedLatencyMs}`);
      assert.equal(sample.thinkMs, undefined);
    }
    for (const sample of steps(run.samples, 'last')) {
      assert.ok(sample.latencyMs! >= 290, `last step latency ${sample.latencyMs}`);
      assert.equal(sample.thinkMs, 100);
    }
    const whole = flows(run.samples);
    assert.equal(whole.length, 4);
    // The whole flow leaves its think time out.
    for (const flow of whole) assert.ok(flow.latencyMs! >= 290 && flow.latencyMs! < 1000, `flow latency ${flow.latencyMs}`);
  });

  it('uses each data row once in unique mode, with scenario vars beside the columns, and records flows beyond the rows as exhausted', async () => {
    const seen: string[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push(body);
        res.end('ok');
      });
    });
    const dir = tempDir();
    writeFileSync(join(dir, 'users.csv'), 'user,password\nada,"pw,1"\ngrace,pw2\nlinus,pw3\n');
    writeFileSync(
      join(dir, 'flow.yaml'),
      `name: data
targets: { t: { url: "${url}" } }
vars: { region: eu }
probes:
  - kind: flow
    stages: [{ name: s, rate: 5/s, duration: 1s }]
    data: { file: users.csv, mode: unique }
    steps:
      - { name: signin, request: { method: POST, path: /, body: "\${user}:\${password}@\${region}" } }
`,
    );
    const outcome = await runScenario(await loadScenarioFile(join(dir, 'flow.yaml')), { outDir: dir });
    assert.deepEqual(seen.sort(), ['ada:pw,1@eu', 'grace:pw2@eu', 'linus:pw3@eu']);
    const whole = flows(storedSamples<FlowSample>(outcome.dir));
    assert.equal(whole.length, 5);
    assert.deepEqual(
      whole.filter((s) => !s.ok).map((s) => s.error!.code),
      ['CB_DATA_EXHAUSTED', 'CB_DATA_EXHAUSTED'],
    );
  });

  it('draws think times from their distribution (Kolmogorov–Smirnov against the uniform and exponential CDFs)', () => {
    const ks = (draws: number[], cdf: (x: number) => number) => {
      const sorted = [...draws].sort((a, b) => a - b);
      return Math.max(...sorted.map((x, i) => Math.max((i + 1) / sorted.length - cdf(x), cdf(x) - i / sorted.length)));
    };
    const n = 2000;
    // At α = 0.01 the two-sided KS critical value is 1.63/√n.
    const critical = 1.63 / Math.sqrt(n);
    const random = seededRandom(42);
    const uniform = parseThink('uniform(1s, 3s)')!;
    const uniformDraws = Array.from({ length: n }, () => drawThink(uniform, random));
    assert.ok(ks(uniformDraws, (x) => Math.min(1, Math.max(0, (x - 1000) / 2000))) < critical);
    const exponential = parseThink('exponential(mean 2s)')!;
    const exponentialDraws = Array.from({ length: n }, () => drawThink(exponential, random));
    assert.ok(ks(exponentialDraws, (x) => 1 - Math.exp(-x / 2000)) < critical);
    // And they are not the same distribution: the test can tell them apart.
    assert.ok(ks(uniformDraws, (x) => 1 - Math.exp(-x / 2000)) > critical);
    assert.deepEqual(parseThink('2s'), { kind: 'fixed', ms: 2000 });
    assert.equal(parseThink('uniform(3s, 1s)'), undefined);
  });

  it('reads JSON paths with keys and indexes', () => {
    const value = { a: { items: [{ id: 'x' }, { id: 'y' }] } };
    assert.equal(jsonPathValue(value, '$.a.items[1].id'), 'y');
    assert.equal(jsonPathValue(value, '$.a.nothing.id'), undefined);
  });
});

describe('flow scenarios with bad input', () => {
  const flowScenario = (steps: string, extra = '') => `name: bad
targets: { t: { url: "http://127.0.0.1:9" } }
probes:
  - kind: flow
    stages: [{ name: s, rate: 1/s, duration: 1s }]${extra}
    steps:
${steps}`;

  it('names the file, line and step of an unknown variable, and says when only a later step extracts it', () => {
    const text = flowScenario(`      - { name: first, request: { path: "/a?x=\${later}" } }
      - name: second
        request: { path: "/b", headers: { x-id: "\${nope}" } }
        extract: { later: $.id }`);
    assert.throws(
      () => parseScenario(text, 'bad.yaml', { env: {} }),
      (error: { code: string; details: string[] }) => {
        assert.equal(error.code, 'CB_SCENARIO_INVALID');
        assert.match(
          error.details[0]!,
          /^bad\.yaml:7 probes\[0\]\.steps\[0\]\.request\.path: unknown variable \$\{later\} in step "first" .*step "first" or a later one extracts it/,
        );
        assert.match(error.details[1]!, /^bad\.yaml:9 .*unknown variable \$\{nope\} in step "second"/);
        return true;
      },
    );
    // An environment variable of that name is fine: it is resolved when the file is read.
    const plan = parseScenario(text.replace(/\$\{later\}/, '${LATER}'), 'bad.yaml', { env: { LATER: 'v', nope: 'n' } });
    assert.equal(plan.scenario.probes[0]!.kind, 'flow');
  });

  it('refuses an event extract on a step that reads no stream, and duplicate step names', () => {
    assert.throws(
      () =>
        parseScenario(
          flowScenario(`      - { name: a, request: { path: / }, extract: { id: { event: done, path: $.id } } }
      - { name: a, request: { path: / } }`),
          'bad.yaml',
        ),
      (error: { details: string[] }) => {
        assert.ok(error.details.some((d) => /extract\.id: an extract from an event needs the step to read a stream/.test(d)));
        assert.ok(error.details.some((d) => /steps\[1\]\.name: step name "a" is used twice/.test(d)));
        return true;
      },
    );
  });

  it('exits 3 before any traffic on a missing or malformed data file, with CB_DATA_* and where', async () => {
    const dir = tempDir();
    const steps = `      - { name: a, request: { path: "/?u=\${user}" } }`;
    writeFileSync(join(dir, 'missing.yaml'), flowScenario(steps, '\n    data: users.csv'));
    const missing = await coldbench('run', join(dir, 'missing.yaml'), '--out', dir);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /CB_DATA_NOT_FOUND.*cannot read data file users\.csv/);
    writeFileSync(join(dir, 'users.csv'), 'user,password\nada,pw\ngrace\n');
    const malformed = await coldbench('run', join(dir, 'missing.yaml'), '--out', dir);
    assert.equal(malformed.code, 3);
    assert.match(malformed.stderr, /CB_DATA_MALFORMED.*users\.csv:3/);
  });
});

describe('flow reports', () => {
  it('shows every step with its errors and the median flow as a waterfall in report.md, and gates on a step SLO', async () => {
    const url = await serve((req, res) => setTimeout(() => res.end('{"id":"1"}'), req.url === '/slow' ? 50 : 0));
    const run = await runOneProbe<FlowSample>(
      url,
      'flow',
      `name: journey
stages: [{ name: s, rate: 5/s, duration: 1s }]
steps:
  - { name: open, request: { path: / }, extract: { id: $.id }, think: 20ms }
  - { name: work, request: { path: /slow }, slo: { p95: "< 1ms" } }`,
      `  - flowSlo: { target: t, flow: journey, step: work }`,
    );
    const summary = run.summary as Summary;
    assert.equal(summary.verdicts[0]!.status, 'fail');
    assert.match(summary.verdicts[0]!.detail, /work p95 < 1.00ms: FAIL|p95 < 1.00ms: FAIL/);
    const gate = await coldbench('gate', run.dir);
    assert.equal(gate.code, 1);
    const markdown = readFileSync(join(run.dir, 'report.md'), 'utf8');
    assert.match(markdown, /## Flows/);
    assert.match(markdown, /t journey: median step starts and own times/);
    assert.match(markdown, /\| +\| +\| work \| 5 \| 0 \|/);
  });
});

describe('flow scripts', () => {
  const scriptScenario = (url: string, script: string, stage = '{ name: s, rate: 4/s, duration: 1s }', extra = '') => `name: script
targets: { t: { url: "${url}" } }
probes:
  - kind: flow
    name: journey
    stages: [${stage}]
    timeout: 2s
    script: ${script}${extra}
`;

  it('runs a TypeScript script against the reference app: its steps are timed and its extracts used, as a YAML flow’s', async () => {
    const url = await appInProcess();
    const dir = tempDir();
    writeFileSync(
      join(dir, 'flow.yaml'),
      scriptScenario(url, `${join(ROOT, 'scenarios/flows/chat.ts')}`, '{ name: s, rate: 5/s, duration: 1s }', '\n    data: users.csv'),
    );
    writeFileSync(join(dir, 'users.csv'), 'user,password\nada,pw1\ngrace,pw2\n');
    const outcome = await runScenario(await loadScenarioFile(join(dir, 'flow.yaml')), { outDir: dir });
    const samples = storedSamples<FlowSample>(outcome.dir);
    assert.ok(
      flows(samples).every((s) => s.ok),
      JSON.stringify(flows(samples).find((s) => !s.ok)?.error),
    );
    assert.equal(flows(samples).length, 5);
    const flow = outcome.summary.targets.t!.flow!.journey!;
    assert.deepEqual(
      flow.steps.map((s) => [s.name, s.successes]),
      [
        ['signin', 5],
        ['conversation', 5],
        ['prompt', 5],
        ['follow-up', 5],
      ],
    );
    // The follow-up comes after the prompt's answer and the think times: its latency counts from the flow's intended start.
    assert.ok(flow.steps[3]!.latencyMs!.p50 > flow.steps[3]!.uncorrectedLatencyMs!.p50);
  });

  it("records a step's thrown error with the script's message and line, and a failed check as class check", async () => {
    const url = await serve((_req, res) => res.end('{"ok":true}'));
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.ts'),
      `import type { FlowContext } from 'coldbench';
export default async function (ctx: FlowContext): Promise<void> {
  await ctx.step('fine', async () => ctx.check((await ctx.http({ path: '/' })).status === 200, 'status'));
  if (ctx.flow % 2 === 0) await ctx.step('checked', async () => ctx.check(false, 'no cart id'));
  await ctx.step('explode', async () => {
    const value: { id?: string } = {};
    throw new Error('boom ' + value.id);
  });
}
`,
    );
    writeFileSync(join(dir, 'flow.yaml'), scriptScenario(url, 'bad.ts'));
    const outcome = await runScenario(await loadScenarioFile(join(dir, 'flow.yaml')), { outDir: dir });
    const samples = storedSamples<FlowSample>(outcome.dir);
    assert.equal(steps(samples, 'fine').filter((s) => s.ok).length, 4);
    const checked = steps(samples, 'checked');
    assert.equal(checked.length, 2);
    assert.ok(checked.every((s) => s.error?.class === 'check' && s.error.message === 'no cart id'));
    const exploded = steps(samples, 'explode');
    // A failed step ends the script unless it catches the error: the flows whose check failed never got here.
    assert.equal(exploded.length, 2);
    assert.ok(
      exploded.every((s) => s.error?.class === 'script' && s.error.message === 'boom undefined (bad.ts:7)'),
      JSON.stringify(exploded[0]!.error),
    );
    assert.deepEqual(
      flows(samples)
        .map((s) => s.error?.message.replace(/ \(.*/, ''))
        .sort(),
      ['step checked: no cart id', 'step checked: no cart id', 'step explode: boom undefined', 'step explode: boom undefined'],
    );
  });

  it('ends a script that never stops when the probe ends: recorded as a timeout, and the run ends on time', async () => {
    const url = await serve((_req, res) => res.end('ok'));
    const dir = tempDir();
    writeFileSync(
      join(dir, 'loop.js'),
      // It even swallows the errors that a stopped flow's calls throw.
      `export default async function (ctx) {
  for (;;) {
    try {
      await ctx.step('again', async () => { await ctx.http({ path: '/' }); await ctx.think(50); });
    } catch {}
  }
}
`,
    );
    writeFileSync(join(dir, 'flow.yaml'), scriptScenario(url, 'loop.js', '{ name: s, rate: 2/s, duration: 1s }'));
    const started = Date.now();
    const outcome = await runScenario(await loadScenarioFile(join(dir, 'flow.yaml')), { outDir: dir });
    // The stage (1 s) and one step timeout (2 s) of drain, with room for a slow machine.
    assert.ok(Date.now() - started < 8000, `the run took ${Date.now() - started}ms`);
    const whole = flows(storedSamples<FlowSample>(outcome.dir));
    assert.equal(whole.length, 2);
    assert.ok(whole.every((s) => s.error?.code === 'CB_FLOW_TIMEOUT' && s.error.class === 'timeout'));
  });

  it('exits 3 before any traffic on a script that does not compile, cannot be found or exports no function', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.ts'), 'export default async function (ctx) {\n  const x = ;\n}\n');
    writeFileSync(join(dir, 'nothing.js'), 'export const flow = 1;\n');
    const cases: Array<[string, RegExp]> = [
      ['broken.ts', /CB_SCRIPT_COMPILE.*\n.*broken\.ts:2:13 Expression expected/],
      ['missing.ts', /CB_SCRIPT_NOT_FOUND.*missing\.ts/],
      ['nothing.js', /CB_SCRIPT_NO_FUNCTION.*nothing\.js must export a default function/],
    ];
    for (const [script, message] of cases) {
      writeFileSync(join(dir, 'flow.yaml'), scriptScenario('http://127.0.0.1:9', script));
      const run = await coldbench('run', join(dir, 'flow.yaml'), '--out', dir);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, message);
    }
    writeFileSync(join(dir, 'flow.yaml'), scriptScenario('http://127.0.0.1:9', 'nothing.js', undefined, '\n    steps: [{ name: a }]'));
    assert.match((await coldbench('run', join(dir, 'flow.yaml'))).stderr, /a flow takes exactly one of steps or script/);
  });

  it('type-checks the example script against the types the package publishes, and the check does catch a wrong call', () => {
    // Under the repository, so that 'coldbench' resolves to the package itself, as in a user's project that installed it.
    const dir = join(ROOT, 'test-artifacts', `flow-types-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const typeCheck = (source: string): string => {
      writeFileSync(join(dir, 'chat.ts'), source);
      const compilerOptions = { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', types: [], skipLibCheck: true };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['chat.ts'] }));
      try {
        execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
        return '';
      } catch (error) {
        return (error as { stdout: string }).stdout;
      }
    };
    const example = readFileSync(join(ROOT, 'scenarios/flows/chat.ts'), 'utf8');
    assert.equal(typeCheck(example), '');
    assert.match(typeCheck(example.replace('ctx.http(', 'ctx.htp(')), /chat\.ts\(\d+,\d+\): error TS2551: Property 'htp' does not exist on type 'FlowContext'/);
  });
});
