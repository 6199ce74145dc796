/**
 * What one held stream saw, across its reconnects: event timing and gaps, sequence numbers
 * (lost and duplicate messages), bytes and the first of them as evidence. Protocol adapters
 * feed it; it turns each connection into a StreamSample.
 */
import type { StreamProbe, Target } from '../scenario/schema.js';
import { statusError } from './error-class.js';
import type { Phases, SampleError, StreamCheckpoint, StreamSample } from '../model/records.js';
import { now, toEpochMs } from './http.js';

export interface StreamMessage {
  data: string;
  id?: string;
  event?: string;
  /** The server's proper end of the stream (SSE `done`/`[DONE]`, NDJSON `"done": true`; a WebSocket closes with 1000). */
  terminal?: boolean;
}

/** What an adapter reports while a connection is open. */
export interface StreamEvents {
  opened(info: { status: number; headers: Record<string, string>; phases?: Phases }): void;
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
  return { sequenceField: probe.expect.sequenceField, instanceIdHeader: target.identity.instanceIdHeader.toLowerCase(), maxMessageBytes: probe.maxMessageBytes };
}

export function createStreamTracker(base: Pick<StreamSample, 'probe' | 'target' | 'protocol' | 'stream'>, { sequenceField, instanceIdHeader, maxMessageBytes }: TrackerOptions) {
  let lastEventAt: number | undefined;
  let lastSequence: number | undefined;
  let lastEventId: string | undefined;
  let lastInstance: string | undefined;
  let droppedAt: number | undefined;
  let retryMs: number | undefined;

  return {
    get lastEventId() {
      return lastEventId;
    },

    /** Opens the tracking of one connection; returns the adapter callbacks and how to close it. */
    attempt(attempt: number, intendedAt: number) {
      const startedAt = now();
      const sample: StreamSample = {
        type: 'sample',
        kind: 'stream',
        ...base,
        attempt,
        intendedAt: toEpochMs(intendedAt),
        startedAt: toEpochMs(startedAt),
        events: 0,
        bytes: 0,
        lost: 0,
        duplicates: 0,
        gapsMs: [],
        endedAfterMs: 0,
        outcome: 'dropped',
        malformed: 0,
      };
      let evidence = '';
      let terminal = false;
      let checkpoints = 0;
      /** Bytes since the last complete message: what a parser may be holding. */
      let pendingBytes = 0;

      const events: StreamEvents = {
        opened({ status, headers, phases }) {
          sample.status = status;
          sample.ttfbMs = round(now() - startedAt);
          if (phases) Object.assign(sample, defined({ connectMs: phases.connect, dnsMs: phases.dns, tlsMs: phases.tls }));
          const instance = headers[instanceIdHeader];
          if (instance !== undefined) {
            sample.instanceId = instance;
            if (attempt > 0) sample.newInstance = instance !== lastInstance;
            lastInstance = instance;
          }
        },
        message(message) {
          const at = now();
          pendingBytes = 0;
          sample.events += 1;
          if (sample.events === 1) {
            sample.timeToFirstEventMs = round(at - startedAt);
            if (attempt > 0 && droppedAt !== undefined) sample.reconnectMs = round(at - droppedAt);
          }
          if (lastEventAt !== undefined) sample.gapsMs.push(round(at - lastEventAt));
          lastEventAt = at;
          if (message.id !== undefined) lastEventId = sample.lastEventId = message.id;
          if (message.terminal) terminal = true;
          const sequence = sequenceOf(message, sequenceField);
          if (sequence === undefined) return;
          if (lastSequence !== undefined && sequence <= lastSequence) sample.duplicates += 1;
          else {
            if (lastSequence !== undefined && sequence > lastSequence + 1) sample.lost += sequence - lastSequence - 1;
            lastSequence = sequence;
          }
        },
        bytes(chunk) {
          sample.bytes += chunk.length;
          pendingBytes += chunk.length;
          if (evidence.length < EVIDENCE_BYTES) evidence += chunk.subarray(0, EVIDENCE_BYTES - evidence.length).toString('utf8');
          return pendingBytes > maxMessageBytes;
        },
        malformed() {
          sample.malformed += 1;
        },
        retry(ms) {
          retryMs = ms;
        },
      };

      return {
        events,
        /** The connection so far; the gaps it carries are not repeated in the next checkpoint or the sample. */
        checkpoint(): StreamCheckpoint {
          checkpoints += 1;
          const s = sample;
          const checkpoint: StreamCheckpoint = {
            type: 'checkpoint',
            ...{ probe: s.probe, target: s.target, protocol: s.protocol, stream: s.stream, attempt: s.attempt, intendedAt: s.intendedAt, startedAt: s.startedAt },
            checkpoint: checkpoints,
            at: toEpochMs(now()),
            ...{ events: s.events, bytes: s.bytes, lost: s.lost, duplicates: s.duplicates, malformed: s.malformed, gapsMs: s.gapsMs },
            ...defined({ status: s.status, instanceId: s.instanceId, newInstance: s.newInstance, lastEventId: s.lastEventId }),
          };
          sample.gapsMs = [];
          sample.checkpoints = checkpoints;
          // The opening figures go into the histograms once: with the first checkpoint after the first event.
          if (sample.events > 0 && !sample.openingCheckpointed) {
            Object.assign(checkpoint, defined({ connectMs: s.connectMs, dnsMs: s.dnsMs, tlsMs: s.tlsMs, ttfbMs: s.ttfbMs, timeToFirstEventMs: s.timeToFirstEventMs, reconnectMs: s.reconnectMs }));
            sample.openingCheckpointed = true;
          }
          return checkpoint;
        },
        /** Classifies the end of this connection. `held`: the hold ran out; `interrupted`: the run stopped. */
        finish(end: StreamEnd, why: 'held' | 'interrupted' | 'ended'): AttemptResult {
          const at = now();
          sample.endedAfterMs = round(at - startedAt);
          if (why === 'interrupted') sample.outcome = 'interrupted';
          else if (why === 'held') {
            sample.outcome = sample.status !== undefined && sample.status < 400 ? 'alive' : 'dropped';
            if (sample.outcome === 'dropped') sample.cause = 'timeout';
          } else if (end.kind === 'closed' && (terminal || end.code === 1000)) sample.outcome = 'completed';
          else {
            sample.outcome = 'dropped';
            sample.cause = causeOf(end, sample.status);
            if (end.kind === 'error') sample.error = end.error;
            droppedAt = at;
          }
          // Garbage is not a kept stream: nothing valid delivered, or more malformed lines than events.
          if (sample.outcome !== 'dropped' && sample.outcome !== 'interrupted' && (sample.events === 0 || sample.malformed > sample.events)) {
            sample.outcome = 'dropped';
            sample.cause = sample.malformed > 0 ? 'malformed' : 'no-events';
          }
          const suspicious = sample.outcome === 'dropped' && sample.events === 0;
          if (evidence && (suspicious || sample.malformed > 0 || (sample.status ?? 0) >= 400)) sample.evidence = evidence;
          return { sample, retryMs };
        },
      };
    },
  };
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
