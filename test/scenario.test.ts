import { coldStartLanes } from '../src/scenario/lanes.js';
import { recordsJsonSchema } from '../src/model/records-schema.js';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { summaryJsonSchema } from '../src/model/summary.js';
import { CbError, ScenarioError } from '../src/model/errors.js';
import { interpolateString } from '../src/scenario/interpolate.js';
import { priceSheetJsonSchema } from '../src/scenario/price-sheet.js';
import { criteriaJsonSchema, loadCriteriaFile } from '../src/scenario/criteria.js';
import { applyOverrides } from '../src/scenario/plan.js';
import { loadScenarioFile, parseScenario } from '../src/scenario/read.js';
import { scenarioJsonSchema } from '../src/scenario/schema.js';
import { formatMs, parseDuration, parsePercent } from '../src/model/units.js';
import { ROOT, tempDir } from './helpers.js';

const VALID = `name: cutover-coldstart
targets:
  cloudrun:
    url: https://api-abc123-uc.a.run.app
    headers: { Authorization: "Bearer \${CLOUDRUN_TOKEN}" }
    coldStart:
      trigger: { command: "gcloud run services update api --update-env-vars COLD_NONCE=\${COLDBENCH_ROUND}", timeout: 5m }
  k8s:
    url: https://api.k8s.example.com
    coldStart:
      trigger: { idle: 20m }
probes:
  - kind: coldstart
    request: { method: GET, path: /health }
    samples: 30
    warmFollowUps: 10
verdicts:
  - coldStartReduction: { baseline: cloudrun, candidate: k8s, metric: p50, atLeast: 50% }
`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}, maxRate?: number): string[] {
  try {
    parseScenario(text, 'scenarios/x.yaml', { env, maxRate });
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    return [...error.details];
  }
  assert.fail('expected the scenario to be rejected');
}

