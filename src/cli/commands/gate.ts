import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { gate } from '../../analysis/gate.js';
import { comparableMetrics } from '../../analysis/metrics.js';
import { damagedRun, exitCodeFor, incompleteRun } from '../../analysis/outcome.js';
import { CbError } from '../../model/errors.js';
import { renderGateMarkdown } from '../../report/gate-markdown.js';
import { renderJUnit } from '../../report/junit.js';
import { verdictLine } from '../../report/text.js';
import { loadCriteriaFile } from '../../scenario/criteria.js';
import { writeOutputFile } from '../../store/output.js';
import { loadRun } from '../../analysis/run-data.js';
import type { StoredRun } from '../../analysis/stored-run.js';

export interface GateArgs {
  runDir: string;
  criteria?: string;
  baselineRun?: string;
  junit?: string;
  markdown?: string;
  json: boolean;
  allowIncomplete: boolean;
}

export async function gateCommand(args: GateArgs): Promise<number> {
  const run = loadRun(args.runDir);
  const baseline = args.baselineRun === undefined ? undefined : loadRun(args.baselineRun);
  if (baseline && baseline.manifest.scenarioName !== run.manifest.scenarioName) {
    throw new CbError('CB_COMPARE_MISMATCH', `the baseline run is of scenario "${baseline.manifest.scenarioName}", this run of "${run.manifest.scenarioName}"`);
  }
  const criteria = args.criteria === undefined ? undefined : await loadCriteriaFile(args.criteria, knownNames(run, baseline));
  if (criteria && criteria.relative.length > 0 && !baseline) {
    throw new CbError('CB_USAGE', `${args.criteria} has relative criteria: pass the run to compare with as --baseline-run`);
  }
  const summary = gate(run, criteria, baseline);
  const markdown = renderGateMarkdown(summary);
  const incomplete = args.allowIncomplete ? null : (incompleteRun(summary.status) ?? damagedRun(summary.incomplete));
  if (args.junit) writeOutputFile(args.junit, renderJUnit(summary, hostname(), { incomplete }), '--junit');
  if (args.markdown) writeOutputFile(args.markdown, markdown, '--markdown');
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown);
  if (args.json) process.stdout.write(JSON.stringify(summary.verdicts, null, 2) + '\n');
  else {
    for (const reason of summary.incomplete) process.stdout.write(`incomplete: ${reason}\n`);
    for (const verdict of summary.verdicts) process.stdout.write(`${verdictLine(verdict)}\n  ${verdict.detail}\n`);
    if (summary.verdicts.length === 0) process.stdout.write('no verdicts to judge\n');
  }
  if (incomplete) throw new CbError('CB_RUN_INCOMPLETE', incomplete);
  return exitCodeFor(summary.verdicts);
}

function knownNames(run: StoredRun, baseline: StoredRun | undefined) {
  const { targets } = run.manifest;
  const metrics = new Set<string>();
  for (const stored of [run, baseline])
    for (const target of targets) if (stored) for (const name of comparableMetrics(stored, target).keys()) metrics.add(name);
  return {
    targets,
    stages: run.probes.flatMap((probe) => (probe.stages ?? []).map((s) => s.name)),
    metrics: [...metrics].sort(),
  };
}
