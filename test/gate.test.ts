/** The CI gate and compare, as a pipeline uses them: real runs, real files, exit codes. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Summary } from '../src/model/summary.js';
import { renderGateMarkdown } from '../src/report/gate-markdown.js';
import { renderJUnit } from '../src/report/junit.js';
import { runScenario } from '../src/run-scenario.js';
import { parseScenario } from '../src/scenario/read.js';
import { CLI, ROOT, serve, tempDir } from './helpers.js';

const GOLDEN = join(ROOT, 'test/golden');
const XSD = join(ROOT, 'test/fixtures/junit.xsd');

function coldbench(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function validateJUnit(path: string): void {
  execFileSync('xmllint', ['--noout', '--schema', XSD, path], { stdio: 'pipe' });
}

/** Compares with a golden file; UPDATE_GOLDEN=1 rewrites it. */
function matchesGolden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs from its golden file (UPDATE_GOLDEN=1 to accept)`);
}

describe('gate outputs', () => {
  const summary = JSON.parse(readFileSync(join(GOLDEN, 'summary.json'), 'utf8')) as Summary;

  it('renders the Markdown summary as in its golden file', () => {
    matchesGolden('gate.md', renderGateMarkdown(summary));
  });

  it('renders JUnit XML as in its golden file, valid against the JUnit XSD', () => {
    const xml = renderJUnit(summary, 'ci-host');
    matchesGolden('junit.xml', xml);
    validateJUnit(join(GOLDEN, 'junit.xml'));
    assert.match(xml, /<failure message="FAIL: observed 0\.97 \[0\.9–1\.05\] \(90% interval\), threshold 0\.5\./);
    assert.match(xml, /<error message="INSUFFICIENT: /);
  });
});

describe('coldbench gate and compare on real runs', () => {
  const out = tempDir();
  const scenarioFile = join(out, 'gate.yaml');
  writeFileSync(
    scenarioFile,
    `name: gate-test
targets:
  baseline: { url: "\${BASE_URL}" }
  candidate: { url: "\${CANDIDATE_URL}" }
probes:
  - { kind: coldstart, samples: "\${SAMPLES}", warmFollowUps: 1 }
  - kind: load
    stages: [{ name: steady, rate: 50/s, duration: 2s }]
verdicts:
  - coldStartReduction: { baseline: baseline, candidate: candidate, atLeast: 50% }
`,
  );
  const runs: Record<string, string> = {};
  const run = async (name: string, env: Record<string, string>) => {
    const plan = parseScenario(readFileSync(scenarioFile, 'utf8'), scenarioFile, { env });
    runs[name] = (await runScenario(plan, { outDir: out })).dir;
  };

  before(async () => {
    const delayed = (ms: number) => serve((_, res) => setTimeout(() => res.end('ok'), ms));
    const [fast, slow, slower] = await Promise.all([delayed(20), delayed(40), delayed(80)]);
    await run('sameSpeed', { BASE_URL: fast, CANDIDATE_URL: fast, SAMPLES: '12' });
    await run('fewSamples', { BASE_URL: slow, CANDIDATE_URL: fast, SAMPLES: '5' });
    await run('slowerCandidate', { BASE_URL: fast, CANDIDATE_URL: slower, SAMPLES: '12' });
  });

  it('exits 1 when the candidate is as slow as the baseline, and says why in JUnit and Markdown', () => {
    const junit = join(out, 'junit.xml');
    const markdown = join(out, 'gate.md');
    const { code, stdout } = coldbench('gate', runs.sameSpeed!, '--junit', junit, '--markdown', markdown);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /FAIL: ≥50% lower/);
    validateJUnit(junit);
    assert.match(readFileSync(junit, 'utf8'), /<failure message="FAIL: observed \d+(\.\d+)? \[\d/);
    assert.match(readFileSync(markdown, 'utf8'), /❌ \| cold start p50: candidate at least 50% lower than baseline/);
  });

  it('exits 2 with too few samples', () => {
    const { code, stdout } = coldbench('gate', runs.fewSamples!);
    assert.equal(code, 2);
    assert.match(stdout, /INSUFFICIENT/);
  });

  it('judges criteria relative to a baseline run, and names unknown metrics with their line', () => {
    const criteria = join(out, 'criteria.yaml');
    writeFileSync(criteria, 'relative:\n  - { target: candidate, metric: load.steady.latency.p50, maxIncrease: 10% }\n');
    const same = coldbench('gate', runs.sameSpeed!, '--criteria', criteria, '--baseline-run', runs.sameSpeed!);
    assert.equal(same.code, 0, same.stdout);
    const worse = coldbench('gate', runs.slowerCandidate!, '--criteria', criteria, '--baseline-run', runs.sameSpeed!);
    assert.equal(worse.code, 1, worse.stdout);
    assert.match(worse.stdout, /load\.steady\.latency\.p50 vs baseline run .* FAIL: ≤ \+10%/);

    writeFileSync(
      criteria,
      'relative:\n  - { target: candidate, metric: load.steady.latency.p95 }\n  - { target: k9s, metric: load.stedy.latency.p95, maxIncrease: 5% }\n',
    );
    const bad = coldbench('gate', runs.sameSpeed!, '--criteria', criteria, '--baseline-run', runs.sameSpeed!);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /criteria\.yaml:2 relative\[0\]\.maxIncrease: missing required key/);
    assert.match(bad.stderr, /criteria\.yaml:3 relative\[1\]\.target: unknown target "k9s" \(this run has: baseline, candidate\)/);
    assert.match(bad.stderr, /criteria\.yaml:3 relative\[1\]\.metric: unknown metric "load\.stedy\.latency\.p95"/);
  });

  it('compares two targets of one run, and a run with another, marking no change as ~', () => {
    const { code, stdout } = coldbench('compare', runs.slowerCandidate!, '--baseline', 'baseline', '--candidate', 'candidate');
    assert.equal(code, 0);
    assert.match(stdout, /load\.steady\.latency\.p50 +\S+ \(n=100\) +\S+ \(n=100\) +\+\d+(\.\d+)?% .* worse/);
    // The same data on both sides: the interval holds 1 and p = 1, whatever the machine's noise.
    const same = coldbench('compare', runs.sameSpeed!, runs.sameSpeed!, '--target', 'candidate');
    assert.match(same.stdout, /load\.steady\.latency\.p50 .* ~ .* p=1 +within noise/);
    const slower = coldbench('compare', runs.sameSpeed!, runs.slowerCandidate!, '--target', 'candidate');
    assert.match(slower.stdout, /candidate: \S+ against \S+\n/);
    assert.match(slower.stdout, /load\.steady\.latency\.p95 .* worse/);
  });

  it('refuses to compare runs of different scenarios, and a directory that is not a run', () => {
    const other = tempDir();
    writeFileSync(
      join(other, 'manifest.json'),
      JSON.stringify({ ...JSON.parse(readFileSync(join(runs.sameSpeed!, 'manifest.json'), 'utf8')), scenarioName: 'other' }),
    );
    const mismatch = coldbench('compare', runs.sameSpeed!, other);
    assert.equal(mismatch.code, 3);
    assert.match(mismatch.stderr, /CB_COMPARE_MISMATCH: runs of different scenarios: "gate-test" and "other"/);
    const missing = coldbench('gate', out);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /CB_RUN_DIR_INVALID: .* is not a run directory: manifest\.json is missing/);
  });
});
