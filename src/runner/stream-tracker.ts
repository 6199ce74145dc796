/**
 * What one held stream saw, across its reconnects: event timing and gaps, sequence numbers
 * (lost and duplicate messages), bytes and the first of them as evidence. Protocol adapters
 * feed it; it turns each connection into a StreamSample.
 *
 * A stream probe keeps thousands of these alive and opens hundreds a second, and every one
 * lives long enough to be copied by the young-generation GC: so they are classes with plain
 * fields and prototype methods, not closures, and the sample is built only when the
 * connection ends (measured: 10 KB a live stream before, against 1.6 KB for a bare socket).
 */
import type { StreamProbe, Target } from '../scenario/schema.js';
import { statusError } from '../model/error-class.js';
import type { SampleError, StreamCheckpoint, StreamSample } from '../model/records.js';
import { now, toEpochMs, type ConnectionPhases } from './http.js';

export interface StreamMessage {
  data: string;
  id?: string;
  event?: string;
  /** The server's proper end of the stream (SSE `done`/`[DONE]`, NDJSON `"done": true`; a WebSocket closes with 1000). */
  terminal?: boolean;
}

/** What an adapter reports while a connection is open. */
export interface StreamEvents {
  opened(info: { status: number; headers: Record<string, string>; setup?: ConnectionPhases }): void;
  message(message: StreamMessage): void;
  /** Returns true when the message being received has outgrown the limit: stop reading. */
  bytes(chunk: Buffer): boolean;
  malformed(reason: string): void;
  retry(ms: number): void;
}

/** How an adapter's connection ended, as far as the adapter knows. */
export type StreamEnd = { kind: 'closed'; code?: number; reason?: string } | { kind: 'error'; error: SampleError };

const EVIDENCE_BYTES = 256;

export interface AttemptResult {
  sample: StreamSample;
  /** The SSE retry field, if the server sent one. */
  retryMs?: number;
}

export interface TrackerOptions {
  sequenceField: string | undefined;
  instanceIdHeader: string;
  maxMessageBytes: number;
}

export function trackerOptions(probe: StreamProbe, target: Target): TrackerOptions {
  return {
    sequenceField: probe.expect.sequenceField,
    instanceIdHeader: target.identity.instanceIdHeader.toLowerCase(),
    maxMessageBytes: probe.maxMessageBytes,
  };
}

type StreamIdentity = Pick<StreamSample, 'probe' | 'target' | 'protocol' | 'stream'>;
/** Where every event of a target's streams is counted, for its ticks. */
export interface EventCounter {
  events: number;
}

export function createStreamTracker(identity: StreamIdentity, options: TrackerOptions, counter: EventCounter = { events: 0 }): StreamTracker {
  return new StreamTracker(identity, options, counter);
}

/** One held stream: what carries over from a connection to its reconnect. */
export class StreamTracker {
  lastEventAt: number | undefined = undefined;
  lastSequence: number | undefined = undefined;
  lastEventId: string | undefined = undefined;
  lastInstance: string | undefined = undefined;
  droppedAt: number | undefined = undefined;
  retryMs: number | undefined = undefined;

  constructor(
    readonly identity: StreamIdentity,
    readonly options: TrackerOptions,
    readonly counter: EventCounter,
  ) {}

  /** Starts tracking one connection: it is the adapter's StreamEvents and becomes its sample. */
  attempt(attempt: number, intendedAt: number): ConnectionTracker {
    return new ConnectionTracker(this, attempt, intendedAt);
  }
}

/** One connection of a held stream. */
export class ConnectionTracker implements StreamEvents {
  readonly startedAt = now();
  status: number | undefined = undefined;
  ttfbMs: number | undefined = undefined;
  /** DNS, connect and TLS, as the adapter timed them. */
  setup: ConnectionPhases | undefined = undefined;
  timeToFirstEventMs: number | undefined = undefined;
  reconnectMs: number | undefined = undefined;
  instanceId: string | undefined = undefined;
  newInstance: boolean | undefined = undefined;
  lastEventId: string | undefined = undefined;
  events = 0;
  bytesSeen = 0;
  lost = 0;
  duplicates = 0;
  malformedCount = 0;
  /** Gaps since the last checkpoint. */
  gapsMs: number[] = [];
  evidence = '';
  terminal = false;
  checkpoints = 0;
  openingCheckpointed = false;
  /** Bytes since the last complete message: what a parser may be holding. */
  pendingBytes = 0;

  constructor(
    readonly stream: StreamTracker,
    readonly attempt: number,
    readonly intendedAt: number,
  ) {}

  opened({ status, headers, setup }: { status: number; headers: Record<string, string>; setup?: ConnectionPhases }): void {
    this.status = status;
    this.ttfbMs = round(now() - this.startedAt);
    this.setup = setup;
    const instance = headers[this.stream.options.instanceIdHeader];
    if (instance !== undefined) {
      this.instanceId = instance;
      if (this.attempt > 0) this.newInstance = instance !== this.stream.lastInstance;
      this.stream.lastInstance = instance;
    }
  }

