import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { SseParser } from '../src/runner/sse.js';
import type { StreamEvents, StreamMessage } from '../src/runner/stream-tracker.js';

type Seen = ['event', string, string | undefined, string | undefined] | ['retry', number] | ['malformed'];

/** What coldbench's parser reports, fed the chunks one by one. */
function ours(chunks: string[]): Seen[] {
  const seen: Seen[] = [];
  const events: StreamEvents = {
    opened: () => undefined,
    bytes: () => false,
    message: (m: StreamMessage) => void seen.push(['event', m.data, m.id, m.event]),
    retry: (ms) => void seen.push(['retry', ms]),
    malformed: () => void seen.push(['malformed']),
  };
  const parser = new SseParser(events);
  chunks.forEach((chunk) => parser.feed(chunk));
  parser.flush();
  return seen;
}

/** What eventsource-parser, the reference, reports for the same chunks. */
function reference(chunks: string[]): Seen[] {
  const seen: Seen[] = [];
  const parser = createParser({
    onEvent: (e) => void seen.push(['event', e.data, e.id, e.event]),
    onRetry: (ms) => void seen.push(['retry', ms]),
    onError: () => void seen.push(['malformed']),
  });
  chunks.forEach((chunk) => parser.feed(chunk));
  return seen;
}

const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
const line = fc.oneof(
  fc.constantFrom(
    'data: {"seq":1}',
    'data:x',
    'data',
    'data:  two spaces',
    'event: token',
    'event:',
    'id: 7',
    'id',
    'id: a\0b',
    'retry: 1500',
    'retry: soon',
    ': comment',
    ':',
    'unknown: field',
    'Data: case',
    'data: é ✓ 🙂',
    '',
  ),
  fc.string({ maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
);
/** A stream of lines, each with its own line ending, ending in a LF (a final CR is held back by the reference until it knows what follows). */
const body = fc.array(fc.tuple(line, lineEnd), { maxLength: 40 }).map((lines) => lines.map(([text, end]) => text + end).join('') + '\n');

function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  chunks.push(text.slice(from));
  return chunks.filter(Boolean);
}

describe('the SSE parser', () => {
  it('reports what eventsource-parser reports, however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => {
        const chunks = splitAt(text, cuts);
        assert.deepEqual(ours(chunks), reference(chunks));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes a CR at the end of one chunk and a LF at the start of the next as one line end', () => {
    assert.deepEqual(ours(['data: a\r', '\n\r', '\ndata: b\n\n']), [
      ['event', 'a', undefined, undefined],
      ['event', 'b', undefined, undefined],
    ]);
  });

  it('drops an event the stream ended before its blank line, as the spec says', () => {
    assert.deepEqual(ours(['data: complete\n\n', 'data: cut off\n']), [['event', 'complete', undefined, undefined]]);
  });
});
