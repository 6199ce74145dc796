/** Load-probe figures per target and stage, from stored samples, ticks and histograms. */
import type { LoadSample, ProbeAborted, StageStarted, Tick } from '../model/records.js';
import type { StagePlan } from '../scenario/plan.js';
import type { LoadProbe } from '../scenario/schema.js';
import type { StoredRun } from '../store/run-dir.js';
import { clientLagReason, eventLoopDelay, tightestLatencyLimit } from './client.js';
import { checkSlos } from './slo.js';
import { countBy, distribution, round3 } from './stats.js';
import type { LoadStageSummary } from './summary-schema.js';

/** The generator, not the server, was the limit below this share of the target rate… */
export const MIN_ACHIEVED_SHARE = 0.95;
/** …or above this share of dropped requests. */
export const MAX_DROPPED_SHARE = 0.001;

export function summarizeLoad(
  run: Pick<StoredRun, 'samples' | 'series' | 'histograms' | 'manifest'>,
  probe: LoadProbe,
  probeName: string,
  stages: StagePlan[],
  target: string,
): Record<string, LoadStageSummary> {
  const samples = run.samples.filter((s): s is LoadSample => s.kind === 'load' && s.probe === probeName && s.target === target);
  const series = run.series.filter((r) => r.probe === probeName);
  const starts = new Map(series.filter((r): r is StageStarted => r.type === 'stage').map((r) => [r.stage, r.at]));
  const abort = series.find((r): r is ProbeAborted => r.type === 'abort' && r.target === target);
  const ticks = series.filter((r): r is Tick => r.type === 'tick' && r.target === target);
  const probeStart = starts.get(stages[0]!.name) ?? samples.reduce((min, s) => Math.min(min, s.intendedAt), Infinity);
  const seenBefore = new Set<string>();
  const out: Record<string, LoadStageSummary> = {};

  for (const stage of stages) {
    const mine = samples.filter((s) => s.stage === stage.name);
    const start = starts.get(stage.name) ?? probeStart + stage.offsetMs;
    const end = start + stage.durationMs;
    // An abort rule stopped this target during or before the stage: what is left of it is aborted.
    const abortedHere = abort && abort.at < end ? abort.reason : null;
    if (mine.length === 0 && !starts.has(stage.name) && !abortedHere) continue; // never reached (interrupted before it)
    const sent = mine.filter((s) => !s.dropped);
    const errorsByClass = countBy(sent.filter((s) => s.error), (s) => s.error!.class);
    const dropped = mine.length - sent.length;
    // An interrupted run's stage is judged over the time its schedule ran, not the time planned.
    const lastDue = mine.reduce((last, s) => Math.max(last, s.intendedAt), -Infinity);
    const ranMs = run.manifest.interrupted && mine.length > 0 ? Math.min(stage.durationMs, lastDue - start + 1000 / Math.max(stage.targetRate, 1e-9)) : stage.durationMs;
    const achievedRate = sent.length / (ranMs / 1000);
    const hist = (metric: string) => run.histograms.get({ target, probe: probeName, stage: stage.name, metric });
    const stageTicks = ticks.filter((t) => t.stage === stage.name);

    const scheduleLagMs = distribution(hist('lag')) ?? null;
    const eventLoopDelayMs = eventLoopDelay(run.histograms, probeName, stage.name);
    const tightest = tightestLatencyLimit(probe.slo);
    // The client's own delay comes first: it may also be why requests were dropped or late.
    // Schedule lag is not used here: it includes waiting for a new connection's handshake,
    // which is the server's (or the network's) time, and would blame the client for it.
    const invalidReason =
      (tightest &&
        clientLagReason(
          'event-loop delay p99',
          eventLoopDelayMs?.p99,
          tightest.limitMs,
          `the ${tightest.metric} limit`,
          'the load generator',
        )) ||
      (mine.length > 0 && dropped / mine.length > MAX_DROPPED_SHARE
        ? `${dropped} of ${mine.length} due requests (${round3((dropped / mine.length) * 100)}%) were dropped at maxInFlight: the load generator was the limit`
        : null) ||
      (!abortedHere && achievedRate < stage.targetRate * MIN_ACHIEVED_SHARE
        ? `achieved ${round3(achievedRate)}/s of ${round3(stage.targetRate)}/s (< ${MIN_ACHIEVED_SHARE * 100}%)`
        : null);

    const successes = sent.filter((s) => s.ok).length;
    out[stage.name] = {
      probe: probeName,
      targetRate: round3(stage.targetRate),
      achievedRate: round3(achievedRate),
      durationMs: stage.durationMs,
      requests: sent.length,
      successes,
      errors: sent.length - successes,
      errorsByClass,
      dropped,
      latencyMs: distribution(hist('latency')) ?? null,
      uncorrectedLatencyMs: distribution(hist('uncorrected')) ?? null,
      ttfbMs: distribution(hist('ttfb')) ?? null,
      scheduleLagMs,
      eventLoopDelayMs,
      peakInstances: stageTicks.some((t) => t.instances > 0) ? Math.max(...stageTicks.map((t) => t.instances)) : null,
      firstNewInstanceAfterMs: firstNewInstance(sent, seenBefore, start),
      valid: invalidReason === null,
      invalidReason,
      aborted: abortedHere,
      slo: checkSlos(probe.slo, { samples: mine, latency: hist('latency'), stageStartEpochMs: start }),
    };
  }
  return out;
}

/** Ms from the stage start until an instance unseen before the stage first answered; then adds this stage's instances to `seen`. */
function firstNewInstance(samples: readonly LoadSample[], seen: Set<string>, stageStart: number): number | null {
  let first: number | null = null;
  for (const sample of samples) {
    if (sample.instanceId === undefined || seen.has(sample.instanceId) || sample.latencyMs === undefined) continue;
    const answeredAt = sample.intendedAt + sample.latencyMs - stageStart;
    if (first === null || answeredAt < first) first = answeredAt;
  }
  for (const sample of samples) if (sample.instanceId !== undefined) seen.add(sample.instanceId);
  return first === null ? null : round3(first);
}
