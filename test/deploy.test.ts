/**
 * deploy/kubernetes/: the Indexed Job's command expanded by a real shell for each completion
 * index: runners 1…N of N (test/manifests.test.ts checks every manifest against its schema).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseScenario } from '../src/scenario/read.js';
import { ROOT } from './helpers.js';

const DIR = join(ROOT, 'deploy/kubernetes');
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
const resources = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => ({ file, resource: doc.toJSON() as Resource })));
const named = (kind: string, name: string) => resources.find((r) => r.resource.kind === kind && r.resource.metadata.name === name)!.resource;

describe('Kubernetes runners', () => {
  it('runs N runners as an Indexed Job, each with its own segment of the scenario, all of which it can split', () => {
    const job = named('Job', 'coldbench-runners') as unknown as {
      spec: {
        completionMode: string;
        completions: number;
        parallelism: number;
        template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string }> }> } };
      };
    };
    const container = job.spec.template.spec.containers[0]!;
    const runners = Number(container.env.find((e) => e.name === 'RUNNERS')!.value);
    assert.equal(job.spec.completionMode, 'Indexed');
    assert.deepEqual([job.spec.completions, job.spec.parallelism], [runners, runners]);
    const segments = Array.from({ length: runners }, (_, index) => {
      // The container's own command, by a real shell, with `echo` for coldbench.
      const printed = execFileSync('sh', ['-c', container.args[0]!.replace('exec node bin/coldbench.js', 'echo')], {
        env: { JOB_COMPLETION_INDEX: String(index), RUNNERS: String(runners) },
        encoding: 'utf8',
      });
      return /--segment (\S+) --runner (\S+) --out (\S+)/.exec(printed)!.slice(1);
    });
    assert.deepEqual(
      segments,
      Array.from({ length: runners }, (_, i) => [`${i + 1}/${runners}`, `runner-${i}`, `/reports/runner-${i}`]),
    );
    const scenario = parseScenario(named('ConfigMap', 'coldbench-scenario').data!['scenario.yaml']!, 'scenario-configmap.yaml').scenario;
    assert.deepEqual(
      scenario.probes.filter((p) => p.kind === 'coldstart' || p.kind === 'capacity'),
      [],
    );
    const merge = named('Job', 'coldbench-merge') as unknown as { spec: { template: { spec: { containers: Array<{ image: string; args: string[] }> } } } };
    assert.match(merge.spec.template.spec.containers[0]!.args[0]!, /coldbench\.js merge \/reports\/runner-\*\/\*\/ --out \/reports\/merged/);
  });
});
