import { ExitCode } from '../errors.js';
import type { VerdictResult } from './summary-schema.js';

/** 0 all verdicts pass; 1 one failed; 2 one is inconclusive, insufficient, invalid or has no data. */
export function exitCodeFor(verdicts: readonly VerdictResult[]): number {
  if (verdicts.some((v) => v.status === 'fail')) return ExitCode.fail;
  if (verdicts.some((v) => v.status !== 'pass')) return ExitCode.inconclusive;
  return ExitCode.pass;
}
