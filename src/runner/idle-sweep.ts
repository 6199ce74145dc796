/**
 * The idle sweep: how often a request meets a cold start after a given quiet time. Every gap
 * is asked `samples` times per target, in one shuffled order spread over the target's lanes
 * (lane k of every target gets the same gaps in the same order); every lane of every target
 * runs at once on its own quiet clock. A lane first sends one request to start its clock
 * (not recorded: nothing before it is known), then before each request waits exactly its gap
 * since the end of the lane's previous request, sends on a fresh connection, and classifies
 * the answer cold or warm (cold-detect.ts).
 */
import { randomInt } from 'node:crypto';
import type { Emit, IdleSweepSample } from '../model/records.js';
import { seededRandom, shuffled } from '../model/random.js';
import { statusError } from '../model/error-class.js';
import { coldStartLanes } from '../scenario/lanes.js';
import { buildRequest } from '../scenario/request.js';
import type { IdleSweepProbe, Target } from '../scenario/schema.js';
import { detectCold } from './cold-detect.js';
import { now, openConnection, toEpochMs } from './http.js';
import type { ProbeContext } from './probe-context.js';
import { pause } from './triggers.js';

/** Keeps the start of the body when identity fields are read from it. */
const IDENTITY_BODY_BYTES = 64 * 1024;

export async function runIdleSweep({ probe, probeName, targets, emit, signal }: ProbeContext<IdleSweepProbe>): Promise<void> {
  const random = seededRandom(probe.seed ?? randomInt(2 ** 31));
  const lanes = targets.map(([name, target]) => ({ name, target, lanes: coldStartLanes(target) }));
  // Validation makes every target's lane count equal.
  const laneCount = Math.min(...lanes.map((t) => t.lanes.length));
  const order = shuffled(
    probe.gaps.flatMap((gap) => Array.from({ length: probe.samples }, () => gap)),
    random,
  );
  const work = lanes.flatMap(({ name, target, lanes: urls }) =>
    urls.slice(0, laneCount).map((lane, index) => {
      const gaps = order.filter((_, i) => i % laneCount === index);
      const seen = new Set<string>();
      return sweepLane(
        { probe: probeName, target: name, ...(lane.lane !== undefined && { lane: lane.lane }) },
        { ...target, url: lane.url },
        probe,
        gaps,
        seen,
        emit,
        signal,
      );
    }),
  );
  await Promise.all(work);
}

async function sweepLane(
  base: Pick<IdleSweepSample, 'probe' | 'target' | 'lane'>,
  target: Target,
  probe: IdleSweepProbe,
  gaps: readonly number[],
  seen: Set<string>,
  emit: Emit,
  signal: AbortSignal,
): Promise<void> {
  const spec = buildRequest(probe.request, target);
  const keepBodyBytes = target.identity.body ? IDENTITY_BODY_BYTES : 0;
  const send = async () => {
    const connection = openConnection(target.url, {
      connectTimeoutMs: target.timeout,
      rejectUnauthorized: !target.insecureSkipTLSVerify,
      http2: target.http.version === 2,
    });
    try {
      return await connection.request(spec, { timeoutMs: target.timeout, signal, keepBodyBytes });
    } finally {
      await connection.close();
    }
  };
  const classify = (result: Awaited<ReturnType<typeof send>>, ttfbMs: number | undefined) => {
    const verdict = result.error
      ? { cold: 'unknown' as const, reason: 'request failed' }
      : detectCold(target.identity, { headers: result.headers, body: result.body, ttfbMs }, seen);
    if ('instance' in verdict && verdict.instance?.id) seen.add(verdict.instance.id);
    return verdict;
  };
  // The clock-starting request's instance is known from then on: a later answer from it is not new.
  const first = await send();
  classify(first, first.phases.ttfb);
  let lastEnd = now();
  for (const gapMs of gaps) {
    const intendedAt = lastEnd + gapMs;
    if (!(await pause(intendedAt - now(), signal))) return;
    const result = await send();
    lastEnd = now();
    if (signal.aborted && result.error) return;
    const lag = result.startedAt - intendedAt;
    const ttfbMs = result.phases.ttfb === undefined ? undefined : result.phases.ttfb + lag;
    const cold = classify(result, ttfbMs);
    const ok = !result.error && result.status !== undefined && result.status < 400;
    const error = result.error ?? (ok ? undefined : statusError(result.status!));
    emit({
      type: 'sample',
      kind: 'idleSweep',
      ...base,
      gapMs,
      quietMs: result.startedAt - (intendedAt - gapMs),
      intendedAt: toEpochMs(intendedAt),
      startedAt: toEpochMs(result.startedAt),
      latencyMs: result.phases.total + lag,
      ...(ttfbMs !== undefined && { ttfbMs }),
      ok,
      ...(result.status !== undefined && { status: result.status }),
      bytes: result.bytes,
      ...(error && { error }),
      ...('instance' in cold && cold.instance && { instance: cold.instance }),
      cold: cold.cold,
      coldReason: cold.reason,
    });
  }
}