  message(message: StreamMessage): void {
    const at = now();
    const stream = this.stream;
    stream.counter.events += 1;
    this.pendingBytes = 0;
    this.events += 1;
    if (this.events === 1) {
      this.timeToFirstEventMs = round(at - this.startedAt);
      if (this.attempt > 0 && stream.droppedAt !== undefined) this.reconnectMs = round(at - stream.droppedAt);
    }
    if (stream.lastEventAt !== undefined) this.gapsMs.push(round(at - stream.lastEventAt));
    stream.lastEventAt = at;
    if (message.id !== undefined) stream.lastEventId = this.lastEventId = message.id;
    if (message.terminal) this.terminal = true;
    const sequence = sequenceOf(message, stream.options.sequenceField);
    if (sequence === undefined) return;
    if (stream.lastSequence !== undefined && sequence <= stream.lastSequence) this.duplicates += 1;
    else {
      if (stream.lastSequence !== undefined && sequence > stream.lastSequence + 1) this.lost += sequence - stream.lastSequence - 1;
      stream.lastSequence = sequence;
    }
  }

  bytes(chunk: Buffer): boolean {
    this.bytesSeen += chunk.length;
    this.pendingBytes += chunk.length;
    if (this.evidence.length < EVIDENCE_BYTES) this.evidence += chunk.subarray(0, EVIDENCE_BYTES - this.evidence.length).toString('utf8');
    return this.pendingBytes > this.stream.options.maxMessageBytes;
  }

  malformed(): void {
    this.malformedCount += 1;
  }

  retry(ms: number): void {
    this.stream.retryMs = ms;
  }

  /** The connection so far; the gaps it carries are not repeated in the next checkpoint or the sample. */
  checkpoint(): StreamCheckpoint {
    this.checkpoints += 1;
    const checkpoint: StreamCheckpoint = {
      type: 'checkpoint',
      ...this.stream.identity,
      attempt: this.attempt,
      intendedAt: toEpochMs(this.intendedAt),
      startedAt: toEpochMs(this.startedAt),
      checkpoint: this.checkpoints,
      at: toEpochMs(now()),
      ...this.counts(),
      ...defined({ status: this.status, instanceId: this.instanceId, newInstance: this.newInstance, lastEventId: this.lastEventId }),
    };
    this.gapsMs = [];
    // The opening figures go into the histograms once: with the first checkpoint after the first event.
    if (this.events > 0 && !this.openingCheckpointed) {
      Object.assign(checkpoint, this.opening());
      this.openingCheckpointed = true;
    }
    return checkpoint;
  }

  /** Classifies the end of this connection. `held`: the hold ran out; `interrupted`: the run stopped. */
  finish(end: StreamEnd, why: 'held' | 'interrupted' | 'ended'): AttemptResult {
    const at = now();
    let outcome: StreamSample['outcome'];
    let cause: string | undefined;
    let error: SampleError | undefined;
    if (why === 'interrupted') outcome = 'interrupted';
    else if (why === 'held') {
      outcome = this.status !== undefined && this.status < 400 ? 'alive' : 'dropped';
      if (outcome === 'dropped') cause = 'timeout';
    } else if (end.kind === 'closed' && (this.terminal || end.code === 1000)) outcome = 'completed';
    else {
      outcome = 'dropped';
      cause = causeOf(end, this.status);
      if (end.kind === 'error') error = end.error;
      this.stream.droppedAt = at;
    }
    // Garbage is not a kept stream: nothing valid delivered, or more malformed lines than events.
    if (outcome !== 'dropped' && outcome !== 'interrupted' && (this.events === 0 || this.malformedCount > this.events)) {
      outcome = 'dropped';
      cause = this.malformedCount > 0 ? 'malformed' : 'no-events';
    }
    const suspicious = outcome === 'dropped' && this.events === 0;
    const sample: StreamSample = {
      type: 'sample',
      kind: 'stream',
      ...this.stream.identity,
      attempt: this.attempt,
      intendedAt: toEpochMs(this.intendedAt),
      startedAt: toEpochMs(this.startedAt),
      ...this.counts(),
      endedAfterMs: round(at - this.startedAt),
      outcome,
      ...defined({
        cause,
        error,
        status: this.status,
        evidence: this.evidence && (suspicious || this.malformedCount > 0 || (this.status ?? 0) >= 400) ? this.evidence : undefined,
        instanceId: this.instanceId,
        lastEventId: this.lastEventId,
        newInstance: this.newInstance,
        checkpoints: this.checkpoints || undefined,
        openingCheckpointed: this.openingCheckpointed || undefined,
      }),
      ...this.opening(),
    };
    return { sample, ...defined({ retryMs: this.stream.retryMs }) };
  }

  private counts() {
    return { events: this.events, bytes: this.bytesSeen, lost: this.lost, duplicates: this.duplicates, malformed: this.malformedCount, gapsMs: this.gapsMs };
  }

  private opening() {
    return defined({
      connectMs: this.setup?.connect,
      ...(this.setup?.protocol && this.status !== undefined && { httpProtocol: this.setup.protocol }),
      dnsMs: this.setup?.dns,
      tlsMs: this.setup?.tls,
      ttfbMs: this.ttfbMs,
      timeToFirstEventMs: this.timeToFirstEventMs,
      reconnectMs: this.reconnectMs,
    });
  }
}

function causeOf(end: StreamEnd, status: number | undefined): string {
  if (end.kind === 'error') return end.error.class === 'other' ? end.error.code : end.error.class;
  if (end.code !== undefined && end.code !== 1000) return `ws-close-${end.code}`;
  if (status !== undefined && status >= 400) return statusError(status).class;
  return 'closed-early';
}

function sequenceOf(message: StreamMessage, field: string | undefined): number | undefined {
  if (field !== undefined) {
    try {
      const value = (JSON.parse(message.data) as Record<string, unknown> | null)?.[field];
      return typeof value === 'number' ? value : undefined;
    } catch {
      return undefined;
    }
  }
  const id = message.id === undefined ? NaN : Number(message.id);
  return Number.isInteger(id) ? id : undefined;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
