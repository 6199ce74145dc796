/**
 * "Streams stay up": the share of a target's streams kept for the whole hold, judged on its
 * exact binomial bound, with no more lost messages than allowed. A baseline target is shown
 * beside it, as the comparison the claim is about.
 */
import type { StreamSurvivalSpec } from '../../model/verdict-specs.js';
import { checkRatio } from '../slo.js';
import { round3 } from '../stats.js';
import type { Summary, VerdictResult } from '../../model/summary.js';

export function streamSurvivalVerdict(spec: StreamSurvivalSpec, targets: Summary['targets']): VerdictResult {
  const stream = targets[spec.target]?.stream;
  const baseline = spec.baseline ? targets[spec.baseline]?.stream : undefined;
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'no data' : `${round3(x * 100)}%`);
  const check = checkRatio('survival', { op: '>=', value: spec.atLeast }, stream?.survived ?? 0, stream?.connections ?? 0, 'streams kept');
  const lost = stream?.lostMessages ?? 0;
  // Lost messages break the claim whatever the survival bound says; no data stays no data.
  const status = lost > spec.maxLostMessages && (check.status === 'pass' || check.status === 'inconclusive') ? 'fail' : check.status;
  const comparison = spec.baseline
    ? `; ${spec.baseline} kept ${pct(baseline?.survival)} (${baseline?.survived ?? 0}/${baseline?.connections ?? 0}, drops: ${formatCauses(baseline?.droppedByCause)})`
    : '';
  const samples: Record<string, number> = { [spec.target]: stream?.connections ?? 0 };
  const values: Record<string, number | null> = { [spec.target]: stream?.survival ?? null };
  if (spec.baseline) {
    samples[spec.baseline] = baseline?.connections ?? 0;
    values[spec.baseline] = baseline?.survival ?? null;
  }
  return {
    id: 'stream-survival',
    title: `${spec.target} keeps at least ${pct(spec.atLeast)} of its streams for the whole hold, losing at most ${spec.maxLostMessages} messages`,
    claim: `≥${pct(spec.atLeast)} kept, ≤${spec.maxLostMessages} lost`,
    metric: 'stream survival',
    status,
    observed: stream?.survival ?? null,
    threshold: spec.atLeast,
    ci: check.bound === null ? null : { low: check.bound, high: 1, confidence: 0.95 },
    samples,
    values,
    unit: 'share',
    observedUnit: 'share',
    detail: `${check.detail}; ${lost} messages lost; drops: ${formatCauses(stream?.droppedByCause)}${comparison}`,
  };
}

function formatCauses(causes: Record<string, number> | undefined): string {
  const entries = Object.entries(causes ?? {});
  return entries.length ? entries.map(([cause, n]) => `${cause}×${n}`).join(', ') : 'none';
}
