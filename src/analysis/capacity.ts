/** Capacity-probe figures per target. */
import type { StoredRun } from './stored-run.js';
import { distribution, round3 } from './stats.js';
import type { CapacitySummary } from '../model/summary.js';

export function summarizeCapacity(run: Pick<StoredRun, 'capacity' | 'histograms'>, probeName: string, target: string): CapacitySummary | undefined {
  const sample = run.capacity.find((s) => s.probe === probeName && s.target === target);
  if (!sample) return undefined;
  return {
    probe: probeName,
    connections: sample.connections,
    pipelining: sample.pipelining,
    durationMs: sample.endedAt - sample.startedAt,
    requests: sample.requests,
    successes: sample.successes,
    errors: sample.errors,
    timeouts: sample.timeouts,
    non2xx: sample.non2xx,
    requestsPerSecond: round3(sample.requestsPerSecond),
    latencyMs: distribution(run.histograms.get({ target, probe: probeName, stage: 'capacity', metric: 'latency' })) ?? null,
    ...(sample.reportedLatencyMs && { reportedLatencyMs: sample.reportedLatencyMs }),
  };
}
