/**
 * The flow probe: scripted user journeys (sign in, open a conversation, post a prompt, read
 * the streamed answer) started on an open-model schedule, every target at the same time.
 * Each flow is one user: its own connection, its data row, the variables its steps extract.
 * A step's latency counts from the flow's intended start plus the think time planned before
 * it, so a late start or a stalled step shows in every later step (no coordinated omission).
 * The schedule, ticks and drain are the load probe's (load.ts drive); a flow is a driver.
 */
import { setMaxListeners } from 'node:events';
import type { Emit, FlowSample, SampleError } from '../model/records.js';
import { ownError } from '../model/error-class.js';
import { planStages } from '../scenario/plan.js';
import type { FlowProbe, Target } from '../scenario/schema.js';
import { longestThink } from './flow-step.js';
import { openConnection, toEpochMs } from './http.js';
import { startFlowRun, yamlSteps, type FlowBody } from './flow-run.js';
import { scriptBody } from './flow-script.js';
import { drive } from './load.js';
import { newSecond, takeTick, toMicros, type LoadTarget } from './load-target.js';
import type { FlowInputs, ProbeContext } from './probe-context.js';
import { WHOLE } from '../model/segment.js';

/** How long a stopped flow has to end on its own before it is recorded as stopped. */
const STOP_GRACE_MS = 1000;

export async function runFlowProbe({ probe, probeName, targets, emit, signal, inputs }: ProbeContext<FlowProbe>): Promise<void> {
  const body = probe.steps ? yamlSteps(probe.steps) : scriptBody(inputs.script!);
  const drivers = targets.map(([name, target]) => createFlowTarget(name, target, probe, probeName, emit, inputs, body, signal));
  await drive({}, probeName, planStages(probe), drivers, emit, signal, WHOLE);
}

