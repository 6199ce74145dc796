/** A flow probe's steps as a k6 script: a group per step in an arrival-rate scenario per target and stage. */
import type { StagePlan } from '../model/records.js';
import { isSecretVariable } from '../model/redact.js';
import type { Plan } from '../scenario/plan.js';
import type { FlowProbe, FlowStep, Target } from '../scenario/schema.js';
import { header, SUMMARY, stageScenario, targetsLiteral, thresholds, vus } from './common.js';

/**
 * A flow as k6 runs it: each step a `group` whose request carries the step as a tag, the
 * same checks and extracts (k6's gjson selectors for JSON paths), think times drawn the same
 * way, the scenario's vars and the data file (opened beside the script: JSON through
 * SharedArray, CSV through k6/experimental/csv). Flow latency and failures are custom
 * metrics with the flow's SLO as thresholds; a step's SLO is a threshold on its requests.
 * Rows are picked by the iteration's number in its k6 scenario (one per target and stage).
 */
export function flowScript(
  plan: Plan,
  probe: FlowProbe,
  flowSteps: readonly FlowStep[],
  name: string,
  targets: ReadonlyArray<readonly [string, Target]>,
  stages: readonly StagePlan[],
): string {
  const secrets = new Set<string>();
  const targetsText = targetsLiteral(plan, targets, { method: 'GET', path: '/' }, secrets);
  const timeoutMs = probe.timeout ?? Math.max(...targets.map(([, t]) => t.timeout));
  const expectedMs = probe.slo?.p99?.value ?? probe.slo?.p95?.value ?? flowSteps.length * 1000;
  const scenarios = Object.fromEntries(
    targets.flatMap(([target]) =>
      stages.map((stage) => [
        `${target}-${stage.name}`,
        stageScenario(target, name, stage, vus(Math.max(stage.fromRate, stage.toRate), expectedMs, timeoutMs * flowSteps.length), 'flow'),
      ]),
    ),
  );
  const flowThresholds = thresholds(probe.slo);
  const thresholdEntries = targets.flatMap(([target]) => [
    ...(flowThresholds.failed.length ? [[`flow_failed{target:${target}}`, flowThresholds.failed]] : []),
    ...(flowThresholds.duration.length ? [[`flow_duration{target:${target}}`, flowThresholds.duration]] : []),
    ...flowSteps.flatMap((step) => {
      const limits = thresholds(step.slo);
      return [
        ...(limits.failed.length ? [[`http_req_failed{target:${target},step:${step.name}}`, limits.failed]] : []),
        ...(limits.duration.length ? [[`http_req_duration{target:${target},step:${step.name}}`, limits.duration]] : []),
      ];
    }),
  ]);
  // A secret the environment put into a step or a var goes back to being a variable, which the script reads from __ENV.
  const secretValues = Object.entries(plan.substitutions).filter(
    ([variable, value]) => isSecretVariable(variable) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(variable) && value,
  );
  const unsecret = (text: string) =>
    secretValues.reduce((out, [variable, secret]) => {
      if (!out.includes(secret)) return out;
      secrets.add(variable);
      return out.split(secret).join(`\${${variable}}`);
    }, text);
  const steps = flowSteps.map((step) => ({
    name: step.name,
    method: step.request.method,
    path: unsecret(step.request.path),
    headers: Object.fromEntries(
      Object.entries({ ...(step.stream === 'sse' && { accept: 'text/event-stream' }), ...step.request.headers }).map(([key, value]) => [key, unsecret(value)]),
    ),
    body: step.request.body === undefined ? null : unsecret(typeof step.request.body === 'string' ? step.request.body : JSON.stringify(step.request.body)),
    json: typeof step.request.body === 'object',
    stream: step.stream ?? null,
    status: step.check?.status === undefined ? null : [step.check.status].flat(),
    bodyContains: step.check?.bodyContains === undefined ? null : unsecret(step.check.bodyContains),
    jsonChecks: Object.entries(step.check?.json ?? {}).map(([path, value]) => ({ selector: gjson(path), value })),
    extract: Object.entries(step.extract ?? {}).map(([variable, spec]) =>
      spec.from === 'json'
        ? { variable, from: 'json', selector: gjson(spec.path) }
        : spec.from === 'header'
          ? { variable, from: 'header', header: spec.name }
          : { variable, from: 'event', event: spec.event ?? null, selector: spec.path === undefined ? null : gjson(spec.path) },
    ),
    think: step.think ?? null,
  }));
  const varsLiteral = JSON.stringify(Object.fromEntries(Object.entries(plan.scenario.vars).map(([key, value]) => [key, unsecret(value)])));
  const data = probe.data;
  const dataImports = !data
    ? ''
    : data.file.toLowerCase().endsWith('.json')
      ? `import { SharedArray } from 'k6/data';\n`
      : `import { open } from 'k6/experimental/fs';\nimport csv from 'k6/experimental/csv';\n`;
  const rows = !data
    ? 'const ROWS: Array<Record<string, string>> | null = null;'
    : data.file.toLowerCase().endsWith('.json')
      ? `const ROWS = new SharedArray('${name} data', () => JSON.parse(open(${JSON.stringify(data.file)})) as Array<Record<string, string>>);`
      : `const ROWS = (await csv.parse(await open(${JSON.stringify(data.file)}), { asObjects: true })) as unknown as Array<Record<string, string>>;`;
  return `${header(plan, name, [...secrets])}${data ? `// Reads ${data.file} relative to this script (with k6-operator, add it to the ConfigMap: --from-file=${data.file}).\n` : ''}
import http from 'k6/http';
import type { RefinedResponse, ResponseType } from 'k6/http';
import exec from 'k6/execution';
import { check, group, sleep } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
${dataImports}
const PROBE = ${JSON.stringify(name)};
${targetsText}
// A secret var is \${NAME} here, filled from __ENV.
const VARS: Record<string, string> = Object.fromEntries(Object.entries(${varsLiteral} as Record<string, string>).map(([key, value]) => [key, fill(value, {})]));
${rows}
const UNIQUE_ROWS = ${data?.mode === 'unique'};

type Think = { kind: 'fixed'; ms: number } | { kind: 'uniform'; minMs: number; maxMs: number } | { kind: 'exponential'; meanMs: number };
type Extract =
  | { variable: string; from: 'json'; selector: string }
  | { variable: string; from: 'header'; header: string }
  | { variable: string; from: 'event'; event: string | null; selector: string | null };
interface Step {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  json: boolean;
  stream: 'sse' | 'ndjson' | null;
  status: number[] | null;
  bodyContains: string | null;
  jsonChecks: Array<{ selector: string; value: unknown }>;
  extract: Extract[];
  think: Think | null;
}
const STEPS: Step[] = ${JSON.stringify(steps, null, 2)};

const flowDuration = new Trend('flow_duration', true);
const flowFailed = new Rate('flow_failed');

export const options: Options = {
  scenarios: ${JSON.stringify(scenarios, null, 2).replace(/\n/g, '\n  ')},
  thresholds: ${JSON.stringify(Object.fromEntries(thresholdEntries), null, 2).replace(/\n/g, '\n  ')},
};

/** \`\${name}\` and \`\${name:-default}\` from the flow's variables, as coldbench fills them, then the environment (secrets). */
function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\\}/g, (whole: string, name?: string, fallback?: string) =>
    whole === '$$' ? '$' : (vars[name!] ?? __ENV[name!] ?? fallback ?? ''),
  );
}

