/** Flow-probe figures per target: the whole flow and each step, from stored counts and histograms. */
import type { FlowSample, ProbeDeclared } from '../model/records.js';
import type { FlowSummary } from '../model/summary.js';
import { flowHistogramStage } from '../store/sample-metrics.js';
import { clientLagReason, eventLoopDelay } from './client.js';
import { tightestLatencyLimit } from '../model/slo-metrics.js';
import { newReservoir } from './reservoir.js';
import { checkSlos } from './slo.js';
import { distribution, quantile, round3 } from './stats.js';
import { streamKey, type FlowData, type StoredRun } from './stored-run.js';

/** The generator, not the server, was the limit above this share of dropped flows. */
const MAX_DROPPED_SHARE = 0.001;

export function addFlowSample(run: StoredRun, sample: FlowSample): void {
  const key = streamKey(sample.probe, sample.target);
  let data = run.flows.get(key);
  if (!data) run.flows.set(key, (data = { due: 0, dropped: 0, flows: 0, successes: 0, steps: new Map(), thinkMs: 0 }));
  if (sample.step === undefined) {
    data.due += 1;
    if (sample.dropped) data.dropped += 1;
    else {
      data.flows += 1;
      if (sample.ok) data.successes += 1;
      data.thinkMs += sample.thinkMs ?? 0;
    }
    return;
  }
  let step = data.steps.get(sample.step);
  if (!step) data.steps.set(sample.step, (step = { requests: 0, successes: 0, errorsByClass: {}, startsAfter: newReservoir() }));
  step.requests += 1;
  if (sample.ok) step.successes += 1;
  else if (sample.error) step.errorsByClass[sample.error.class] = (step.errorsByClass[sample.error.class] ?? 0) + 1;
  if (sample.startedAt !== undefined) step.startsAfter.add(sample.startedAt - sample.intendedAt);
}

export function summarizeFlow(run: StoredRun, probe: ProbeDeclared, target: string): FlowSummary {
  const data: FlowData | undefined = run.flows.get(streamKey(probe.probe, target));
  const hist = (step: string | undefined, metric: string) => run.histograms.get({ target, probe: probe.probe, stage: flowHistogramStage(step), metric });
  const stages = probe.stages ?? [];
  const totalMs = stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  const targetRate = totalMs > 0 ? stages.reduce((sum, stage) => sum + stage.targetRate * stage.durationMs, 0) / totalMs : 0;
  const delays = stages.map((stage) => eventLoopDelay(run.histograms, probe.probe, stage.name)).filter((d) => d !== null);
  const eventLoopDelayMs = delays.sort((a, b) => b.p99 - a.p99)[0] ?? null;
  const tightest = tightestLatencyLimit(probe.slo);
  const due = data?.due ?? 0;
  const dropped = data?.dropped ?? 0;
  const invalidReason =
    (tightest &&
      clientLagReason('event-loop delay p99', eventLoopDelayMs?.p99, tightest.limitMs, `the flow's ${tightest.metric} limit`, 'the load generator')) ||
    (due > 0 && dropped / due > MAX_DROPPED_SHARE
      ? `${dropped} of ${due} due flows (${round3((dropped / due) * 100)}%) were dropped at maxInFlight: the load generator was the limit`
      : null);
  const flows = data?.flows ?? 0;
  const successes = data?.successes ?? 0;
  return {
    probe: probe.probe,
    targetRate: round3(targetRate),
    achievedRate: totalMs > 0 ? round3(flows / (totalMs / 1000)) : 0,
    flows,
    successes,
    errors: flows - successes,
    dropped,
    latencyMs: distribution(hist(undefined, 'latency')) ?? null,
    meanThinkMs: flows > 0 ? round3(data!.thinkMs / flows) : null,
    eventLoopDelayMs,
    valid: invalidReason === null,
    invalidReason,
    // Declared steps in order, then any a script ran that were not declared, as first seen.
    steps: [
      ...(probe.steps ?? []),
      ...[...(data?.steps.keys() ?? [])].filter((name) => !probe.steps?.some((s) => s.name === name)).map((name) => ({ name, slo: undefined })),
    ].map(({ name, slo }) => {
      const step = data?.steps.get(name);
      const requests = step?.requests ?? 0;
      const stepSuccesses = step?.successes ?? 0;
      const startsAfter = step && step.startsAfter.values.length > 0 ? round3(quantile(step.startsAfter.values, 0.5)) : null;
      return {
        name,
        requests,
        successes: stepSuccesses,
        errors: requests - stepSuccesses,
        errorsByClass: { ...(step?.errorsByClass ?? {}) },
        latencyMs: distribution(hist(name, 'latency')) ?? null,
        uncorrectedLatencyMs: distribution(hist(name, 'uncorrected')) ?? null,
        ttfbMs: distribution(hist(name, 'ttfb')) ?? null,
        startsAfterMs: startsAfter,
        slo: checkSlos(slo, { sent: requests, successes: stepSuccesses, latency: hist(name, 'latency'), windows: undefined }),
      };
    }),
    slo: checkSlos(probe.slo, { sent: flows, successes, latency: hist(undefined, 'latency'), windows: undefined }),
  };
}
