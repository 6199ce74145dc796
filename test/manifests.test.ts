/**
 * Every Kubernetes object coldbench ships (deploy/) or writes (`coldbench k6` TestRuns) checked
 * against the schemas a cluster applies: Kubernetes' own (kubernetes-models), Knative's and
 * KEDA's, and k6-operator's TestRun CRD; and deliberately broken copies fail, each problem at
 * its file, line, object and path.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { generateK6 } from '../src/k6/script.js';
import { checkManifestFiles, checkManifests, formatManifestProblem } from '../src/manifests/check.js';
import { parseScenario } from '../src/scenario/read.js';
import { coldbench, ROOT, tempDir } from './helpers.js';

const DEPLOY = join(ROOT, 'deploy');
const shipped = readdirSync(DEPLOY, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(DEPLOY, f));

const testRuns = () => {
  const plan = parseScenario(readFileSync(join(ROOT, 'test/fixtures/k6-scenario.yaml'), 'utf8'), 'k6-scenario.yaml', { env: { API_TOKEN: 't' } });
  return generateK6(plan, { parallelism: 4 }).files.filter((f) => f.name.endsWith('.testrun.yaml'));
};

describe('Kubernetes manifests against their schemas', () => {
  it('validates every object in deploy/: the runners, the reports volume, and the reference app on Cloud Run, Kubernetes and KEDA', async () => {
    const kinds = shipped.flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => `${doc.get('apiVersion')} ${doc.get('kind')}`));
    for (const kind of [
      'batch/v1 Job',
      'v1 PersistentVolumeClaim',
      'apps/v1 Deployment',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'serving.knative.dev/v1 Service',
      'keda.sh/v1alpha1 ScaledObject',
    ]) {
      assert.ok(kinds.includes(kind), `deploy/ holds a ${kind}`);
    }
    assert.deepEqual((await checkManifestFiles(shipped)).map(formatManifestProblem), []);
  });

  it("validates the TestRuns `coldbench k6` writes against k6-operator's CRD", async () => {
    const runs = testRuns();
    assert.ok(runs.length >= 2);
    for (const run of runs) assert.deepEqual((await checkManifests(run.text, run.name)).map(formatManifestProblem), []);
  });

  it('fails a TestRun with a wrong field name and a missing required field, naming the file, line, object and path', async () => {
    const run = testRuns()[0]!;
    const broken = run.text.replace('  parallelism: 4', '  paralelism: 4').replace('      file: ', '      fiel: ');
    const problems = (await checkManifests(broken, 'broken.testrun.yaml')).map(formatManifestProblem);
    const line = (text: string) => broken.split('\n').findIndex((l) => l.includes(text)) + 1;
    assert.ok(
      problems.includes(`broken.testrun.yaml:${line('paralelism')} TestRun/coldbench-k6gen-load spec.paralelism: unknown field "paralelism"`),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes(`broken.testrun.yaml:${line('fiel:')} TestRun/coldbench-k6gen-load spec.script.configMap.fiel: unknown field "fiel"`),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /TestRun\/coldbench-k6gen-load spec: missing required field "parallelism"$/.test(p)),
      problems.join('\n'),
    );
  });

  it('fails a Deployment and a Knative Service with a missing required field or a wrong type', async () => {
    const source = readFileSync(join(DEPLOY, 'reference-app/kubernetes.yaml'), 'utf8')
      .replace(/  selector:\n    matchLabels: .*\n/, '')
      .replace('replicas: 2', 'replicas: two');
    const problems = (await checkManifests(source, 'kubernetes.yaml')).map(formatManifestProblem);
    assert.ok(
      problems.some((p) => /^kubernetes\.yaml:\d+ Deployment\/reference-app spec: missing required field "selector"$/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /^kubernetes\.yaml:\d+ Deployment\/reference-app spec\.replicas: must be integer$/.test(p)),
      problems.join('\n'),
    );
    const knative = readFileSync(join(DEPLOY, 'reference-app/knative-service.yaml'), 'utf8').replace('- name: reference-app\n          image:', '- image:');
    assert.match(
      (await checkManifests(knative, 'knative-service.yaml')).map(formatManifestProblem).join('\n'),
      /Service\/reference-app spec\.template\.spec\.containers\[0\]: missing required field "name"/,
    );
  });

  it('`coldbench manifests check` exits 0 on deploy/, and 3 with every problem of an edited copy', async () => {
    const ok = await coldbench('manifests', 'check', DEPLOY);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, new RegExp(`^${shipped.length} files checked, 0 problems\\n$`));
    const dir = tempDir();
    writeFileSync(join(dir, 'run.testrun.yaml'), testRuns()[0]!.text.replace('  parallelism: 4', '  paralelism: 4'));
    writeFileSync(join(dir, 'notes.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n');
    const bad = await coldbench('manifests', 'check', dir);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /run\.testrun\.yaml:\d+ TestRun\/\S+ spec\.paralelism: unknown field "paralelism"/);
    assert.match(bad.stderr, /notes\.yaml:2 Widget\/w kind: no schema here for example\.com\/v1 Widget/);
    assert.match(bad.stderr, /2 files checked, 3 problems\n$/);
  });
});
