/** Load-probe figures per target and stage, from stored counts, histograms and windows. */
import { addBusySpan, billableFigures } from './billable.js';
import type { LoadSample, ProbeAborted, ProbeDeclared, StagePlan, StageStarted, Tick } from '../model/records.js';
import { shareOf } from '../model/segment.js';
import { clientLagReason, eventLoopDelay, writerBackpressureReason } from './client.js';
import { tightestLatencyLimit } from '../model/slo-metrics.js';
import { newReservoir } from './reservoir.js';
import { stageKey, windowKey, type StoredRun } from './stored-run.js';
import { checkSlos } from './slo.js';
import { distribution, round3 } from './stats.js';
import type { LoadStageSummary } from '../model/summary.js';

/** The generator, not the server, was the limit below this share of the target rate… */
const MIN_ACHIEVED_SHARE = 0.95;
/** …or above this share of dropped requests. */
const MAX_DROPPED_SHARE = 0.001;

export function summarizeLoad(run: StoredRun, probe: ProbeDeclared, target: string): Record<string, LoadStageSummary> {
  const series = run.series.filter((r) => r.probe === probe.probe);
  // A capacity search's steps are its stages, each target's own (its stage records name the target).
  const stageRecords = series.filter((r): r is StageStarted => r.type === 'stage' && (r.target === undefined || r.target === target));
  const stages = probe.search ? stageRecords.map(searchStepPlan) : (probe.stages ?? []);
  const starts = new Map(stageRecords.map((r) => [r.stage, r.at]));
  const abort = series.find((r): r is ProbeAborted => r.type === 'abort' && r.target === target);
  const ticks = series.filter((r): r is Tick => r.type === 'tick' && r.target === target);
  const probeStart = starts.get(stages[0]?.name ?? '');
  const seenBefore = new Set<string>();
  const out: Record<string, LoadStageSummary> = {};
  // A segment of a run was asked for its share of each rate; a merge of every segment, for all of it.
  const share = shareOf(run.manifest.provenance.runners.map((r) => r.segment));

  for (const stageDeclared of stages) {
    const stage = { ...stageDeclared, targetRate: stageDeclared.targetRate * share };
    const data = run.load.get(stageKey(probe.probe, target, stage.name));
    const start = starts.get(stage.name) ?? (probeStart ?? 0) + stage.offsetMs;
    const end = start + stage.durationMs;
    // An abort rule stopped this target during or before the stage: what is left of it is aborted.
    const abortedHere = abort && abort.at < end ? abort.reason : null;
    if (!data && !starts.has(stage.name) && !abortedHere) continue; // never reached (interrupted before it)
    const due = data?.due ?? 0;
    const sent = data?.sent ?? 0;
    const dropped = data?.dropped ?? 0;
    // An interrupted run's stage is judged over the time its schedule ran, not the time planned.
    const ranMs =
      run.manifest.interrupted && data ? Math.min(stage.durationMs, data.lastDueAt - start + 1000 / Math.max(stage.targetRate, 1e-9)) : stage.durationMs;
    const achievedRate = sent / (ranMs / 1000);
    const hist = (metric: string) => run.histograms.get({ target, probe: probe.probe, stage: stage.name, metric });
    const stageTicks = ticks.filter((t) => t.stage === stage.name);

    const eventLoopDelayMs = eventLoopDelay(run.histograms, probe.probe, stage.name);
    const tightest = tightestLatencyLimit(probe.slo);
    // The client's own delay comes first (what its writes caused, before that): it may also be
    // why requests were dropped or late. Schedule lag is not used here: it includes waiting for
    // a new connection's handshake, which is the server's (or the network's) time, and would
    // blame the client for it.
    const invalidReason =
      writerBackpressureReason(series, probe.probe, stage.name, stage.durationMs) ||
      (tightest && clientLagReason('event-loop delay p99', eventLoopDelayMs?.p99, tightest.limitMs, `the ${tightest.metric} limit`, 'the load generator')) ||
      (due > 0 && dropped / due > MAX_DROPPED_SHARE
        ? `${dropped} of ${due} due requests (${round3((dropped / due) * 100)}%) were dropped at maxInFlight: the load generator was the limit`
        : null) ||
      (!abortedHere && achievedRate < stage.targetRate * MIN_ACHIEVED_SHARE
        ? `achieved ${round3(achievedRate)}/s of ${round3(stage.targetRate)}/s (< ${MIN_ACHIEVED_SHARE * 100}%)`
        : null);

    const successes = data?.successes ?? 0;
    // A run with no intended send time (an import) has no corrected latency: its SLOs are judged on latency from the send, and say so.
    const judgedOn = hist('latency') || !hist('uncorrected') ? 'latency' : 'uncorrected';
    out[stage.name] = {
      probe: probe.probe,
      targetRate: round3(stage.targetRate),
      achievedRate: round3(achievedRate),
      durationMs: stage.durationMs,
      requests: sent,
      successes,
      errors: sent - successes,
      errorsByClass: { ...(data?.errorsByClass ?? {}) },
      dropped,
      latencyMs: distribution(hist('latency')) ?? null,
      uncorrectedLatencyMs: distribution(hist('uncorrected')) ?? null,
      ttfbMs: distribution(hist('ttfb')) ?? null,
      scheduleLagMs: distribution(hist('lag')) ?? null,
      eventLoopDelayMs,
      billable: data ? billableFigures(data.busy) : null,
      peakInstances: stageTicks.some((t) => t.instances > 0) ? Math.max(...stageTicks.map((t) => t.instances)) : null,
      firstNewInstanceAfterMs: firstNewInstance(data?.instances, seenBefore, start),
      valid: invalidReason === null,
      invalidReason,
      aborted: abortedHere,
      slo: checkSlos(probe.slo, {
        sent,
        successes,
        latency: hist(judgedOn),
        windows: run.windows?.get(windowKey(probe.probe, target, stage.name, judgedOn)) ?? (run.windows && []),
        ...(judgedOn === 'uncorrected' && { uncorrected: `${toolOf(run)} records no intended send time` }),
      }),
    };
  }
  return out;
}

