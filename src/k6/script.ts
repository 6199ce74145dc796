/**
 * `coldbench k6`: a scenario as k6 scripts, one TypeScript file per probe k6 can run, typed
 * with @types/k6 (k6 ≥ 1.0 runs `.ts` directly), plus a k6-operator TestRun for each. A load
 * probe becomes one arrival-rate scenario per target and stage, started at the stage's
 * offset, so every target gets the same schedule and every request carries its target, probe
 * and stage tags, which `coldbench import k6` files it by. Thresholds come from the SLOs.
 * WebSocket streams map to k6/websockets; SSE, NDJSON, cold-start and capacity probes have no
 * stock-k6 equivalent and are named, not faked. Secret headers become `__ENV` lookups:
 * nothing secret is written.
 */
import type { ProbeKind } from '../model/probe-kinds.js';
import type { ProbeDeclared, StagePlan } from '../model/records.js';
import { declareProbes, type Plan } from '../scenario/plan.js';
import type { LoadProbe, Probe, Scenario, StreamProbe, Target } from '../scenario/schema.js';
import { header, SUMMARY, stageScenario, targetsLiteral, thresholds, vus } from './common.js';
import { flowScript } from './flow-script.js';

export interface GeneratedFile {
  name: string;
  text: string;
}

export interface K6Generation {
  files: GeneratedFile[];
  /** Per probe: what was written, or why nothing was. */
  notes: string[];
}

export function generateK6(plan: Plan, { parallelism = 1 } = {}): K6Generation {
  const { scenario } = plan;
  const files: GeneratedFile[] = [];
  const notes: string[] = [];
  const declarations = declareProbes(scenario);
  for (const [index, probe] of scenario.probes.entries()) {
    const declared = declarations[index]!;
    const name = declared.probe;
    const targets = declared.targets.map((t) => [t, scenario.targets[t]!] as const);
    const translated = (K6_TRANSLATIONS[probe.kind] as Translation<Probe>)({ plan, probe, name, targets, declared });
    if ('unsupported' in translated) {
      notes.push(`${name}: not generated: ${translated.unsupported}`);
      continue;
    }
    files.push({ name: `${name}.ts`, text: translated.script }, { name: `${name}.testrun.yaml`, text: testRun(scenario, name, parallelism) });
    notes.push(`${name}: ${name}.ts (${translated.what}) and ${name}.testrun.yaml`);
  }
  return { files, notes };
}

interface TranslationInput<P> {
  plan: Plan;
  probe: P;
  name: string;
  targets: ReadonlyArray<readonly [string, Target]>;
  declared: ProbeDeclared;
}
type Translation<P> = (input: TranslationInput<P>) => { script: string; what: string } | { unsupported: string };

/** Each probe kind as a k6 script, or why stock k6 cannot run it. */
const K6_TRANSLATIONS: { [K in ProbeKind]: Translation<Extract<Probe, { kind: K }>> } = {
  coldstart: () => ({ unsupported: 'a cold-start probe triggers scale-to-zero between rounds and classifies each first request; k6 has no such executor' }),
  load: ({ plan, probe, name, targets, declared }) =>
    probe.search
      ? { unsupported: "a capacity search picks each step's rate from the last step's result; k6's executors run a fixed schedule" }
      : { script: loadScript(plan, probe, name, targets, declared.stages!), what: 'an arrival-rate scenario per target and stage' },
  capacity: () => ({ unsupported: "a capacity probe is autocannon's closed model; run k6 with constant-vus for that" }),
  idleSweep: () => ({
    unsupported: 'an idle sweep waits a quiet time on each lane before each request and classifies it cold or warm; k6 has no such executor',
  }),
  stream: ({ plan, probe, name, targets }) =>
    probe.protocol !== 'websocket'
      ? { unsupported: `k6 has no ${probe.protocol.toUpperCase()} stream client (only WebSocket, in k6/websockets)` }
      : probe.before
        ? { unsupported: 'a stream with steps before it: the k6 WebSocket script does not run them; write its k6 twin by hand' }
        : { script: websocketScript(plan, probe, name, targets), what: 'k6/websockets' },
  flow: ({ plan, probe, name, targets, declared }) => {
    if (!probe.steps) {
      return {
        unsupported: `a flow script (${probe.script}) drives coldbench's FlowContext, not k6's API: write its k6 twin by hand, or give the flow as steps`,
      };
    }
    const websocketStep = probe.steps.find((step) => step.stream === 'websocket');
    if (websocketStep)
      return { unsupported: `step ${websocketStep.name} is a WebSocket exchange, which k6's http groups cannot hold: write its k6 twin by hand` };
    return {
      script: flowScript(plan, probe, probe.steps, name, targets, declared.stages!),
      what: 'a group per step in an arrival-rate scenario per target and stage',
    };
  },
};

