/**
 * `capacityAtLeast` verdicts: does a target hold a rate within its SLO? Read from its capacity
 * search: it passes when a step at or above `atLeast` held, fails when a step at or below it
 * broke (and none at or above held). Between (the search stopped below `atLeast` on its budget
 * or its maxRate) it is inconclusive; a search the client's own lag ended below it is
 * invalid: the generator, not the server, could not go higher.
 */
import type { CapacityAtLeastSpec } from '../../model/verdict-specs.js';
import type { Summary, VerdictResult, VerdictStatus } from '../../model/summary.js';
import { formatRate } from '../../model/units.js';

export function capacityAtLeastVerdict(spec: CapacityAtLeastSpec, targets: Summary['targets']): VerdictResult {
  const search = targets[spec.target]?.capacitySearch;
  const instances = search?.instances ?? null;
  const scale = (rate: number | null) => (rate === null ? null : spec.perInstance ? (instances ? rate / instances : null) : rate);
  const held = scale(search?.heldRate ?? null);
  const broken = search?.steps.filter((s) => s.outcome === 'broke').map((s) => scale(s.rate));
  const lowestBroken = broken?.some((rate) => rate !== null) ? Math.min(...broken.filter((rate): rate is number => rate !== null)) : null;
  const what = spec.perInstance ? 'one instance' : spec.target;
  const judged = ((): { status: VerdictStatus; detail: string } => {
    if (!search || search.steps.length === 0) return { status: 'no-data', detail: `${spec.target} has no capacity search` };
    if (spec.perInstance && !instances) return { status: 'no-data', detail: `no instance ids at the held rate: per instance needs them` };
    const steps = `${search.steps.length} steps`;
    if (held !== null && held >= spec.atLeast) return { status: 'pass', detail: `${what} held ${formatRate(held)} within its SLO (${steps})` };
    const heldText = held === null ? 'no step held' : `it held ${formatRate(held)}`;
    if (lowestBroken !== null && lowestBroken <= spec.atLeast) {
      return { status: 'fail', detail: `${heldText}, and ${formatRate(lowestBroken)} broke its SLO (${steps})` };
    }
    if (search.limit === 'client') {
      return { status: 'invalid', detail: `${heldText}; the load generator lagged above it: the client, not the server, stopped the search` };
    }
    return {
      status: 'inconclusive',
      detail: `${heldText}; the search ended on its ${search.limit === 'maxRate' ? 'maxRate' : 'time budget'} before ${formatRate(spec.atLeast)}`,
    };
  })();
  return {
    id: 'capacity-at-least',
    title: `${spec.target} holds ${formatRate(spec.atLeast)}${spec.perInstance ? ' per instance' : ''} within its SLO`,
    claim: `≥${formatRate(spec.atLeast)}`,
    metric: spec.perInstance ? 'capacity per instance' : 'capacity',
    status: judged.status,
    observed: held,
    threshold: spec.atLeast,
    ci: null,
    unit: 'per-second',
    observedUnit: 'per-second',
    samples: { [spec.target]: search?.steps.find((s) => s.stage === search.heldStage)?.requests ?? 0 },
    values: { [spec.target]: held },
    detail: judged.detail,
  };
}