const searchStepPlan = ({ stage, targetRate, durationMs }: StageStarted): StagePlan => ({
  name: stage,
  offsetMs: 0,
  durationMs,
  fromRate: targetRate,
  toRate: targetRate,
  targetRate,
});

/** What produced the run's samples: k6 for an import of k6, else the run's own tool. */
const toolOf = (run: StoredRun): string => run.manifest.provenance.runners.find((r) => r.tool?.name)?.tool.name ?? 'this run';

/** Ms from the stage start until an instance unseen before the stage first answered; then adds this stage's instances to `seen`. */
function firstNewInstance(instances: ReadonlyMap<string, number> | undefined, seen: Set<string>, stageStart: number): number | null {
  let first: number | null = null;
  for (const [instance, answeredAt] of instances ?? []) {
    if (seen.has(instance)) continue;
    if (first === null || answeredAt - stageStart < first) first = answeredAt - stageStart;
  }
  for (const instance of instances?.keys() ?? []) seen.add(instance);
  return first === null ? null : round3(first);
}

/** Adds one load sample (sent or dropped) to its stage's counts and reservoir. */
export function addLoadSample(run: StoredRun, sample: LoadSample): void {
  const key = stageKey(sample.probe, sample.target, sample.stage);
  let data = run.load.get(key);
  if (!data) {
    data = {
      probe: sample.probe,
      target: sample.target,
      stage: sample.stage,
      due: 0,
      sent: 0,
      successes: 0,
      dropped: 0,
      errorsByClass: {},
      lastDueAt: -Infinity,
      instances: new Map(),
      latency: newReservoir(),
      busy: new Map(),
    };
    run.load.set(key, data);
  }
  data.due += 1;
  data.lastDueAt = Math.max(data.lastDueAt, sample.intendedAt);
  if (sample.dropped) {
    data.dropped += 1;
    return;
  }
  data.sent += 1;
  if (sample.ok) {
    data.successes += 1;
    if (sample.latencyMs !== undefined) data.latency.add(sample.latencyMs);
  } else if (sample.error) {
    data.errorsByClass[sample.error.class] = (data.errorsByClass[sample.error.class] ?? 0) + 1;
  }
  if (sample.instanceId !== undefined && sample.startedAt !== undefined && sample.uncorrectedLatencyMs !== undefined) {
    addBusySpan(data.busy, sample.instanceId, sample.startedAt, sample.startedAt + sample.uncorrectedLatencyMs);
  }
  if (sample.instanceId !== undefined && sample.latencyMs !== undefined) {
    const answeredAt = sample.intendedAt + sample.latencyMs;
    const first = data.instances.get(sample.instanceId);
    if (first === undefined || answeredAt < first) data.instances.set(sample.instanceId, answeredAt);
  }
}
