/**
 * A capacity search: per target, hold an arrival rate for a step, judge the step by the
 * probe's SLO on its point estimates (where the analysis would fail it) and by whether its
 * latency kept rising (a queue that grows breaks any SLO given time), then multiply the
 * rate by `growth` until a step breaks, and bisect between the highest rate that held and
 * the lowest that broke until they are within `precision`. Every target searches at the same
 * time: step k of each runs in the same round (stage `step-k`, so the client's event-loop
 * delay is measured across all of them), each at its own rate, named in its stage record;
 * a warm-up at the step's rate (stage `warm-up-k`, never judged) may come first.
 * A round in which the client's own event loop lagged (p99 over 10% of the tightest latency
 * limit, the analysis' rule for `invalid`) ends the search of every target in it: above that
 * rate the limit is the generator's, not the server's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CapacitySearchPlan, Emit, LoadSample, RunRecord } from '../model/records.js';
import { WHOLE } from '../model/segment.js';
import { growingBacklog, LATENCY_SLO_METRICS, MAX_CLIENT_DELAY_SHARE, quantileOf, tightestLatencyLimit } from '../model/slo-metrics.js';
import { compare } from '../model/units.js';
import { searchPlan } from '../scenario/plan.js';
import type { LoadProbe } from '../scenario/schema.js';
import { now } from './http.js';
import { createLoadTarget } from './load-target.js';
import { drive, rehearseLoad } from './load.js';
import type { ProbeContext } from './probe-context.js';

/** Dropping more than this share of due requests at maxInFlight: the server queues, the step broke. */
const MAX_DROPPED_SHARE = 0.001;
/** Below the first rate, the search halves (by `growth`) at most this many times before it gives up. */
const MAX_STEPS_DOWN = 3;

type StepOutcome = 'held' | 'broke' | 'client';

interface SearchState {
  rate: number | null;
  held: number | null;
  broken: number | null;
}

interface StepCounts {
  due: number;
  dropped: number;
  sent: number;
  successes: number;
  /** Corrected latencies of the successful requests, ms. */
  latencies: number[];
  /** The same, by the second of the step they were due in. */
  bySecond: number[][];
}

const newCounts = (): StepCounts => ({ due: 0, dropped: 0, sent: 0, successes: 0, latencies: [], bySecond: [] });

