/**
 * The load probe: an open-model schedule built from the stages (constant or ramping
 * arrival rate), driving every target at the same time with the same schedule. Ticks
 * once a second. An abort rule stops sending to the target that tripped it, keeping
 * everything measured; the other targets go on with the schedule.
 */
import type { Emit, StagePlan } from '../model/records.js';
import { segmentOf, WHOLE, type Segment } from '../model/segment.js';
import { planStages } from '../scenario/plan.js';
import type { LoadProbe } from '../scenario/schema.js';
import { compare } from '../model/units.js';
import { constantArrivals } from './constant-arrival-rate.js';
import { aborted, deadline } from './deadline.js';
import { now, toEpochMs } from './http.js';
import { createLoadTarget, type LoadTarget } from './load-target.js';
import { runSchedule, type Arrival } from './open-model.js';
import { rampingArrivals } from './ramping-arrival-rate.js';
import { withSinkWorker } from './warm-up.js';
import type { Tick } from '../model/records.js';
import { rotated } from './rotate.js';
import { startTicker } from './ticker.js';
import type { ProbeContext } from './probe-context.js';

/** Time to set up before the first arrival, so that it is not late by construction. */
const LEAD_MS = 20;

/** Connections opened ahead: the first stage's arrivals in PRECONNECT_MS (at least one); more open as needed. */
const PRECONNECT_MS = 50;

/**
 * The warm-up: REHEARSALS runs of this file's own schedule against a sink server inside
 * coldbench (never a target; on a worker thread, see sink-worker.ts), each with fresh drivers
 * and a fresh record path. A fresh process otherwise compiles the hot path in its first
 * measured seconds, and recompiles whatever met a second instance of a closure there: on a
 * client pinned to one core those background compiles (~250 ms of them, measured with
 * --trace-opt) were the schedule lag's p99 of 3–8 ms in the first 1.5 s. Two rehearsals make every call site see two instances
 * before the measured one is its third, so V8's code holds for the measured run too.
 */
const REHEARSALS = 2;
const REHEARSAL_RATE = 4000;
const REHEARSAL_MS = 1000;
const REHEARSAL_IN_FLIGHT = 64;

function preconnectCount(stages: StagePlan[]): number {
  const first = stages[0]!;
  const rateInFirstSecond = first.fromRate + (first.toRate - first.fromRate) * Math.min(1, 1000 / first.durationMs);
  return Math.max(1, Math.ceil((Math.max(first.fromRate, rateInFirstSecond) * PRECONNECT_MS) / 1000));
}

function* schedule(stages: StagePlan[], start: number): Generator<Arrival> {
  for (const [index, stage] of stages.entries()) {
    const offsets =
      stage.fromRate === stage.toRate ? constantArrivals(stage.toRate, stage.durationMs) : rampingArrivals(stage.fromRate, stage.toRate, stage.durationMs);
    for (const offset of offsets) yield { at: start + stage.offsetMs + offset, stage: index };
  }
}

export async function runLoadProbe(context: ProbeContext<LoadProbe>): Promise<void> {
  const { probe, probeName, targets, emit, signal, segment } = context;
  await rehearseLoad(context);
  const drivers = targets.map(([name, target]) => createLoadTarget(name, target, probe, probeName, emit));
  await drive(probe, probeName, planStages(probe), drivers, emit, signal, segment);
}

/** Runs the probe's request path against a sink server before its first measured arrival (REHEARSALS). */
export async function rehearseLoad({ probe, targets, signal, rehearse }: ProbeContext<LoadProbe>): Promise<void> {
  // One target per HTTP version among them: each client path is rehearsed (an HTTP/2 one against an h2c sink).
  const rehearsedTargets = [...new Map(targets.map(([, target]) => [target.http.version, target])).values()];
  for (const target of rehearsedTargets) {
    for (let rehearsal = 0; rehearsal < REHEARSALS && !signal.aborted; rehearsal++) {
      const { emit: rehearsalEmit, end } = await rehearse();
      try {
        await withSinkWorker((url) => {
          const inFlight = Math.min(REHEARSAL_IN_FLIGHT, probe.connections ?? probe.maxInFlight, probe.maxInFlight);
          const rehearsed = { ...probe, connections: inFlight, maxInFlight: inFlight };
          const stages = [
            { name: 'warm-up', offsetMs: 0, durationMs: REHEARSAL_MS, fromRate: REHEARSAL_RATE, toRate: REHEARSAL_RATE, targetRate: REHEARSAL_RATE },
          ];
          const drivers = [createLoadTarget('warm-up', { ...target, url }, rehearsed, 'warm-up', rehearsalEmit)];
          return drive(rehearsed, 'warm-up', stages, drivers, rehearsalEmit, signal, WHOLE);
        }, target.http.version === 2);
      } finally {
        await end();
      }
    }
  }
}

