/**
 * The stream probe: opens `connections` streams per target at `openRate` (the same schedule
 * for every target), holds each for `hold`, reconnects dropped ones when asked (SSE resumes
 * from its last event id), and ticks once a second. One sample per connection, written when
 * it ends, and a checkpoint of every open connection each `checkpoint` period.
 */
import type { FlowStep, StreamProbe, Target } from '../scenario/schema.js';
import { constantArrivals } from './constant-arrival-rate.js';
import type { OpenStream, StreamAdapter } from './http-stream.js';
import type { HttpRequestSpec } from '../model/request.js';
import { now, openConnection, toEpochMs } from './http.js';
import { startFlowRun, yamlSteps } from './flow-run.js';
import { resolveRequest } from './flow-step.js';
import { ownError } from '../model/error-class.js';
import { ndjson } from './ndjson.js';
import { runSchedule } from './open-model.js';
import type { Emit, SampleError } from '../model/records.js';
import { segmentOf } from '../model/segment.js';
import { buildRequest } from '../scenario/request.js';
import { sse } from './sse.js';
import { createStreamTracker, trackerOptions, type ConnectionTracker, type TrackerOptions } from './stream-tracker.js';
import { rotated } from './rotate.js';
import { startTicker } from './ticker.js';
import { pause } from './triggers.js';
import { warmUpStreamPath } from './warm-up.js';
import { websocket } from './websocket.js';
import type { ProbeContext } from './probe-context.js';

const ADAPTERS: Record<StreamProbe['protocol'], StreamAdapter> = { sse, ndjson, websocket };
const LEAD_MS = 20;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

interface TargetCounters {
  name: string;
  target: Target;
  /** The request, the URL and what the tracker looks for, made once per target rather than once per stream. */
  spec: HttpRequestSpec;
  url: URL;
  options: TrackerOptions;
  open: number;
  opened: number;
  events: number;
  drops: number;
}

export async function runStreamProbe({
  probe,
  probeName,
  targets,
  emit,
  signal,
  warmedUp,
  segment,
  rehearse,
  inputs,
}: ProbeContext<StreamProbe>): Promise<void> {
  const counters: TargetCounters[] = targets.map(([name, target]) => ({
    name,
    target,
    spec: buildRequest(probe.request, target),
    url: new URL(target.url),
    options: trackerOptions(probe, target),
    open: 0,
    opened: 0,
    events: 0,
    drops: 0,
  }));
  // One listener for the run's stop instead of one per stream: opening hundreds of streams
  // a second must not cost what a signal and its listener per stream cost.
  const held = new Set<HeldStream>();
  const checkpointEvery = Math.max(1, Math.round(probe.checkpoint / 1000));
  const stopAll = () => held.forEach((stream) => stream.open?.stop(signal.reason));
  signal.addEventListener('abort', stopAll, { once: true });
  await warmUpStreamPath(probe, targets[0]![1], ADAPTERS[probe.protocol], await rehearse());
  warmedUp();
  const start = now() + LEAD_MS;
  const ticker = startTicker(start, (second, at) => {
    for (const c of counters) {
      emit({
        type: 'stream-tick',
        probe: probeName,
        target: c.name,
        at: toEpochMs(at),
        second,
        open: c.open,
        opened: c.opened,
        events: c.events,
        drops: c.drops,
      });
      Object.assign(c, { opened: 0, events: 0, drops: 0 });
    }
    if ((second + 1) % checkpointEvery === 0) for (const stream of held) if (stream.connection) emit(stream.connection.checkpoint());
  });

  const streams: Promise<void>[] = [];
  const hold: HoldContext = { probe, probeName, emit, signal, held, vars: inputs.vars };
  const arrivals = (function* () {
    let stream = 0;
    for (const offset of constantArrivals(probe.openRate, (probe.connections / probe.openRate) * 1000)) yield { at: start + offset, stream: stream++ };
  })();
  try {
    await runSchedule(
      segmentOf(arrivals, segment),
      ({ at, stream }) => {
        for (const c of rotated(counters, stream)) streams.push(holdStream(hold, c, stream, at));
      },
      signal,
    );
    await Promise.all(streams);
  } finally {
    signal.removeEventListener('abort', stopAll);
    ticker.stop();
  }
}

/** The reason a held stream is closed at the end of its hold: one object, so closing costs no new error and stack. */
const HOLD_ENDED = Object.freeze(Object.assign(new Error('the hold ended'), { code: 'CB_HOLD_ENDED' }));

/** One stream being held: its current connection, and whether the hold is over. */
class HeldStream {
  connection: ConnectionTracker | undefined = undefined;
  open: OpenStream | undefined = undefined;
  holdEnded = false;
}

function endHold(stream: HeldStream): void {
  stream.holdEnded = true;
  stream.open?.stop(HOLD_ENDED);
}

