/**
 * The flow probe: scripted user journeys (sign in, open a conversation, post a prompt, read
 * the streamed answer) started on an open-model schedule, every target at the same time.
 * Each flow is one user: its own connection, its data row, the variables its steps extract.
 * A step's latency counts from the flow's intended start plus the think time planned before
 * it, so a late start or a stalled step shows in every later step (no coordinated omission).
 * The schedule, ticks and drain are the load probe's (load.ts drive); a flow is a driver.
 */
import { setMaxListeners } from 'node:events';
import type { Emit, FlowSample, HttpProtocol, SampleError } from '../model/records.js';
import { ownError } from '../model/error-class.js';
import { planStages } from '../scenario/plan.js';
import { buildRequest } from '../scenario/request.js';
import type { FlowProbe, FlowStep, Target } from '../scenario/schema.js';
import { checkResponse, drawThink, extractValues, longestThink, resolveRequest } from './flow-step.js';
import { openConnection, toEpochMs } from './http.js';
import { KEPT_BODY_BYTES, type FlowBody, type FlowRun } from './flow-run.js';
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

function yamlSteps(steps: readonly FlowStep[]): FlowBody {
  return async (run) => {
    for (const step of steps) {
      const due = run.dueNow();
      const result = await run.send(resolveRequest(step.request, run.values), step.stream);
      const response = { status: result.status, headers: result.headers, body: result.body, truncated: result.bytes > KEPT_BODY_BYTES };
      const error = result.error ?? checkResponse(step, response) ?? extractValues(step, response, run.values);
      run.record(step.name, due, {
        startedAt: result.startedAt,
        endedAt: result.startedAt + result.phases.total,
        ...(result.phases.ttfb !== undefined && { ttfbAt: result.startedAt + result.phases.ttfb }),
        ...(result.status !== undefined && { status: result.status }),
        bytes: result.bytes,
        ...(result.instanceId !== undefined && { instanceId: result.instanceId }),
        ...(error && { error }),
      });
      if (error) return { ...error, message: `step ${step.name}: ${error.message}` };
      // The drawn pause, not the one the timer gave: a late timer is the client's delay and shows in the next step.
      if (step.think && step !== steps.at(-1)) await run.think(drawThink(step.think, Math.random));
    }
    return undefined;
  };
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
  const instanceHeader = target.identity.instanceIdHeader.toLowerCase();
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
    let protocol: HttpProtocol | undefined;
    let thinkMs = 0;
    let bytes = 0;
    let firstSentAt: number | undefined;
    let endedAt = intendedAt;
    /** When the request or step that ended last was due: the flow's latency is counted to its end from there (think time before it left out, after it not counted). */
    let lastDue = intendedAt;
    /** What a step that failed because the probe stopped the flow records, instead of undici's abort. */
    const stopped = (): SampleError | undefined => (stopFlows.signal.aborted ? (stopFlows.signal.reason as SampleError) : undefined);
    const run: FlowRun = {
      flow,
      target: name,
      row,
      values: { ...inputs.vars, ...row },
      signal: stopFlows.signal,
      stopped,
      get thinkMs() {
        return thinkMs;
      },
      dueNow: () => intendedAt + thinkMs,
      async send(request, stream) {
        const spec = buildRequest(request, target);
        if (stream === 'sse') spec.headers = { accept: 'text/event-stream', ...spec.headers };
        const result = await connection.request(spec, { timeoutMs: stepTimeoutMs, signal: stopFlows.signal, keepBodyBytes: KEPT_BODY_BYTES });
        firstSentAt ??= result.startedAt;
        protocol ??= result.protocol;
        lastDue = intendedAt + thinkMs;
        endedAt = result.startedAt + result.phases.total;
        bytes += result.bytes;
        const instanceId = result.headers[instanceHeader];
        return { ...result, ...(result.error && stopped() && { error: stopped() }), ...(instanceId !== undefined && { instanceId }) };
      },
      record(step, stepDue, outcome) {
        if (outcome.endedAt >= endedAt) [endedAt, lastDue] = [outcome.endedAt, stepDue];
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
      async think(ms) {
        await pause(ms, stopFlows.signal);
        thinkMs += ms;
      },
    };
    let failure: SampleError | undefined;
    try {
      failure = await body(run);
    } catch (error) {
      // A think time the probe's end cut short.
      failure = stopped() ?? ownError('CB_UNKNOWN', 'other', String((error as Error)?.message ?? error));
    } finally {
      await connection.close();
    }
    return {
      ...whole,
      ...(firstSentAt !== undefined && { startedAt: toMicros(toEpochMs(firstSentAt)) }),
      ...(target.http.version === 2 && protocol && { httpProtocol: protocol }),
      ok: !failure,
      bytes,
      ...(failure ? { error: failure } : { latencyMs: toMicros(endedAt - lastDue) }),
      ...(thinkMs > 0 && { thinkMs: toMicros(thinkMs) }),
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

/** Waits `ms` unless the flow is stopped first (then throws). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
