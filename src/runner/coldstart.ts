/**
 * The cold-start probe. Each round triggers every target (command, idle, waitFor), then
 * fires their first requests at the same moment, each on a fresh connection, then sends
 * the warm follow-ups on that connection. Targets are always sampled in the same rounds,
 * never one after the other.
 */
import type { ColdstartProbe, FlowStep, Target } from '../scenario/schema.js';
import { detectCold } from './cold-detect.js';
import { ownError, statusError } from '../model/error-class.js';
import { startFlowRun, yamlSteps } from './flow-run.js';
import type { ColdstartSample, Emit, SampleError } from '../model/records.js';
import { now, openConnection, toEpochMs, type Connection, type TimedResult } from './http.js';
import { buildRequest } from '../scenario/request.js';
import { rotated } from './rotate.js';
import { runTrigger } from './triggers.js';
import type { ProbeContext } from './probe-context.js';

/** Keeps the start of the body when identity fields are read from it. */
const IDENTITY_BODY_BYTES = 64 * 1024;

export async function runColdstartProbe({ probe, probeName, targets, emit, signal, inputs }: ProbeContext<ColdstartProbe>): Promise<void> {
  const seenInstances = new Map(targets.map(([name]) => [name, new Set<string>()]));
  // We cannot know when a target was last used before the run: wait the full idle first.
  const lastActivity = new Map(targets.map(([name]) => [name, now()]));

  for (let round = 1; round <= probe.samples && !signal.aborted; round++) {
    emit({ type: 'round', probe: probeName, round, rounds: probe.samples });
    const triggerErrors = await Promise.all(
      targets.map(([name, target]) =>
        target.coldStart
          ? runTrigger(target.coldStart.trigger, {
              target: name,
              round,
              lastActivityAt: lastActivity.get(name)!,
              signal,
              onStep: (step, until) => emit({ type: 'trigger', probe: probeName, target: name, round, step, until }),
            })
          : undefined,
      ),
    );
    if (signal.aborted) return;

    const firedAt = now();
    const failedTriggers = new Map(targets.map(([name], index) => [name, triggerErrors[index]]));
    await Promise.all(
      rotated(targets, round).map(async ([name, target]) => {
        const base = { probe: probeName, target: name, round };
        const triggerError = failedTriggers.get(name);
        if (triggerError) {
          emit(failedSample(base, firedAt, triggerError));
          return;
        }
        const connection = openConnection(target.url, {
          connectTimeoutMs: target.timeout,
          rejectUnauthorized: !target.insecureSkipTLSVerify,
          http2: target.http.version === 2,
        });
        try {
          const sample = probe.steps ? sampleJourneys(probe.steps, inputs.vars) : sampleTarget;
          await sample(connection, probe, target, base, firedAt, seenInstances.get(name)!, emit, signal);
        } finally {
          await connection.close();
          lastActivity.set(name, now());
        }
      }),
    );
  }
}

async function sampleTarget(
  connection: Connection,
  probe: ColdstartProbe,
  target: Target,
  base: Pick<ColdstartSample, 'probe' | 'target' | 'round'>,
  firedAt: number,
  seen: Set<string>,
  emit: Emit,
  signal: AbortSignal,
): Promise<void> {
  const spec = buildRequest(probe.request, target);
  const keepBodyBytes = target.identity.body ? IDENTITY_BODY_BYTES : 0;
  const send = () => connection.request(spec, { timeoutMs: target.timeout, signal, keepBodyBytes });

  const first = await send();
  emit(toSample(base, 'first', undefined, firedAt, first, target, seen));
  if (first.error) return;
  for (let followUp = 1; followUp <= probe.warmFollowUps && !signal.aborted; followUp++) {
    const result = await send();
    emit(toSample(base, 'warm', followUp, result.startedAt, result, target, seen));
    if (result.error) return;
  }
}

/**
 * A cold start as a user meets it: the journey's first step is the cold request (judged and
 * recorded as a plain probe's first request), and the whole journey is timed from that
 * request's intended start. Each warm follow-up runs the journey again on the same connection.
 */
function sampleJourneys(steps: readonly FlowStep[], vars: Readonly<Record<string, string>>): typeof sampleTarget {
  const body = yamlSteps(steps);
  return async (connection, probe, target, base, firedAt, seen, emit, signal) => {
    const stopped = () => (signal.aborted ? ownError('CB_ABORTED', 'aborted', 'the run was interrupted while the journey ran') : undefined);
    const journey = async (request: ColdstartSample['request'], followUp: number | undefined, intendedAt: number) => {
      let first: TimedResult | undefined;
      const { run, totals } = startFlowRun({
        flow: base.round,
        targetName: base.target,
        target,
        connection,
        row: undefined,
        values: { ...vars },
        intendedAt,
        stepTimeoutMs: target.timeout,
        signal,
        stopped,
        onStep: () => undefined,
        onResponse: (result) => (first ??= result),
      });
      const failure = await body(run).catch((error: unknown) => stopped() ?? ownError('CB_UNKNOWN', 'other', String(error)));
      if (!first) return false;
      const sample = toSample(base, request, followUp, intendedAt, first, target, seen);
      emit({ ...sample, ...(failure ? { journeyError: failure } : { journeyMs: totals.endedAt - totals.lastDue }) });
      return sample.ok && !failure;
    };
    if (!(await journey('first', undefined, firedAt))) return;
    for (let followUp = 1; followUp <= probe.warmFollowUps && !signal.aborted; followUp++) {
      if (!(await journey('warm', followUp, now()))) return;
    }
  };
}

function toSample(
  base: Pick<ColdstartSample, 'probe' | 'target' | 'round'>,
  request: ColdstartSample['request'],
  followUp: number | undefined,
  intendedAt: number,
  result: TimedResult,
  target: Target,
  seen: Set<string>,
): ColdstartSample {
  const lag = result.startedAt - intendedAt;
  const ttfbMs = result.phases.ttfb === undefined ? undefined : result.phases.ttfb + lag;
  const cold = result.error
    ? { cold: 'unknown' as const, reason: 'request failed' }
    : detectCold(target.identity, { headers: result.headers, body: result.body, ttfbMs }, seen);
  if ('instance' in cold && cold.instance?.id) seen.add(cold.instance.id);
  const ok = !result.error && result.status !== undefined && result.status < 400;
  return {
    type: 'sample',
    kind: 'coldstart',
    ...base,
    request,
    ...(followUp !== undefined && { followUp }),
    intendedAt: toEpochMs(intendedAt),
    startedAt: toEpochMs(result.startedAt),
    latencyMs: result.phases.total + lag,
    ttfbMs,
    phases: result.phases,
    ...(result.remoteAddress !== undefined && { remoteAddress: result.remoteAddress }),
    ...(target.http.version === 2 && result.protocol && { httpProtocol: result.protocol }),
    ok,
    status: result.status,
    bytes: result.bytes,
    error: result.error ?? (ok ? undefined : statusError(result.status!)),
    instance: 'instance' in cold ? cold.instance : undefined,
    cold: cold.cold,
    coldReason: cold.reason,
  };
}

function failedSample(base: Pick<ColdstartSample, 'probe' | 'target' | 'round'>, firedAt: number, error: SampleError): ColdstartSample {
  return {
    type: 'sample',
    kind: 'coldstart',
    ...base,
    request: 'first',
    intendedAt: toEpochMs(firedAt),
    startedAt: toEpochMs(firedAt),
    latencyMs: 0,
    phases: { total: 0 },
    ok: false,
    bytes: 0,
    error,
    cold: 'unknown',
    coldReason: 'not sent: trigger failed',
  };
}