function loadScript(plan: Plan, probe: LoadProbe, name: string, targets: ReadonlyArray<readonly [string, Target]>, stages: readonly StagePlan[]): string {
  const secrets = new Set<string>();
  const targetsText = targetsLiteral(plan, targets, probe.request, secrets);
  const timeoutMs = probe.timeout ?? Math.max(...targets.map(([, t]) => t.timeout));
  const expectedMs = probe.slo?.p99?.value ?? probe.slo?.p95?.value ?? probe.slo?.p50?.value ?? 1000;
  const { failed, duration } = thresholds(probe.slo);
  const scenarios = Object.fromEntries(
    targets.flatMap(([target]) =>
      stages.map((stage) => [
        `${target}-${stage.name}`,
        stageScenario(target, name, stage, vus(Math.max(stage.fromRate, stage.toRate), expectedMs, timeoutMs)),
      ]),
    ),
  );
  const thresholdEntries = targets.flatMap(([target]) =>
    stages.flatMap((stage) => [
      ...(failed.length ? [[`http_req_failed{target:${target},stage:${stage.name}}`, failed]] : []),
      ...(duration.length ? [[`http_req_duration{target:${target},stage:${stage.name}}`, duration]] : []),
    ]),
  );
  return `${header(plan, name, [...secrets])}
import http from 'k6/http';
import type { Options } from 'k6/options';

const PROBE = ${JSON.stringify(name)};
${targetsText}

export const options: Options = {
  discardResponseBodies: true,
  scenarios: ${JSON.stringify(scenarios, null, 2).replace(/\n/g, '\n  ')},
  thresholds: ${JSON.stringify(Object.fromEntries(thresholdEntries), null, 2).replace(/\n/g, '\n  ')},
};

export function send(): void {
  const name = __ENV.TARGET ?? '';
  const stage = __ENV.STAGE ?? '';
  const target = TARGETS[name]!;
  http.request(target.method, target.url, target.body, {
    headers: target.headers,
    timeout: '${timeoutMs}ms',
    tags: { target: name, probe: PROBE, stage },
  });
}

${SUMMARY}`;
}

function websocketScript(plan: Plan, probe: StreamProbe, name: string, targets: ReadonlyArray<readonly [string, Target]>): string {
  const secrets = new Set<string>();
  const targetsText = targetsLiteral(plan, targets, probe.request, secrets).replace(/url: "http/g, 'url: "ws');
  const openSeconds = probe.connections / probe.openRate;
  const scenarios = Object.fromEntries(
    targets.map(([target]) => [
      target,
      {
        executor: 'constant-arrival-rate',
        exec: 'hold',
        rate: probe.openRate,
        timeUnit: '1s',
        duration: `${Math.ceil(openSeconds * 1000)}ms`,
        // Each VU holds one connection for the whole hold.
        preAllocatedVUs: probe.connections,
        maxVUs: probe.connections,
        gracefulStop: `${probe.hold + 30_000}ms`,
        env: { TARGET: target },
        tags: { target, probe: name, stage: 'stream' },
      },
    ]),
  );
  return `${header(plan, name, [...secrets])}
import { WebSocket } from 'k6/websockets';
import { setTimeout } from 'k6/timers';
import type { Options } from 'k6/options';

const PROBE = ${JSON.stringify(name)};
const HOLD_MS = ${probe.hold};
${targetsText}

export const options: Options = {
  scenarios: ${JSON.stringify(scenarios, null, 2).replace(/\n/g, '\n  ')},
};

/** Opens one WebSocket and holds it for the probe's hold, as coldbench's stream probe does. */
export function hold(): void {
  const name = __ENV.TARGET ?? '';
  const target = TARGETS[name]!;
  const socket = new WebSocket(target.url, null, { headers: target.headers, tags: { target: name, probe: PROBE, stage: 'stream' } });
  socket.onopen = () => {
    setTimeout(() => socket.close(), HOLD_MS);
  };
}

${SUMMARY}`;
}

/** A k6-operator TestRun whose runners each write their k6 JSON output to their own directory of a shared volume. */
function testRun(scenario: Scenario, name: string, parallelism: number): string {
  const id = `coldbench-${scenario.name}-${name}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `# k6-operator: kubectl create configmap ${id} --from-file=${name}.ts && kubectl apply -f ${name}.testrun.yaml
# Each runner writes /results/<pod>/k6.json.gz on the coldbench-k6-results volume; then
# coldbench import k6 /results/*/k6.json.gz --out reports   (from a pod that mounts it)
apiVersion: k6.io/v1alpha1
kind: TestRun
metadata:
  name: ${id}
spec:
  parallelism: ${parallelism}
  script:
    configMap:
      name: ${id}
      file: ${name}.ts
  arguments: --out json=/results/k6.json.gz --tag testid=${id}
  runner:
    env:
      - name: POD_NAME
        valueFrom: { fieldRef: { fieldPath: metadata.name } }
    volumeMounts:
      - { name: results, mountPath: /results, subPathExpr: $(POD_NAME) }
    volumes:
      - name: results
        persistentVolumeClaim: { claimName: coldbench-k6-results }
`;
}
