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
import { coldStartLanes } from '../scenario/lanes.js';

/** Keeps the start of the body when identity fields are read from it. */
const IDENTITY_BODY_BYTES = 64 * 1024;

/** A lane that fails this many first requests in a row before any answer never answers: it is left out. */
const NEVER_ANSWERED_ROUNDS = 3;

export async function runColdstartProbe({ probe, probeName, targets, emit, signal, inputs }: ProbeContext<ColdstartProbe>): Promise<void> {
  const seenInstances = new Map(targets.map(([name]) => [name, new Set<string>()]));
  const lanes = new Map(targets.map(([name, target]) => [name, coldStartLanes(target)]));
  // Validation makes every target's lane count equal; lane k of each target is sampled together.
  const laneCount = Math.min(...[...lanes.values()].map((urls) => urls.length));
  /** Per target: which lane each instance answered on, to find lanes that share instances. */
  const instanceLanes = new Map(targets.map(([name]) => [name, new Map<string, number>()]));
  const sample = probe.steps ? sampleJourneys(probe.steps, inputs.vars) : sampleTarget;

  const runLane = async (laneIndex: number) => {
    const laneOf = (name: string) => lanes.get(name)![laneIndex]!;
    // We cannot know when a lane was last used before the run: wait the full idle first.
    const lastActivity = new Map(targets.map(([name]) => [name, now()]));
    const state = new Map(targets.map(([name]) => [name, { answered: false, failedInARow: 0, dropped: false }]));
    for (let round = laneIndex + 1; round <= probe.samples && !signal.aborted; round += laneCount) {
      const sampled = targets.filter(([name]) => !state.get(name)!.dropped);
      if (sampled.length === 0) return;
      emit({ type: 'round', probe: probeName, round, rounds: probe.samples });
      const triggerErrors = await Promise.all(
        sampled.map(([name, target]) =>
          target.coldStart
            ? runTrigger(target.coldStart.trigger, {
                target: name,
                url: laneOf(name).url,
                ...(laneOf(name).lane !== undefined && { lane: laneOf(name).lane }),
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
      const failedTriggers = new Map(sampled.map(([name], index) => [name, triggerErrors[index]]));
      await Promise.all(
        rotated(sampled, round).map(async ([name, target]) => {
          const { url, lane } = laneOf(name);
          const base = { probe: probeName, target: name, round, ...(lane !== undefined && { lane }) };
          const laneState = state.get(name)!;
          // Whether this lane is still a copy of its own: its first answer's instance is not another lane's.
          const judge = (record: ColdstartSample): ColdstartSample => {
            if (lane === undefined || record.request !== 'first') return record;
            const instance = record.instance?.id;
            const owner = instance === undefined ? undefined : instanceLanes.get(name)!.get(instance);
            if (owner !== undefined && owner !== lane) {
              laneState.dropped = true;
              return { ...record, laneDropped: `lane ${lane} shares instance ${instance} with lane ${owner}` };
            }
            if (instance !== undefined) instanceLanes.get(name)!.set(instance, lane);
            if (record.ok) [laneState.answered, laneState.failedInARow] = [true, 0];
            else if (!laneState.answered && ++laneState.failedInARow >= NEVER_ANSWERED_ROUNDS) {
              laneState.dropped = true;
              return { ...record, laneDropped: `lane ${lane} never answered (${NEVER_ANSWERED_ROUNDS} rounds; last: ${record.error?.code ?? 'no answer'})` };
            }
            return record;
          };
          const laneEmit: Emit = (record) => emit(record.type === 'sample' && record.kind === 'coldstart' ? judge(record) : record);
          const triggerError = failedTriggers.get(name);
          if (triggerError) {
            laneEmit(failedSample(base, firedAt, triggerError));
            return;
          }
          const laneTarget = { ...target, url };
          const connection = openConnection(url, {
            connectTimeoutMs: target.timeout,
            rejectUnauthorized: !target.insecureSkipTLSVerify,
            http2: target.http.version === 2,
          });
          try {
            await sample(connection, probe, laneTarget, base, firedAt, seenInstances.get(name)!, laneEmit, signal);
          } finally {
            await connection.close();
            lastActivity.set(name, now());
          }
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: laneCount }, (_, index) => runLane(index)));
}

async function sampleTarget(
  connection: Connection,
  probe: ColdstartProbe,
  target: Target,
  base: Pick<ColdstartSample, 'probe' | 'target' | 'round' | 'lane'>,
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
  base: Pick<ColdstartSample, 'probe' | 'target' | 'round' | 'lane'>,
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

function failedSample(base: Pick<ColdstartSample, 'probe' | 'target' | 'round' | 'lane'>, firedAt: number, error: SampleError): ColdstartSample {
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
