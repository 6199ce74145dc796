/**
 * The flow probe: scripted user journeys (sign in, open a conversation, post a prompt, read
 * the streamed answer) started on an open-model schedule, every target at the same time.
 * Each flow is one user: its own connection, its data row, the variables its steps extract.
 * A step's latency counts from the flow's intended start plus the think time planned before
 * it, so a late start or a stalled step shows in every later step (no coordinated omission).
 * The schedule, ticks and drain are the load probe's (load.ts drive); a flow is a driver.
 */
import { setMaxListeners } from 'node:events';
import type { Emit, FlowSample, SampleError, Tick } from '../model/records.js';
import { ownError } from '../model/error-class.js';
import { planStages } from '../scenario/plan.js';
import { buildRequest } from '../scenario/request.js';
import type { FlowProbe, Target } from '../scenario/schema.js';
import { checkResponse, drawThink, extractValues, longestThink, resolveRequest } from './flow-step.js';
import { openConnection, toEpochMs } from './http.js';
import { drive } from './load.js';
import { toMicros, type LoadTarget } from './load-target.js';
import type { FlowInputs, ProbeContext } from './probe-context.js';
import { WHOLE } from '../model/segment.js';

/** Body kept per step for checks and extracts; a longer body is read to its end and counted, not kept. */
const KEPT_BODY_BYTES = 4 * 1024 * 1024;

export async function runFlowProbe({ probe, probeName, targets, emit, signal, inputs }: ProbeContext<FlowProbe>): Promise<void> {
  const drivers = targets.map(([name, target]) => createFlowTarget(name, target, probe, probeName, emit, inputs));
  await drive({}, probeName, planStages(probe), drivers, emit, signal, WHOLE);
}

function createFlowTarget(name: string, target: Target, probe: FlowProbe, probeName: string, emit: Emit, inputs: FlowInputs): LoadTarget {
  const stepTimeoutMs = probe.timeout ?? target.timeout;
  const running = new AbortController();
  // Every running flow's request and think time listens to it.
  setMaxListeners(Infinity, running.signal);
  let due = 0;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const second = { sent: 0, completed: 0, errors: 0, dropped: 0, instances: new Set<string>() };
  const base = { type: 'sample', kind: 'flow', probe: probeName, target: name } as const;

  const runFlow = async (intendedAt: number, stage: string, flow: number): Promise<FlowSample> => {
    const row = inputs.rows && (inputs.mode === 'unique' ? inputs.rows[flow] : inputs.rows[flow % inputs.rows.length]);
    const whole = { ...base, stage, flow, intendedAt: toMicros(toEpochMs(intendedAt)) };
    if (inputs.rows && !row) {
      const error = ownError('CB_DATA_EXHAUSTED', 'other', `every one of the ${inputs.rows.length} data rows is used (mode unique)`);
      return { ...whole, ok: false, bytes: 0, error };
    }
    const values: Record<string, string> = { ...inputs.vars, ...row };
    const connection = openConnection(target.url, { connectTimeoutMs: stepTimeoutMs, rejectUnauthorized: !target.insecureSkipTLSVerify });
    let thinkMs = 0;
    let bytes = 0;
    let firstSentAt: number | undefined;
    let endedAt = intendedAt;
    let failure: SampleError | undefined;
    try {
      for (const step of probe.steps) {
        const stepDue = intendedAt + thinkMs;
        const request = buildRequest(resolveRequest(step.request, values), target);
        if (step.stream === 'sse') request.headers = { accept: 'text/event-stream', ...request.headers };
        const result = await connection.request(request, { timeoutMs: stepTimeoutMs, signal: running.signal, keepBodyBytes: KEPT_BODY_BYTES });
        endedAt = result.startedAt + result.phases.total;
        firstSentAt ??= result.startedAt;
        bytes += result.bytes;
        const response = { status: result.status, headers: result.headers, body: result.body, truncated: result.bytes > KEPT_BODY_BYTES };
        const error = result.error ?? checkResponse(step, response) ?? extractValues(step, response, values);
        const instanceId = result.headers[target.identity.instanceIdHeader.toLowerCase()];
        if (instanceId !== undefined) second.instances.add(instanceId);
        emit({
          ...whole,
          step: step.name,
          startedAt: toMicros(toEpochMs(result.startedAt)),
          ok: !error,
          bytes: result.bytes,
          ...(error ? { error } : { latencyMs: toMicros(endedAt - stepDue), uncorrectedLatencyMs: toMicros(result.phases.total) }),
          ...(!error && result.phases.ttfb !== undefined && { ttfbMs: toMicros(result.startedAt + result.phases.ttfb - stepDue) }),
          ...(thinkMs > 0 && { thinkMs: toMicros(thinkMs) }),
          ...(result.status !== undefined && { status: result.status }),
          ...(instanceId !== undefined && { instanceId }),
        });
        if (error) {
          failure = { ...error, message: `step ${step.name}: ${error.message}` };
          break;
        }
        if (step.think && step !== probe.steps.at(-1)) {
          // The drawn pause, not the one the timer gave: a late timer is the client's delay and shows in the next step.
          const pause = drawThink(step.think, Math.random);
          await think(pause, running.signal);
          thinkMs += pause;
        }
      }
    } catch (error) {
      // Only a think time stopped by the end of the probe gets here.
      failure = ownError('CB_ABORTED', 'aborted', `stopped during a think time: ${(error as Error).message}`);
    } finally {
      await connection.close();
    }
    return {
      ...whole,
      ...(firstSentAt !== undefined && { startedAt: toMicros(toEpochMs(firstSentAt)) }),
      ok: !failure,
      bytes,
      ...(failure ? { error: failure } : { latencyMs: toMicros(endedAt - intendedAt - thinkMs) }),
      ...(thinkMs > 0 && { thinkMs: toMicros(thinkMs) }),
    };
  };

  return {
    name,
    // A flow may take every step's timeout and every think time: the drain waits that long before stopping it.
    timeoutMs: probe.steps.reduce((sum, step) => sum + stepTimeoutMs + longestThink(step.think), 0),
    fire(intendedAt, stage) {
      const flow = due++;
      if (inFlight >= probe.maxInFlight) {
        second.dropped += 1;
        emit({ ...base, stage, flow, intendedAt: toEpochMs(intendedAt), dropped: true, ok: false, bytes: 0 });
        return;
      }
      inFlight += 1;
      second.sent += 1;
      void runFlow(intendedAt, stage, flow).then((sample) => {
        inFlight -= 1;
        second.completed += 1;
        if (!sample.ok) second.errors += 1;
        emit(sample);
        if (inFlight === 0) onIdle?.();
      });
    },
    tick(index, at, stage) {
      const tick: Tick = {
        type: 'tick',
        probe: probeName,
        target: name,
        stage,
        at: toEpochMs(at),
        second: index,
        ...second,
        inFlight,
        instances: second.instances.size,
      };
      Object.assign(second, { sent: 0, completed: 0, errors: 0, dropped: 0 });
      second.instances.clear();
      return tick;
    },
    // Each flow opens its own connection, as a user's browser does: nothing to open ahead.
    preconnect: async () => undefined,
    drained: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve))),
    close: async () => running.abort(new Error('the flow probe ended')),
  };
}

/** Waits `ms` unless the probe ends first (then throws). */
function think(ms: number, signal: AbortSignal): Promise<void> {
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