describe('scenario files', () => {
  it('turns the issue example into a plan with parsed durations and percentages', () => {
    const plan = parseScenario(VALID, 'x.yaml', { env: { CLOUDRUN_TOKEN: 'tok-123456' } });
    const { cloudrun, k8s } = plan.scenario.targets;
    assert.equal(cloudrun!.headers!.Authorization, 'Bearer tok-123456');
    assert.equal(cloudrun!.coldStart!.trigger.timeout, 300_000);
    assert.match(cloudrun!.coldStart!.trigger.command!, /COLD_NONCE=\$\{COLDBENCH_ROUND\}$/, 'runtime variables are left for the shell');
    assert.equal(k8s!.coldStart!.trigger.idle, 20 * 60_000);
    assert.equal(plan.scenario.verdicts[0]!.coldStartReduction!.atLeast, 0.5);
    assert.deepEqual(plan.substitutions, { CLOUDRUN_TOKEN: 'tok-123456' });
  });

  it('reports every problem at once, each with file, line and path', () => {
    const text = VALID.replace('samples: 30', 'samples: many')
      .replace('warmFollowUps: 10', 'warmFollowUp: 10')
      .replace('url: https://api.k8s.example.com', 'url: not-a-url')
      .replace('candidate: k8s', 'candidate: k8z')
      .replace('idle: 20m', 'idle: 20 minutes');
    const issues = issuesOf(text, { CLOUDRUN_TOKEN: 'x' });
    assert.deepEqual(issues, [
      'scenarios/x.yaml:9 targets.k8s.url: expected an http:// or https:// URL, got "not-a-url"',
      'scenarios/x.yaml:11 targets.k8s.coldStart.trigger.idle: expected a duration like 500ms, 2s or 15m, got "20 minutes"',
      'scenarios/x.yaml:15 probes[0].samples: expected a positive integer, got "many"',
      'scenarios/x.yaml:16 probes[0].warmFollowUp: unknown key "warmFollowUp" (did you mean "warmFollowUps"?)',
      'scenarios/x.yaml:18 verdicts[0].coldStartReduction.candidate: unknown target "k8z" (targets: cloudrun, k8s)',
    ]);
  });

  it('names an unset environment variable where it is used', () => {
    assert.deepEqual(issuesOf(VALID), [
      'scenarios/x.yaml:5 targets.cloudrun.headers.Authorization: environment variable CLOUDRUN_TOKEN is not set (use ${CLOUDRUN_TOKEN:-default} for a default)',
    ]);
  });

  it('rejects unknown probe kinds, missing keys and a second coldstart or capacity probe', () => {
    const text = `name: x
targets:
  a: { url: "http://127.0.0.1:1" }
probes:
  - kind: coldstart
    samples: 3
  - kind: coldstrat
  - kind: coldstart
  - kind: capacity
  - kind: capacity
`;
    assert.deepEqual(issuesOf(text), [
      'scenarios/x.yaml:7 probes[1].kind: expected a probe with kind: coldstart, load, capacity, stream, flow or idleSweep, got "coldstrat"',
      'scenarios/x.yaml:8 probes[2].samples: missing required key; expected a positive integer',
      'scenarios/x.yaml:8 probes[2].kind: only one coldstart probe per scenario',
      'scenarios/x.yaml:10 probes[4].kind: only one capacity probe per scenario',
    ]);
  });

  it('checks load probes: --max-rate, stages that send nothing, unknown SLO metrics, verdict references', () => {
    const text = `name: x
targets:
  a: { url: "http://127.0.0.1:1" }
probes:
  - kind: load
    stages:
      - { name: base, rate: 20/s, duration: 2m }
      - { name: 10x, rate: 5000/s, duration: 1m }
      - { name: tiny, rate: 1/s, duration: 500ms }
      - { name: both, rate: 1/s, rampTo: 2/s, duration: 1s }
    slo: { successRate: ">= 99.9%", P99: "< 1s", p95: "800ms" }
verdicts:
  - loadMultiplier: { target: a, stage: 100x, baselineStage: base, atLeast: 10 }
`;
    assert.deepEqual(issuesOf(text, {}, 1000), [
      'scenarios/x.yaml:8 probes[0].stages[1].rate: 5000/s exceeds --max-rate 1000/s',
      'scenarios/x.yaml:9 probes[0].stages[2].duration: this stage would send no request (1/s for 500ms)',
      'scenarios/x.yaml:10 probes[0].stages[3]: a stage takes exactly one of rate or rampTo',
      'scenarios/x.yaml:11 probes[0].slo.P99: unknown key "P99" (did you mean "p99"?)',
      'scenarios/x.yaml:11 probes[0].slo.p95: expected a latency limit like "< 800ms" (< or <=), got "800ms"',
      'scenarios/x.yaml:13 verdicts[0].loadMultiplier.stage: no load stage named "100x" (stages: base, 10x, tiny, both)',
    ]);
  });

  it('refuses durations beyond 30 days and connection counts beyond 100,000, naming the bound', () => {
    const text = `name: x
targets:
  a: { url: "http://127.0.0.1:1", timeout: 99999999999999999999h }
probes:
  - kind: load
    maxInFlight: 1000000000
    stages: [{ name: s, rate: 1/s, duration: 721h }]
  - { kind: stream, protocol: sse, connections: 100001, hold: 1s }
`;
    assert.deepEqual(issuesOf(text), [
      'scenarios/x.yaml:3 targets.a.timeout: expected a duration of at most 30 days (720h), got "99999999999999999999h"',
      'scenarios/x.yaml:6 probes[0].maxInFlight: expected at most 100,000, got 1000000000',
      'scenarios/x.yaml:7 probes[0].stages[0].duration: expected a duration of at most 30 days (720h), got "721h"',
      'scenarios/x.yaml:8 probes[1].connections: expected at most 100,000, got 100001',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const error = (() => {
      try {
        parseScenario('name: x\ntargets:\n  a: { url: "http://x"\nprobes: []\n', 'bad.yaml');
      } catch (e) {
        return e as ScenarioError;
      }
    })();
    assert.equal(error?.code, 'CB_SCENARIO_SYNTAX');
    assert.match(error!.details[0]!, /^bad\.yaml:\d+ YAML syntax error at column \d+: /);
  });

  it('names a missing file', async () => {
    await assert.rejects(loadScenarioFile('/nonexistent/x.yaml'), (error: CbError) => {
      assert.equal(error.code, 'CB_SCENARIO_NOT_FOUND');
      assert.match(error.message, /\/nonexistent\/x\.yaml: no such file/);
      return true;
    });
  });

  it('reads a file from disk and names it relative to the working directory', async () => {
    const dir = tempDir();
    const file = join(dir, 's.yaml');
    writeFileSync(file, VALID.replace('samples: 30', 'samples: 0'));
    await assert.rejects(loadScenarioFile(file, { env: { CLOUDRUN_TOKEN: 'x' } }), (error: ScenarioError) => {
      assert.equal(error.code, 'CB_SCENARIO_INVALID');
      assert.equal(error.details.length, 1);
      assert.ok(error.details[0]!.startsWith(`${file}:15 probes[0].samples: expected a positive integer, got 0`), error.details[0]);
      return true;
    });
  });

  it('ships scenarios that validate', async () => {
    const demoEnv = { DEMO_SCALE_TO_ZERO_URL: 'http://127.0.0.1:1', DEMO_ALWAYS_ON_URL: 'http://127.0.0.1:2' };
    const plan = await loadScenarioFile(join(ROOT, 'scenarios/demo.yaml'), { env: demoEnv });
    assert.equal(plan.scenario.name, 'demo');
    assert.equal(plan.scenario.targets.k8s!.http.version, 1.1);
    const overH2 = await loadScenarioFile(join(ROOT, 'scenarios/demo.yaml'), { env: { ...demoEnv, DEMO_HTTP_VERSION: '2' } });
    assert.equal(overH2.scenario.targets.k8s!.http.version, 2);
    const chat = await loadScenarioFile(join(ROOT, 'scenarios/llm-chat-flow.yaml'), { env: demoEnv });
    assert.equal(chat.flowData?.get(0)?.length, 6);
    const decision = await loadScenarioFile(join(ROOT, 'scenarios/decision.yaml'), { env: demoEnv });
    assert.deepEqual(
      decision.scenario.probes.map((p) => p.kind),
      ['idleSweep', 'load'],
    );
    const services = ['WEB_', '', 'STREAM_'].flatMap((service) =>
      ['CLOUDRUN', 'K8S'].flatMap((platform) => [
        [`${platform}_${service}URL`, `https://${service.toLowerCase()}1.example.com`],
        [`${platform}_${service}LANES`, `https://${service.toLowerCase()}{lane}.example.com`],
      ]),
    );
    const threeServices = await loadScenarioFile(join(ROOT, 'scenarios/cutover-three-services.yaml'), { env: Object.fromEntries(services) });
    assert.deepEqual(
      threeServices.scenario.probes.map((p) => (p.kind === 'load' && p.search ? `search ${p.targets!.join('+')}` : p.kind)),
      ['coldstart', 'idleSweep', 'search cloudrun+k8s', 'search cloudrun-web+k8s-web', 'stream'],
    );
    const script = await loadScenarioFile(join(ROOT, 'scenarios/llm-chat-script.yaml'), { env: demoEnv });
    assert.equal(typeof script.flowScripts?.get(0)?.run, 'function');
    const cutover = await loadScenarioFile(join(ROOT, 'scenarios/cutover.yaml'), {
      env: {
        CLOUDRUN_URL: 'https://api-1-x.a.run.app',
        CLOUDRUN_LANES: 'https://api-{lane}-x.a.run.app',
        K8S_URL: 'https://api-1.example.com',
        K8S_LANES: 'https://api-{lane}.example.com',
        CLOUDRUN_TOKEN: 'token',
      },
      maxRate: 300,
    });
    assert.deepEqual(
      cutover.scenario.verdicts.map((v) => Object.keys(v)[0]),
      ['coldStartReduction', 'loadMultiplier', 'streamSurvival'],
    );
    assert.match(cutover.scenario.targets.cloudrun!.coldStart!.trigger.command!, /api-\$\{COLDBENCH_LANE\} .*COLD_NONCE=\$\{COLDBENCH_ROUND\}/);
    assert.equal(coldStartLanes(cutover.scenario.targets.k8s!).at(-1)!.url, 'https://api-4.example.com');
  });

  it('ships a criteria file example that validates', async () => {
    const criteria = await loadCriteriaFile(join(ROOT, 'examples/perf-criteria.yaml'), {
      targets: ['cloudrun', 'k8s'],
      stages: ['baseline', '10x'],
      metrics: ['load.10x.latency.p95', 'coldStart.latency.p50'],
    });
    assert.equal(criteria.relative.length, 2);
  });

  it('publishes JSON Schemas generated from the same definitions (scenario, criteria, summary, records, prices)', () => {
    const committed = (name: string) => JSON.parse(readFileSync(join(ROOT, 'schema', name), 'utf8'));
    assert.deepEqual(committed('scenario.schema.json'), scenarioJsonSchema(), 'run `npm run schema` and commit schema/');
    assert.deepEqual(committed('summary.schema.json'), summaryJsonSchema(), 'run `npm run schema` and commit schema/');
    assert.deepEqual(committed('criteria.schema.json'), criteriaJsonSchema(), 'run `npm run schema` and commit schema/');
    assert.deepEqual(committed('records.schema.json'), recordsJsonSchema(), 'run `npm run schema` and commit schema/');
    assert.deepEqual(committed('prices.schema.json'), priceSheetJsonSchema(), 'run `npm run schema` and commit schema/');
  });
});

describe('run overrides', () => {
  it('runs only the named targets, and names an unknown one', () => {
    const { scenario } = parseScenario(VALID, 'x.yaml', { env: { CLOUDRUN_TOKEN: 'x' } });
    const only = applyOverrides(scenario, { only: ['k8s'], samples: 3 });
    assert.deepEqual(Object.keys(only.targets), ['k8s']);
    assert.equal(only.probes[0]!.kind === 'coldstart' && only.probes[0]!.samples, 3);
    assert.throws(() => applyOverrides(scenario, { only: ['k9s'] }), /--only names unknown target k9s \(targets: cloudrun, k8s\)/);
  });
});

describe('interpolation', () => {
  it('substitutes ${VAR} and ${VAR:-default}, keeps $$ as $', () => {
    const missing: string[] = [];
    const out = interpolateString('a=${A} b=${B:-two} c=${C} cost=$$5', { A: 'one' }, (name) => missing.push(name));
    assert.equal(out, 'a=one b=two c= cost=$5');
    assert.deepEqual(missing, ['C']);
  });

  it('inserts a value as it is, never expanding references inside it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (value) => {
        assert.equal(
          interpolateString('<${X}>', { X: value }, () => assert.fail('not missing')),
          `<${value}>`,
        );
      }),
    );
  });

  it('treats an empty variable as unset, as the shell does for ${VAR:-default}', () => {
    assert.equal(
      interpolateString('${X:-fallback}', { X: '' }, () => assert.fail('has a default')),
      'fallback',
    );
  });
});

