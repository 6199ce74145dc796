/**
 * `coldShareAt` verdicts: after `gap` of quiet, how often does a request meet a cold start?
 * The claim holds when the whole 95% Wilson interval of the cold share is at or below
 * `atMost`, fails when all of it is above, and is inconclusive in between (more samples would
 * tell); fewer than MIN_CLASSIFIED requests classified cold or warm are insufficient.
 */
import type { ColdShareAtSpec } from '../../model/verdict-specs.js';
import type { Summary, VerdictResult, VerdictStatus } from '../../model/summary.js';
import { formatMs, formatPercent } from '../../model/units.js';

const MIN_CLASSIFIED = 10;

export function coldShareAtVerdict(spec: ColdShareAtSpec, targets: Summary['targets']): VerdictResult {
  const gap = targets[spec.target]?.idleSweep?.gaps.find((g) => g.gapMs === spec.gap);
  const classified = gap ? gap.cold + gap.warm : 0;
  const judged = ((): { status: VerdictStatus; detail: string } => {
    if (!gap || classified === 0) return { status: 'no-data', detail: `no request after ${formatMs(spec.gap)} of quiet was classified cold or warm` };
    const measured = `${gap.cold} cold of ${classified} (${formatPercent(gap.coldShare!)}, 95% Wilson ${formatPercent(gap.coldShareLow!)}–${formatPercent(gap.coldShareHigh!)})`;
    if (classified < MIN_CLASSIFIED) return { status: 'insufficient', detail: `${measured}: fewer than ${MIN_CLASSIFIED} classified requests` };
    if (gap.coldShareHigh! <= spec.atMost) return { status: 'pass', detail: `${measured}: all of the interval at or below ${formatPercent(spec.atMost)}` };
    if (gap.coldShareLow! > spec.atMost) return { status: 'fail', detail: `${measured}: all of the interval above ${formatPercent(spec.atMost)}` };
    return { status: 'inconclusive', detail: `${measured}: the interval straddles ${formatPercent(spec.atMost)}; more samples would decide` };
  })();
  return {
    id: 'cold-share-at',
    title: `${spec.target} meets a cold start after ${formatMs(spec.gap)} of quiet at most ${formatPercent(spec.atMost)} of the time`,
    claim: `≤${formatPercent(spec.atMost)} cold`,
    metric: `cold share after ${formatMs(spec.gap)} idle`,
    status: judged.status,
    observed: gap?.coldShare ?? null,
    threshold: spec.atMost,
    ci: gap && gap.coldShareLow !== null && gap.coldShareHigh !== null ? { low: gap.coldShareLow, high: gap.coldShareHigh, confidence: 0.95 } : null,
    unit: 'share',
    observedUnit: 'cold-share',
    samples: { [spec.target]: classified },
    values: { [spec.target]: gap?.coldShare ?? null },
    detail: judged.detail,
  };
}