/** Whether a step held the SLO or broke it, from the server's side; `clientDelayP99Ms` may say the client lagged instead. */
function judgeStep(counts: StepCounts, clientDelayP99Ms: number, slo: NonNullable<LoadProbe['slo']>): StepOutcome {
  const tightest = tightestLatencyLimit(slo);
  if (tightest && clientDelayP99Ms > MAX_CLIENT_DELAY_SHARE * tightest.limitMs) return 'client';
  if (counts.due > 0 && counts.dropped / counts.due > MAX_DROPPED_SHARE) return 'broke';
  if (slo.successRate && !compare(counts.successes / Math.max(counts.sent, 1), slo.successRate.op, slo.successRate.value)) return 'broke';
  const sorted = counts.latencies.sort((a, b) => a - b);
  for (const metric of LATENCY_SLO_METRICS) {
    const limit = slo[metric];
    if (!limit) continue;
    const observed = quantile(sorted, quantileOf(metric));
    if (observed === undefined || !compare(observed, limit.op, limit.value)) return 'broke';
  }
  const medians = counts.bySecond
    .filter((second) => second.length > 0)
    .map((second) =>
      quantile(
        second.sort((a, b) => a - b),
        0.5,
      )!,
    );
  return growingBacklog(medians) ? 'broke' : 'held';
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** Rates are asked in whole requests per second from 10/s up, so steps read as they were meant. */
const roundRate = (rate: number) => (rate >= 10 ? Math.round(rate) : Math.round(rate * 100) / 100);

/** The search after a step: its next rate, or null when it is over. */
function nextStep(state: SearchState, outcome: StepOutcome, plan: CapacitySearchPlan): SearchState {
  const rate = state.rate!;
  if (outcome === 'client') return { ...state, rate: null };
  const held = outcome === 'held' ? Math.max(state.held ?? 0, rate) : state.held;
  const broken = outcome === 'broke' ? Math.min(state.broken ?? Infinity, rate) : state.broken;
  if (broken === null) return { held, broken, rate: rate >= plan.maxRate ? null : roundRate(Math.min(rate * plan.growth, plan.maxRate)) };
  if (held === null) {
    const lower = roundRate(broken / plan.growth);
    return { held, broken, rate: lower >= plan.fromRate / plan.growth ** MAX_STEPS_DOWN && lower > 0 ? lower : null };
  }
  const middle = roundRate((held + broken) / 2);
  const narrow = broken <= held * (1 + plan.precision) || middle <= held || middle >= broken;
  return { held, broken, rate: narrow ? null : middle };
}

export async function runCapacitySearch(context: ProbeContext<LoadProbe>): Promise<void> {
  const { probe, probeName, targets, emit, signal } = context;
  const plan = searchPlan(probe.search!);
  await rehearseLoad(context);
  const states = new Map(targets.map(([name]) => [name, { rate: plan.fromRate, held: null, broken: null } as SearchState]));
  const startedAt = now();
  for (let round = 1; !signal.aborted; round++) {
    const searching = targets.filter(([name]) => states.get(name)!.rate !== null);
    if (searching.length === 0 || now() - startedAt + plan.warmUpMs + plan.stepMs > plan.budgetMs) return;
    const stage = `step-${round}`;
    const clientDelay = monitorEventLoopDelay({ resolution: 10 });
    clientDelay.enable();
    const steps = await Promise.all(
      searching.map(async ([name, target]) => {
        const state = states.get(name)!;
        const rate = state.rate!;
        const counts = newCounts();
        let stepStartAt = 0;
        const observe: Emit = (record: RunRecord) => {
          if (record.type === 'sample' && record.kind === 'load' && record.stage === stage) count(counts, record, stepStartAt);
          if (record.type !== 'stage') return emit(record);
          if (record.stage === stage) stepStartAt = record.at;
          emit({ ...record, target: name, ...(record.stage !== stage && { warmUp: true }) });
        };
        const driver = createLoadTarget(name, target, probe, probeName, observe);
        const constant = (name: string, offsetMs: number, durationMs: number) => ({
          name,
          offsetMs,
          durationMs,
          fromRate: rate,
          toRate: rate,
          targetRate: rate,
        });
        const stages =
          plan.warmUpMs > 0 ? [constant(`warm-up-${round}`, 0, plan.warmUpMs), constant(stage, plan.warmUpMs, plan.stepMs)] : [constant(stage, 0, plan.stepMs)];
        await drive(probe, probeName, stages, [driver], observe, signal, WHOLE);
        return { name, state, counts };
      }),
    );
    clientDelay.disable();
    if (signal.aborted) return;
    const clientDelayP99Ms = clientDelay.percentile(99) / 1e6;
    for (const { name, state, counts } of steps) states.set(name, nextStep(state, judgeStep(counts, clientDelayP99Ms, probe.slo!), plan));
    if (plan.pauseMs > 0 && !signal.aborted) await sleep(plan.pauseMs, undefined, { signal }).catch(() => undefined);
  }
}

function count(counts: StepCounts, sample: LoadSample, stepStartAt: number): void {
  counts.due += 1;
  if (sample.dropped) counts.dropped += 1;
  else counts.sent += 1;
  if (sample.ok) {
    counts.successes += 1;
    if (sample.latencyMs !== undefined) {
      counts.latencies.push(sample.latencyMs);
      (counts.bySecond[Math.max(0, Math.floor((sample.intendedAt - stepStartAt) / 1000))] ??= []).push(sample.latencyMs);
    }
  }
}