interface HoldContext {
  probe: StreamProbe;
  probeName: string;
  emit: Emit;
  signal: AbortSignal;
  held: Set<HeldStream>;
  /** The scenario's vars, for the steps run before each stream. */
  vars: Readonly<Record<string, string>>;
}

/** The first wait after a connection that ended with no event, doubled for each one after it, up to the maximum. */
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;

async function holdStream({ probe, probeName, emit, signal, held, vars }: HoldContext, counters: TargetCounters, stream: number, dueAt: number): Promise<void> {
  const { target, url } = counters;
  const tracker = createStreamTracker({ probe: probeName, target: counters.name, protocol: probe.protocol, stream }, counters.options, counters);
  let spec = counters.spec;
  if (probe.before) {
    // The steps before (sign in, open a conversation) are the user's way to the stream: it is due, and held, from their end.
    const prepared = await runStepsBefore(probe.before, counters, stream, vars, probe.timeout ?? target.timeout, signal);
    if ('error' in prepared) {
      emit(tracker.attempt(0, dueAt).finish({ kind: 'error', error: prepared.error }, signal.aborted ? 'interrupted' : 'ended').sample);
      return;
    }
    spec = buildRequest(resolveRequest(probe.request, prepared.values), target);
    dueAt = now();
  }
  const deadline = dueAt + probe.hold;
  const idleTimeoutMs = probe.idleTimeout ?? (probe.expect.eventEvery ? probe.expect.eventEvery * 10 : DEFAULT_IDLE_TIMEOUT_MS);
  const holding = new HeldStream();
  held.add(holding);
  // One timer for the whole hold, whatever the reconnects: the deadline is the stream's.
  const holdTimer = setTimeout(endHold, Math.max(0, deadline - now()), holding);
  let intendedAt = dueAt;
  let failedInARow = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      const connection = tracker.attempt(attempt, intendedAt);
      counters.open += 1;
      counters.opened += 1;
      const open = ADAPTERS[probe.protocol]({
        target,
        url,
        spec,
        lastEventId: tracker.lastEventId,
        headersTimeoutMs: probe.timeout ?? target.timeout,
        idleTimeoutMs,
        maxMessageBytes: probe.maxMessageBytes,
        events: connection,
        send: probe.send && { everyMs: probe.send.every, message: probe.send.message },
      });
      holding.connection = connection;
      holding.open = open;
      if (signal.aborted) open.stop(signal.reason);
      else if (holding.holdEnded) open.stop(HOLD_ENDED);
      const end = await open.ended;
      holding.connection = holding.open = undefined;
      counters.open -= 1;
      const why = signal.aborted ? 'interrupted' : holding.holdEnded ? 'held' : 'ended';
      const { sample, retryMs } = connection.finish(end, why);
      emit(sample);
      if (sample.outcome !== 'dropped') return;
      counters.drops += 1;
      const reconnect = probe.reconnect;
      // A stream that sent garbage is not reconnected: it would only send more.
      if (!reconnect.enabled || attempt >= reconnect.maxAttempts || why !== 'ended' || sample.cause === 'malformed') return;
      // A connection that ends before any event backs off (EventSource does the same): a server
      // answering `retry: 0` and closing at once must not be hammered at the loop's speed.
      failedInARow = sample.events === 0 ? failedInARow + 1 : 0;
      const asked = retryMs ?? reconnect.delay;
      const delay = failedInARow === 0 ? asked : Math.max(asked, Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (failedInARow - 1)));
      if (now() + delay >= deadline || !(await pause(delay, signal))) return;
      intendedAt = now();
    }
  } finally {
    clearTimeout(holdTimer);
    held.delete(holding);
  }
}

/** Runs a stream probe's `before` steps on a connection of their own; the values they extracted, or the error that stopped them. */
async function runStepsBefore(
  steps: readonly FlowStep[],
  counters: TargetCounters,
  stream: number,
  vars: Readonly<Record<string, string>>,
  stepTimeoutMs: number,
  signal: AbortSignal,
): Promise<{ values: Record<string, string> } | { error: SampleError }> {
  const { target } = counters;
  const connection = openConnection(target.url, {
    connectTimeoutMs: stepTimeoutMs,
    rejectUnauthorized: !target.insecureSkipTLSVerify,
    http2: target.http.version === 2,
  });
  const stopped = () => (signal.aborted ? ownError('CB_ABORTED', 'aborted', 'the run was interrupted before the stream opened') : undefined);
  const { run } = startFlowRun({
    flow: stream,
    targetName: counters.name,
    target,
    connection,
    row: undefined,
    values: { ...vars },
    intendedAt: now(),
    stepTimeoutMs,
    signal,
    stopped,
    onStep: () => undefined,
  });
  try {
    const error = await yamlSteps(steps)(run).catch((thrown: unknown) => stopped() ?? ownError('CB_UNKNOWN', 'other', String(thrown)));
    return error ? { error } : { values: run.values };
  } finally {
    await connection.close();
  }
}
