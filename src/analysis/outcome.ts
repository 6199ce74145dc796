import { ExitCode } from '../model/errors.js';
import type { Summary, VerdictResult } from '../model/summary.js';

/**
 * Why a run's verdicts must not pass a gate: it was interrupted, failed, or never recorded
 * an end (crashed, or still running). Null for a completed run.
 */
export function incompleteRun(status: Summary['status']): string | null {
  if (status === 'completed') return null;
  const what = { interrupted: 'was interrupted', failed: 'failed', running: 'never recorded an end (it crashed, or is still running)' }[status];
  return `the run ${what} (status ${status}): what it measured is not judged as a pass; --allow-incomplete judges it anyway`;
}

/** Why a gate must not pass a completed run either: what it stored is damaged or partial (summary.incomplete). Null when whole. */
export function damagedRun(incomplete: readonly string[]): string | null {
  if (incomplete.length === 0) return null;
  const more = incomplete.length > 1 ? ` and ${incomplete.length - 1} more` : '';
  return `the run's stored data is incomplete (${incomplete[0]}${more}): what it measured is not judged as a pass; --allow-incomplete judges it anyway`;
}

/** 0 all verdicts pass; 1 one failed; 2 one is inconclusive, insufficient, invalid or has no data. */
export function exitCodeFor(verdicts: readonly VerdictResult[]): number {
  if (verdicts.some((v) => v.status === 'fail')) return ExitCode.fail;
  if (verdicts.some((v) => v.status !== 'pass')) return ExitCode.inconclusive;
  return ExitCode.pass;
}
