/**
 * The cold-start probe. Each round triggers every target (command, idle, waitFor), then
 * fires their first requests at the same moment, each on a fresh connection, then sends
 * the warm follow-ups on that connection. Targets are always sampled in the same rounds,
 * never one after the other.
 */
import type { ColdstartProbe, Target } from '../scenario/schema.js';
import { detectCold } from './cold-detect.js';
import { statusError } from '../model/error-class.js';
import type { ColdstartSample, Emit, SampleError } from '../model/records.js';
import { now, openConnection, toEpochMs, type Connection, type TimedResult } from './http.js';
import { buildRequest } from '../scenario/request.js';
import { rotated } from './rotate.js';
import { runTrigger } from './triggers.js';
import type { ProbeContext } from './probe-context.js';

/** Keeps the start of the body when identity fields are read from it. */
const IDENTITY_BODY_BYTES = 64 * 1024;

export async function runColdstartProbe({ probe, probeName, targets, emit, signal }: ProbeContext<ColdstartProbe>): Promise<void> {
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
          await sampleTarget(connection, probe, target, base, firedAt, seenInstances.get(name)!, emit, signal);
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
