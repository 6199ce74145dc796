/**
 * `coldbench k6`: the generated scripts type-check with tsc against @types/k6 (k6 itself
 * cannot be installed here; a script that fails type-checking fails the test), match their
 * golden files, hold no secret, and say which probes k6 cannot run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { generateK6 } from '../src/k6/script.js';
import { parseScenario } from '../src/scenario/read.js';
import { ROOT } from './helpers.js';

const FIXTURE = join(ROOT, 'test/fixtures/k6-scenario.yaml');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** Type-checks files as k6 scripts: strict, against @types/k6 only. Returns tsc's complaints. */
function typeCheck(files: Array<{ name: string; text: string }>): string {
  // Under the repository, so that `k6/*` resolves to its node_modules/@types/k6.
  const dir = join(ROOT, 'test-artifacts', `k6-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (const file of files) writeFileSync(join(dir, file.name), file.text);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        // ES2022: a flow's CSV data is read with top-level await, which k6 runs.
        target: 'ES2022',
        module: 'ES2022',
        moduleResolution: 'bundler',
        lib: ['ES2022'],
        types: ['k6'],
        skipLibCheck: false,
      },
      files: files.map((f) => f.name),
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    try {
      execFileSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      return '';
    } catch (error) {
      return (error as { stdout: string }).stdout;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('k6 scripts from a scenario', () => {
  const plan = parseScenario(readFileSync(FIXTURE, 'utf8').replace('${API_TOKEN}', 'sekrit-token-123'), 'k6-scenario.yaml');
  const { files, notes } = generateK6(plan, { parallelism: 4 });
  const scripts = files.filter((f) => f.name.endsWith('.ts'));

  it('writes scripts that type-check against @types/k6, and the check does catch a broken one', () => {
    assert.deepEqual(
      scripts.map((f) => f.name),
      ['load.ts', 'ws.ts'],
    );
    assert.equal(typeCheck(scripts), '');
    const broken = scripts[0]!.text.replace('"executor": "ramping-arrival-rate"', '"executor": "ramping-arrival-rat"');
    assert.match(typeCheck([{ name: 'broken.ts', text: broken }]), /broken\.ts\(\d+,\d+\): error TS\d+: Type '"ramping-arrival-rat"' is not assignable/);
  });

  it('matches the golden files (UPDATE_GOLDEN=1 rewrites them)', () => {
    for (const file of files) {
      const path = join(ROOT, 'test/golden/k6', file.name);
      if (process.env.UPDATE_GOLDEN) writeFileSync(path, file.text);
      assert.equal(file.text, readFileSync(path, 'utf8'), `${file.name} differs from its golden file`);
    }
  });

  it('sizes arrival-rate scenarios per target from the stages and the SLOs, tags every request, and keeps secrets out', () => {
    const load = scripts[0]!.text;
    assert.match(
      load,
      /"k8s-baseline": \{\s*"executor": "constant-arrival-rate",\s*"rate": 200,\s*"duration": "300000ms",\s*"exec": "send",\s*"startTime": "0ms"/,
    );
    assert.match(
      load,
      /"k8s-ramp": \{\s*"executor": "ramping-arrival-rate",\s*"startRate": 200,\s*"stages": \[\s*\{\s*"target": 2000,\s*"duration": "60000ms"\s*\}\s*\],\s*"exec": "send",\s*"startTime": "300000ms"/,
    );
    assert.match(load, /"http_req_failed\{target:k8s,stage:10x\}": \[\s*"rate<=0\.001"\s*\]/);
    assert.match(load, /"http_req_duration\{target:k8s,stage:10x\}": \[\s*"p\(95\)<800",\s*"p\(99\)<2000"\s*\]/);
    assert.match(load, /tags: \{ target: name, probe: PROBE, stage \}/);
    assert.match(load, /"authorization": __ENV\.COLDBENCH_CLOUDRUN_AUTHORIZATION \?\? ''/);
    for (const file of files) assert.ok(!file.text.includes('sekrit'), `${file.name} holds the token`);
  });

  it('says which probes k6 cannot run, and writes a k6-operator TestRun per script', () => {
    assert.match(
      notes.find((n) => n.startsWith('coldstart:'))!,
      /^coldstart: not generated: a cold-start probe/,
    );
    const testRun = parse(files.find((f) => f.name === 'load.testrun.yaml')!.text) as {
      apiVersion: string;
      kind: string;
      spec: { parallelism: number; script: { configMap: { file: string } }; arguments: string };
    };
    assert.deepEqual(
      [testRun.apiVersion, testRun.kind, testRun.spec.parallelism, testRun.spec.script.configMap.file],
      ['k6.io/v1alpha1', 'TestRun', 4, 'load.ts'],
    );
    assert.match(testRun.spec.arguments, /--out json=\/results\/k6\.json\.gz/);
  });

  it('gives every target its own secret variables and turns a secret variable in a path, a header or a body into an __ENV lookup', () => {
    const secret = 'path-secret-5a9d03c1';
    const text = `name: k6-secrets
targets:
  a_b: { url: "http://a.example", headers: { Authorization: "Bearer one" } }
  a--b: { url: "http://b.example", headers: { Authorization: "Bearer two" } }
  A_B: { url: "http://c.example", headers: { Authorization: "Bearer three", X-Trace: "t-\${API_TOKEN}" } }
probes:
  - kind: load
    request: { method: POST, path: "/chat?key=\${API_TOKEN}", body: { token: "\${API_TOKEN}" } }
    stages: [{ name: s, rate: 10/s, duration: 10s }]
`;
    const generated = generateK6(parseScenario(text, 'k6-secrets.yaml', { env: { API_TOKEN: secret } }));
    const script = generated.files.find((f) => f.name === 'load.ts')!.text;
    assert.ok(!script.includes(secret), 'the secret is in the script');
    const variables = [...script.matchAll(/__ENV\.(COLDBENCH_\w+)/g)].map((m) => m[1]);
    assert.deepEqual(variables, ['COLDBENCH_A_B_AUTHORIZATION', 'COLDBENCH_A_B_AUTHORIZATION_2', 'COLDBENCH_A_B_AUTHORIZATION_3']);
    assert.match(script, /url: "http:\/\/a\.example\/chat\?key=" \+ \(__ENV\.API_TOKEN \?\? ''\)/);
    assert.match(script, /"x-trace": "t-" \+ \(__ENV\.API_TOKEN \?\? ''\)/);
    assert.match(script, /body: "\{\\"token\\":\\"" \+ \(__ENV\.API_TOKEN \?\? ''\) \+ "\\"\}"/);
    assert.match(script, /Secrets come from the environment: .*-e API_TOKEN=…/);
    assert.equal(typeCheck([{ name: 'load.ts', text: script }]), '');
  });

  it('writes a flow as a group per step that type-checks, with its extracts, checks, think times and data, and its secrets as __ENV lookups', () => {
    const secret = 'flow-secret-77e1';
    const source = readFileSync(join(ROOT, 'scenarios/llm-chat-flow.yaml'), 'utf8').replace(
      'model: reference-small',
      'model: reference-small\n  apiKey: ${API_KEY}',
    );
    const plan = parseScenario(source, 'llm-chat-flow.yaml', {
      env: { DEMO_SCALE_TO_ZERO_URL: 'https://chat-abc.a.run.app', DEMO_ALWAYS_ON_URL: 'https://chat.k8s.example', API_KEY: secret },
      baseDir: join(ROOT, 'scenarios'),
    });
    const generated = generateK6(plan);
    const script = generated.files.find((f) => f.name === 'chat.ts')!.text;
    assert.equal(typeCheck([{ name: 'chat.ts', text: script }]), '');
    assert.ok(!script.includes(secret), 'the secret is in the script');
    assert.match(script, /"apiKey":"\$\{API_KEY\}"/);
    assert.match(script, /Secrets come from the environment: -e API_KEY=…/);
    assert.match(script, /"selector": "conversation\.id"/);
    assert.match(script, /"from": "event",\s*"event": "done",\s*"selector": "messageId"/);
    assert.match(script, /csv\.parse\(await open\("data\/chat-users\.csv"\), \{ asObjects: true \}\)/);
    assert.match(script, /"flow_duration\{target:k8s\}": \[\s*"p\(95\)<5000"\s*\]/);
    assert.match(script, /"http_req_duration\{target:k8s,step:prompt\}": \[\s*"p\(95\)<3000"\s*\]/);
    assert.match(script, /group\(step\.name, \(\) => runStep\(step, target, tags, vars\)\)/);
    const broken = script.replace('flowFailed.add(!ok, tags);', 'flowFailed.add(!ok, tags, 3);');
    assert.match(typeCheck([{ name: 'broken.ts', text: broken }]), /broken\.ts\(\d+,\d+\): error TS2554/);
  });
});
