import { compareMetrics } from '../../analysis/compare.js';
import { comparableMetrics } from '../../analysis/metrics.js';
import { incompleteRun } from '../../analysis/outcome.js';
import { CbError, ExitCode } from '../../model/errors.js';
import { comparisonTable, renderAligned } from '../../report/text.js';
import { loadRun } from '../../analysis/run-data.js';

export interface CompareArgs {
  runA: string;
  runB?: string;
  target?: string;
  baseline?: string;
  candidate?: string;
  json: boolean;
  allowIncomplete: boolean;
}

/** Two runs (same target, before/after) or two targets of one run (--baseline, --candidate). */
export function compareCommand(args: CompareArgs): number {
  const a = loadRun(args.runA);
  const runs = [a];
  const sections: Array<{ title: string; labels: { a: string; b: string }; rows: ReturnType<typeof compareMetrics> }> = [];
  if (args.runB === undefined) {
    if (!args.baseline || !args.candidate) throw new CbError('CB_USAGE', 'compare one run with --baseline TARGET --candidate TARGET, or name two runs');
    for (const name of [args.baseline, args.candidate]) {
      if (!a.manifest.targets.includes(name)) throw new CbError('CB_USAGE', `run ${a.manifest.runId} has no target "${name}"`);
    }
    const rows = compareMetrics(comparableMetrics(a, args.baseline), comparableMetrics(a, args.candidate));
    sections.push({ title: `${args.candidate} against ${args.baseline} in run ${a.manifest.runId}`, labels: { a: args.baseline, b: args.candidate }, rows });
  } else {
    const b = loadRun(args.runB);
    runs.push(b);
    if (a.manifest.scenarioName !== b.manifest.scenarioName) {
      throw new CbError(
        'CB_COMPARE_MISMATCH',
        `runs of different scenarios: "${a.manifest.scenarioName}" and "${b.manifest.scenarioName}"; compare runs of one scenario`,
      );
    }
    if (args.target !== undefined && !(a.manifest.targets.includes(args.target) && b.manifest.targets.includes(args.target))) {
      throw new CbError('CB_USAGE', `--target ${args.target}: both runs must have it (targets: ${a.manifest.targets.join(', ')})`);
    }
    const targets = args.target ? [args.target] : a.manifest.targets.filter((t) => b.manifest.targets.includes(t));
    for (const target of targets) {
      const rows = compareMetrics(comparableMetrics(a, target), comparableMetrics(b, target));
      sections.push({ title: `${target}: ${b.manifest.runId} against ${a.manifest.runId}`, labels: { a: 'before', b: 'after' }, rows });
    }
  }
  if (args.json) process.stdout.write(JSON.stringify(sections, null, 2) + '\n');
  else {
    for (const section of sections) {
      process.stdout.write(
        `${section.title}\n${section.rows.length ? renderAligned(comparisonTable(section.rows, section.labels)) : 'no metric in common'}\n\n`,
      );
    }
    process.stdout.write('~ : within noise (the 90% bootstrap interval of the ratio holds 1, or Mann–Whitney p ≥ 0.05)\n');
  }
  const incomplete = runs.flatMap((run) => {
    const reason = incompleteRun(run.manifest.status);
    return reason ? [`${run.manifest.runId}: ${reason}`] : [];
  });
  if (incomplete.length && !args.allowIncomplete) throw new CbError('CB_RUN_INCOMPLETE', incomplete.join('; '));
  for (const reason of incomplete) process.stderr.write(`warning: ${reason}\n`);
  return ExitCode.pass;
}
