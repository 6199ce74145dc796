/** Chunked NDJSON (Ollama's /api/generate): one JSON value per line, lines split across chunks reassembled once. */
import { readHttpStream, type StreamAdapter } from './http-stream.js';

export const ndjson: StreamAdapter = (context) => {
  const { events } = context;
  let pending = '';
  const line = (text: string) => {
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      events.malformed('invalid JSON line');
      return;
    }
    events.message({ data: text, terminal: (value as { done?: unknown } | null)?.done === true });
  };
  return readHttpStream(
    context,
    { accept: 'application/x-ndjson' },
    (text) => {
      pending += text;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        line(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    },
    () => line(pending),
  );
};
