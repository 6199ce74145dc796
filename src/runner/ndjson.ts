/** Chunked NDJSON (Ollama's /api/generate): one JSON value per line, lines split across chunks reassembled once. */
import { readHttpStream, type BodyParser, type StreamAdapter } from './http-stream.js';
import type { StreamEvents } from './stream-tracker.js';

export const ndjson: StreamAdapter = (context) => readHttpStream(context, NDJSON_HEADERS, new NdjsonParser(context.events));

const NDJSON_HEADERS: Record<string, string> = { accept: 'application/x-ndjson' };

export class NdjsonParser implements BodyParser {
  private pending = '';

  constructor(private readonly events: StreamEvents) {}

  feed(text: string): void {
    this.pending += text;
    for (let end = this.pending.indexOf('\n'); end >= 0; end = this.pending.indexOf('\n')) {
      this.line(this.pending.slice(0, end));
      this.pending = this.pending.slice(end + 1);
    }
  }

  flush(): void {
    this.line(this.pending);
  }

  private line(text: string): void {
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.events.malformed('invalid JSON line');
      return;
    }
    this.events.message({ data: text, terminal: (value as { done?: unknown } | null)?.done === true });
  }
}