describe('units', () => {
  it('parses durations of every unit and combinations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    for (const bad of ['', '5', 'ms', '5x', '-1s', '1 s']) assert.equal(parseDuration(bad), undefined, bad);
  });

  it('round-trips any whole number of a unit', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
    fc.assert(
      fc.property(fc.nat(100_000), fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)), (n, unit) => {
        assert.equal(parseDuration(`${n}${unit}`), n * units[unit]);
      }),
    );
  });

  it('formats durations for people, never rounding up into the next unit', () => {
    assert.equal(formatMs(9 * 3_600_000 + 40 * 60_000 + 59_999), '9h40m');
    assert.equal(formatMs(119_999), '1m59s');
    assert.equal(formatMs(1234), '1.23s');
    assert.equal(formatMs(0.5), '0.50ms');
  });

  it('parses percentages within 0–100%', () => {
    assert.equal(parsePercent('50%'), 0.5);
    assert.equal(parsePercent('99.9%'), 0.999);
    assert.equal(parsePercent('101%'), undefined);
    assert.equal(parsePercent('50'), undefined);
  });
});

describe('the validator on any input', () => {
  /** Either a plan or a ScenarioError listing problems; anything else (a TypeError, a hang) fails. */
  function validates(text: string): void {
    const started = performance.now();
    try {
      parseScenario(text, 'fuzz.yaml', { env: { CLOUDRUN_TOKEN: 'tok-123456' } });
    } catch (error) {
      assert.ok(error instanceof ScenarioError, `threw ${String(error)} on ${JSON.stringify(text).slice(0, 200)}`);
      assert.ok(error.details.length > 0);
      assert.doesNotMatch(error.details.join('\n'), /received|Invalid input/, 'no zod wording');
    }
    assert.ok(performance.now() - started < 2000, 'never hangs');
  }

  it('never throws anything but a list of problems on random YAML', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('5m', '50%', '10/s', 'http://127.0.0.1:1', 'sse', 'load'),
    );
    const yamlValue = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('name', 'targets', 'probes', 'verdicts', 'kind', 'url', 'stages', 'slo', 'x'), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(yamlValue, (value) => validates(JSON.stringify(value))),
      { numRuns: 300 },
    );
    fc.assert(fc.property(fc.string({ maxLength: 200 }), validates), { numRuns: 300 });
  });

  it('never throws anything but a list of problems on mutations of a valid scenario', () => {
    const lines = VALID.split('\n');
    const mutation = fc.record({
      line: fc.nat(lines.length - 1),
      cut: fc.nat(60),
      insert: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(': ', '- ', '{', '}', '[', '&a', '*a', 'null', '\t', '"', '!!binary', '${X}', '$$')),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const mutated = [...lines];
        for (const { line, cut, insert } of mutations) {
          const text = mutated[line]!;
          const at = Math.min(cut, text.length);
          mutated[line] = text.slice(0, at) + insert + text.slice(at);
        }
        validates(mutated.join('\n'));
      }),
      { numRuns: 500 },
    );
  });
});
