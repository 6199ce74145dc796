/** Server-Sent Events, parsed to the spec by eventsource-parser; resumes with Last-Event-ID. */
import { createParser } from 'eventsource-parser';
import { readHttpStream, type StreamAdapter } from './http-stream.js';

export const sse: StreamAdapter = (context) => {
  const { events } = context;
  const parser = createParser({
    onEvent: (event) =>
      events.message({ data: event.data, id: event.id, event: event.event, terminal: event.event === 'done' || event.data === '[DONE]' }),
    onRetry: (ms) => events.retry(ms),
    onError: (error) => events.malformed(error.message),
  });
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (context.lastEventId !== undefined) headers['last-event-id'] = context.lastEventId;
  return readHttpStream(context, headers, (text) => parser.feed(text));
};