/** Sends the stages' schedule to the drivers until its end or the abort, then lets in-flight requests (or flows) finish. */
export async function drive(
  probe: Pick<LoadProbe, 'abort'>,
  probeName: string,
  stages: StagePlan[],
  drivers: LoadTarget[],
  emit: Emit,
  signal: AbortSignal,
  segment: Segment,
): Promise<void> {
  const stop = new AbortController();
  const stopSignal = AbortSignal.any([signal, stop.signal]);
  await Promise.all(drivers.map((driver) => driver.preconnect(preconnectCount(stages))));
  const start = now() + LEAD_MS;
  const stageAt = (offset: number) => [...stages].reverse().find((s) => s.offsetMs <= offset) ?? stages[0]!;

  for (const stage of stages) {
    const announce = () =>
      emit({
        type: 'stage',
        probe: probeName,
        stage: stage.name,
        at: toEpochMs(start + stage.offsetMs),
        targetRate: stage.targetRate,
        durationMs: stage.durationMs,
      });
    const timer = setTimeout(announce, Math.max(0, start + stage.offsetMs - now()));
    stopSignal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  const history = new Map(drivers.map((d) => [d.name, [] as Tick[]]));
  /** Targets an abort rule stopped: nothing more is sent to them. */
  const stopped = new Set<string>();
  const emitTicks = (second: number, at: number) => {
    const stage = stageAt(second * 1000).name;
    for (const driver of drivers) {
      const tick = driver.tick(second, at, stage);
      emit(tick);
      history.get(driver.name)!.push(tick);
      if (probe.abort && !stopped.has(driver.name)) checkAbort(probe.abort, driver, history.get(driver.name)!, second);
    }
  };
  const checkAbort = (rule: NonNullable<LoadProbe['abort']>, driver: LoadTarget, ticks: Tick[], index: number) => {
    if ((index + 1) * 1000 < rule.after) return;
    const window = ticks.slice(-Math.max(1, Math.ceil(rule.window / 1000)));
    const completed = window.reduce((sum, t) => sum + t.completed, 0);
    const errors = window.reduce((sum, t) => sum + t.errors, 0);
    if (completed === 0 || !compare(errors / completed, rule.errorRate.op, rule.errorRate.value)) return;
    const reason = `error rate ${((errors / completed) * 100).toFixed(1)}% over the last ${window.length}s ${rule.errorRate.op} ${rule.errorRate.value * 100}%`;
    emit({ type: 'abort', probe: probeName, target: driver.name, at: toEpochMs(now()), reason });
    stopped.add(driver.name);
    if (stopped.size === drivers.length) stop.abort(new Error(reason));
  };

  const ticker = startTicker(start, emitTicks);

  let arrivals = 0;
  try {
    await runSchedule(
      segmentOf(schedule(stages, start), segment),
      (arrival) => {
        const stage = stages[arrival.stage]!.name;
        for (const driver of rotated(drivers, arrivals++)) if (!stopped.has(driver.name)) driver.fire(arrival.at, stage);
      },
      stopSignal,
    );
    if (!signal.aborted) {
      // Let in-flight requests finish (each is bounded by its timeout) unless the run is interrupted.
      const longest = Math.max(...drivers.map((d) => d.timeoutMs));
      const giveUp = deadline(signal, longest + 1000);
      await Promise.race([Promise.all(drivers.map((d) => d.drained())), aborted(giveUp.signal)]);
      giveUp.clear();
    }
  } finally {
    await Promise.all(drivers.map((d) => d.close()));
    ticker.stop();
  }
}
