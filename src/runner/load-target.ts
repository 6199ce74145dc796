/**
 * One target under an open-model load probe: sends what the schedule fires, enforces
 * maxInFlight (a due request beyond it is recorded as dropped, never silently skipped),
 * emits a sample per request and a tick per second.
 */
import type { LoadProbe, Target } from '../scenario/schema.js';
import { toEpochMs } from './http.js';
import { createFixedRequestPool } from './fixed-request-pool.js';
import { createH2Pool } from './h2-pool.js';
import { createUndiciPool, type PooledResult } from './http-pool.js';
import type { Emit, HttpProtocol, LoadSample, Tick } from '../model/records.js';
import { buildRequest } from '../scenario/request.js';

export interface LoadTarget {
  readonly name: string;
  /** How long one of its requests may take. */
  readonly timeoutMs: number;
  fire(intendedAt: number, stage: string): void;
  /** Aggregates since the last call into one tick, and starts a new second. */
  tick(second: number, at: number, stage: string): Tick;
  /** Opens up to `count` connections ahead of the first arrival; sends nothing. */
  preconnect(count: number): Promise<void>;
  /** Resolves when nothing is in flight. */
  drained(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Times in a load sample are kept to the microsecond, as the histograms are: a digit
 * string of 17 digits per field measures nothing more and costs a fifth of every line.
 */
export const toMicros = (ms: number): number => Math.round(ms * 1000) / 1000;

/** What a driver counts within one second, for its tick. */
export interface SecondCounts {
  sent: number;
  completed: number;
  errors: number;
  dropped: number;
  instances: Set<string>;
  /** Connections opened, by what they spoke (targets that asked for HTTP/2). */
  protocols: Partial<Record<HttpProtocol, number>>;
}

export const newSecond = (): SecondCounts => ({ sent: 0, completed: 0, errors: 0, dropped: 0, instances: new Set(), protocols: {} });

/** The second's tick, and a fresh second. */
export function takeTick(second: SecondCounts, where: Pick<Tick, 'probe' | 'target' | 'stage' | 'at' | 'second' | 'inFlight'>, http2: boolean): Tick {
  const { sent, completed, errors, dropped, instances, protocols } = second;
  Object.assign(second, newSecond());
  return { type: 'tick', ...where, sent, completed, errors, dropped, instances: instances.size, ...(http2 && { httpProtocols: protocols }) };
}

export function createLoadTarget(name: string, target: Target, probe: LoadProbe, probeName: string, emit: Emit): LoadTarget {
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const second = newSecond();

  const complete = (result: PooledResult) => {
    const { intendedAt, stage } = result;
    inFlight -= 1;
    const sample: LoadSample = {
      type: 'sample',
      kind: 'load',
      probe: probeName,
      target: name,
      stage,
      intendedAt: toMicros(toEpochMs(intendedAt)),
      latencyMs: toMicros(result.endedAt - intendedAt),
      ok: !result.error,
      bytes: result.bytes,
    };
    if (result.sentAt !== undefined) {
      sample.startedAt = toMicros(toEpochMs(result.sentAt));
      sample.uncorrectedLatencyMs = toMicros(result.endedAt - result.sentAt);
      sample.scheduleLagMs = toMicros(result.sentAt - intendedAt);
    }
    if (result.headersAt !== undefined) sample.ttfbMs = toMicros(result.headersAt - intendedAt);
    if (result.status !== undefined) sample.status = result.status;
    if (result.error) sample.error = result.error;
    if (result.instanceId !== undefined) {
      sample.instanceId = result.instanceId;
      second.instances.add(result.instanceId);
    }
    second.completed += 1;
    if (result.error) second.errors += 1;
    emit(sample);
    if (inFlight === 0) onIdle?.();
  };
  // lean: the pre-encoded HTTP/1.1 client, or node:http2 sessions for an HTTP/2 target; undici: undici's pool for either.
  const http2 = target.http.version === 2;
  const createPool = probe.client === 'undici' ? createUndiciPool : http2 ? createH2Pool : createFixedRequestPool;
  const pool = createPool(target.url, buildRequest(probe.request, target), target.identity.instanceIdHeader, {
    connections: probe.connections ?? probe.maxInFlight,
    timeoutMs: probe.timeout ?? target.timeout,
    rejectUnauthorized: !target.insecureSkipTLSVerify,
    onDone: complete,
    ...(http2 && {
      http2: {
        maxConcurrentStreams: target.http.maxConcurrentStreams,
        onConnection: (protocol: HttpProtocol) => (second.protocols[protocol] = (second.protocols[protocol] ?? 0) + 1),
      },
    }),
  });

  return {
    name,
    timeoutMs: probe.timeout ?? target.timeout,
    fire(intendedAt, stage) {
      if (inFlight >= probe.maxInFlight) {
        second.dropped += 1;
        emit({ type: 'sample', kind: 'load', probe: probeName, target: name, stage, intendedAt: toEpochMs(intendedAt), dropped: true, ok: false, bytes: 0 });
        return;
      }
      inFlight += 1;
      second.sent += 1;
      pool.send(intendedAt, stage);
    },
    tick: (index, at, stage) => takeTick(second, { probe: probeName, target: name, stage, at: toEpochMs(at), second: index, inFlight }, http2),
    preconnect: (count) => pool.preconnect(count),
    drained: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve))),
    close: () => pool.destroy().catch(() => undefined),
  };
}