function fillBody(step: Step, vars: Record<string, string>): string | null {
  if (step.body === null) return null;
  // A JSON body's strings are filled one by one, so a value with a quote stays JSON.
  if (!step.json) return fill(step.body, vars);
  return JSON.stringify(JSON.parse(step.body), (_key: string, value: unknown) => (typeof value === 'string' ? fill(value, vars) : value));
}

function drawThink(think: Think): number {
  if (think.kind === 'fixed') return think.ms;
  if (think.kind === 'uniform') return think.minMs + Math.random() * (think.maxMs - think.minMs);
  return Math.min(-think.meanMs * Math.log(1 - Math.random()), 10 * think.meanMs);
}

/** The last event of a whole stream body (SSE: of the given type), as coldbench reads it. */
function lastEvent(body: string, stream: 'sse' | 'ndjson', type: string | null): string | undefined {
  if (stream === 'ndjson') return body.split('\\n').filter((line) => line.trim()).at(-1);
  let found: string | undefined;
  for (const block of body.split(/\\r?\\n\\r?\\n/)) {
    const lines = block.split(/\\r?\\n/);
    const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length && (type === null || event === type)) found = data.join('\\n');
  }
  return found;
}

function runStep(step: Step, target: (typeof TARGETS)[string], tags: Record<string, string>, vars: Record<string, string>): boolean {
  const headers: Record<string, string> = { ...target.headers };
  for (const [key, value] of Object.entries(step.headers)) headers[key] = fill(value, vars);
  if (step.json && !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const res: RefinedResponse<ResponseType> = http.request(step.method, target.url.replace(/\\/$/, '') + fill(step.path, vars), fillBody(step, vars), {
    headers,
    timeout: '${timeoutMs}ms',
    tags: { ...tags, step: step.name },
  });
  const body = typeof res.body === 'string' ? res.body : '';
  const passed = check(res, {
    status: (r) => (step.status ? step.status.includes(r.status) : r.status > 0 && r.status < 400),
    ...(step.bodyContains !== null && { 'body contains': () => body.includes(step.bodyContains!) }),
    ...Object.fromEntries(step.jsonChecks.map(({ selector, value }) => [selector, (r: RefinedResponse<ResponseType>) => JSON.stringify(r.json(selector)) === JSON.stringify(value)])),
  });
  if (!passed) return false;
  for (const extract of step.extract) {
    let value: unknown;
    if (extract.from === 'json') value = res.json(extract.selector);
    else if (extract.from === 'header') value = Object.entries(res.headers).find(([key]) => key.toLowerCase() === extract.header)?.[1];
    else {
      const data = lastEvent(body, step.stream ?? 'sse', extract.event);
      value = data === undefined || extract.selector === null ? data : extract.selector.split('.').reduce<any>((v, key) => v?.[key], JSON.parse(data));
    }
    if (!check(value, { [\`extract \${extract.variable}\`]: (v) => v !== undefined && v !== null })) return false;
    vars[extract.variable] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return true;
}

export function flow(): void {
  const name = __ENV.TARGET ?? '';
  const tags = { target: name, probe: PROBE, stage: __ENV.STAGE ?? '' };
  const target = TARGETS[name]!;
  const iteration = exec.scenario.iterationInTest;
  if (ROWS && UNIQUE_ROWS && iteration >= ROWS.length) return;
  const vars: Record<string, string> = { ...VARS, ...(ROWS ? ROWS[iteration % ROWS.length] : {}) };
  const started = Date.now();
  let thinkMs = 0;
  let ok = true;
  for (const [index, step] of STEPS.entries()) {
    if (!group(step.name, () => runStep(step, target, tags, vars))) {
      ok = false;
      break;
    }
    if (step.think && index < STEPS.length - 1) {
      const pause = drawThink(step.think);
      sleep(pause / 1000);
      thinkMs += pause;
    }
  }
  flowFailed.add(!ok, tags);
  if (ok) flowDuration.add(Date.now() - started - thinkMs, tags);
}

${SUMMARY}`;
}

/** A JSON path of a scenario ($.a.b[0]) as the gjson selector k6's Response.json takes (a.b.0). */
function gjson(path: string): string {
  return path
    .slice(2)
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/^\./, '');
}
