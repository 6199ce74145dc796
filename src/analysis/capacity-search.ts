/**
 * A capacity search's result, from its steps' load-stage summaries (each step is a stage):
 * a step held when no SLO check failed (an inconclusive check is not a break: a short step
 * rarely proves 99.9%) and its median latency did not keep rising (a growing queue), broke
 * otherwise, and is invalid when the load generator may have caused it. The capacity is the highest rate that held; what ended the search is
 * read from the steps above it.
 */
import type { CapacitySearchPlan } from '../model/records.js';
import { growingBacklog } from '../model/slo-metrics.js';
import type { CapacitySearchSummary, LoadStageSummary } from '../model/summary.js';
import { round3 } from './stats.js';

/** The knee: where p99 first reaches this multiple of its value at the lowest rate. */
const KNEE_FACTOR = 2;

/** A step: its load stage, and the median latency of each of its seconds. */
export interface SearchStep {
  stage: string;
  load: LoadStageSummary;
  secondMediansMs: number[];
}

export function summarizeCapacitySearch(probe: string, plan: CapacitySearchPlan, searchSteps: readonly SearchStep[]): CapacitySearchSummary {
  const steps: CapacitySearchSummary['steps'] = searchSteps.map(({ stage, load: s, secondMediansMs }) => ({
    stage,
    rate: s.targetRate,
    achievedRate: s.achievedRate,
    requests: s.requests,
    errors: s.errors,
    p50Ms: s.latencyMs?.p50 ?? null,
    p99Ms: s.latencyMs?.p99 ?? null,
    instances: s.billable?.instances ?? s.peakInstances,
    backlog: growingBacklog(secondMediansMs),
    outcome: !s.valid ? 'invalid' : s.slo.some((check) => check.status === 'fail') || growingBacklog(secondMediansMs) ? 'broke' : 'held',
  }));
  const held = steps.filter((s) => s.outcome === 'held').sort((a, b) => b.rate - a.rate)[0];
  const above = steps.filter((s) => s.outcome !== 'held' && s.rate > (held?.rate ?? 0)).sort((a, b) => a.rate - b.rate)[0];
  const limit: CapacitySearchSummary['limit'] = !held
    ? 'none-held'
    : above
      ? above.outcome === 'invalid'
        ? 'client'
        : 'slo'
      : held.rate >= plan.maxRate
        ? 'maxRate'
        : 'budget';
  return {
    probe,
    steps,
    heldRate: held?.rate ?? null,
    heldStage: held?.stage ?? null,
    brokenRate: above?.rate ?? null,
    limit,
    instances: held?.instances ?? null,
    rpsPerInstance: held?.instances ? round3(held.achievedRate / held.instances) : null,
    p50Ms: held?.p50Ms ?? null,
    p99Ms: held?.p99Ms ?? null,
    kneeRate: kneeRate(steps),
  };
}

function kneeRate(steps: CapacitySearchSummary['steps']): number | null {
  const measured = steps.filter((s) => s.outcome !== 'invalid' && s.p99Ms !== null).sort((a, b) => a.rate - b.rate);
  const base = measured[0]?.p99Ms;
  if (!base) return null;
  const knee = measured.findIndex((s) => s.p99Ms! >= KNEE_FACTOR * base);
  return knee > 0 ? measured[knee - 1]!.rate : null;
}