function createFlowTarget(
  name: string,
  target: Target,
  probe: FlowProbe,
  probeName: string,
  emit: Emit,
  inputs: FlowInputs,
  body: FlowBody,
  interrupted: AbortSignal,
): LoadTarget {
  const stepTimeoutMs = probe.timeout ?? target.timeout;
  const stopFlows = new AbortController();
  // Every running flow's request and think time listens to it.
  setMaxListeners(Infinity, stopFlows.signal);
  let due = 0;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const second = newSecond();
  const base = { type: 'sample', kind: 'flow', probe: probeName, target: name } as const;
  /** Flows started and not yet recorded, by number. */
  const unfinished = new Map<number, Omit<FlowSample, 'ok' | 'bytes'>>();
  const finish = (sample: FlowSample) => {
    inFlight -= 1;
    second.completed += 1;
    if (!sample.ok) second.errors += 1;
    emit(sample);
    if (inFlight === 0) onIdle?.();
  };

  const runFlow = async (intendedAt: number, flow: number): Promise<FlowSample> => {
    const row = inputs.rows && (inputs.mode === 'unique' ? inputs.rows[flow] : inputs.rows[flow % inputs.rows.length]);
    const whole = unfinished.get(flow)!;
    if (inputs.rows && !row) {
      const error = ownError('CB_DATA_EXHAUSTED', 'other', `every one of the ${inputs.rows.length} data rows is used (mode unique)`);
      return { ...whole, ok: false, bytes: 0, error };
    }
    const connection = openConnection(target.url, {
      connectTimeoutMs: stepTimeoutMs,
      rejectUnauthorized: !target.insecureSkipTLSVerify,
      http2: target.http.version === 2,
    });
    /** What a step that failed because the probe stopped the flow records, instead of undici's abort. */
    const stopped = (): SampleError | undefined => (stopFlows.signal.aborted ? (stopFlows.signal.reason as SampleError) : undefined);
    const { run, totals } = startFlowRun({
      flow,
      targetName: name,
      target,
      connection,
      row,
      values: { ...inputs.vars, ...row },
      intendedAt,
      stepTimeoutMs,
      signal: stopFlows.signal,
      stopped,
      onStep(step, stepDue, outcome, thinkMs) {
        if (outcome.instanceId !== undefined) second.instances.add(outcome.instanceId);
        const { error } = outcome;
        emit({
          ...whole,
          step,
          startedAt: toMicros(toEpochMs(outcome.startedAt)),
          ok: !error,
          bytes: outcome.bytes,
          ...(error ? { error } : { latencyMs: toMicros(outcome.endedAt - stepDue), uncorrectedLatencyMs: toMicros(outcome.endedAt - outcome.startedAt) }),
          ...(!error && outcome.ttfbAt !== undefined && { ttfbMs: toMicros(outcome.ttfbAt - stepDue) }),
          ...(thinkMs > 0 && { thinkMs: toMicros(thinkMs) }),
          ...(outcome.status !== undefined && { status: outcome.status }),
          ...(outcome.instanceId !== undefined && { instanceId: outcome.instanceId }),
        });
      },
    });
    // A stopped flow's connection closes at once: a script parked at its next call (flow-script.ts) never reaches the finally below.
    const closeOnStop = () => void connection.close();
    stopFlows.signal.addEventListener('abort', closeOnStop, { once: true });
    let failure: SampleError | undefined;
    try {
      failure = await body(run);
    } catch (error) {
      // A think time the probe's end cut short.
      failure = stopped() ?? ownError('CB_UNKNOWN', 'other', String((error as Error)?.message ?? error));
    } finally {
      stopFlows.signal.removeEventListener('abort', closeOnStop);
      await connection.close();
    }
    return {
      ...whole,
      ...(totals.firstSentAt !== undefined && { startedAt: toMicros(toEpochMs(totals.firstSentAt)) }),
      ...(target.http.version === 2 && totals.protocol && { httpProtocol: totals.protocol }),
      ok: !failure,
      bytes: totals.bytes,
      ...(failure ? { error: failure } : { latencyMs: toMicros(totals.endedAt - totals.lastDue) }),
      ...(totals.thinkMs > 0 && { thinkMs: toMicros(totals.thinkMs) }),
    };
  };

  return {
    name,
    // A YAML flow may take every step's timeout and every think time, a script one request's: the drain waits that long before stopping it.
    timeoutMs: probe.steps ? probe.steps.reduce((sum, step) => sum + stepTimeoutMs + longestThink(step.think), 0) : stepTimeoutMs,
    fire(intendedAt, stage) {
      const flow = due++;
      if (inFlight >= probe.maxInFlight) {
        second.dropped += 1;
        emit({ ...base, stage, flow, intendedAt: toEpochMs(intendedAt), dropped: true, ok: false, bytes: 0 });
        return;
      }
      inFlight += 1;
      second.sent += 1;
      const whole = { ...base, stage, flow, intendedAt: toMicros(toEpochMs(intendedAt)) };
      unfinished.set(flow, whole);
      void runFlow(intendedAt, flow).then((sample) => {
        if (!unfinished.delete(flow)) return; // already recorded as stopped by close()
        finish(sample);
      });
    },
    tick: (index, at, stage) => takeTick(second, { probe: probeName, target: name, stage, at: toEpochMs(at), second: index, inFlight }, false),
    // Each flow opens its own connection, as a user's browser does: nothing to open ahead.
    preconnect: async () => undefined,
    drained: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve))),
    async close() {
      const reason = interrupted.aborted
        ? ownError('CB_ABORTED', 'aborted', 'the run was interrupted while the flow ran')
        : ownError('CB_FLOW_TIMEOUT', 'timeout', 'the probe ended while the flow ran (after its stages and the time its steps may take)');
      stopFlows.abort(reason);
      // A stopped flow ends within a moment (its request and pause are aborted); a script that ignores the abort is recorded as stopped anyway.
      await Promise.race([this.drained(), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS))]);
      for (const [flow, whole] of unfinished) {
        unfinished.delete(flow);
        finish({ ...whole, ok: false, bytes: 0, error: reason });
      }
    },
  };
}
