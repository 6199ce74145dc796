/**
 * The reference app's token streams: `POST /api/chat` as Server-Sent Events (with `id:` and
 * a `seq` field, resuming after Last-Event-ID) and `POST /api/generate` as chunked NDJSON,
 * the way Ollama streams. Query parameters shape the stream, including faults for tests:
 *   tokens (default 1000), interval ms (default 1000), firstDelay ms before the first token,
 *   skip=N (never send token N: a lost message), closeAfter ms (end abruptly, without `done`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface TokenStreamOptions {
  tokens: number;
  intervalMs: number;
  firstDelayMs: number;
  skip?: number;
  closeAfterMs?: number;
}

export function tokenStreamOptions(url: URL): TokenStreamOptions {
  const number = (name: string, fallback?: number) => {
    const value = url.searchParams.get(name);
    return value === null || !Number.isFinite(Number(value)) ? fallback : Number(value);
  };
  return {
    tokens: number('tokens', 1000)!,
    intervalMs: number('interval', 1000)!,
    firstDelayMs: number('firstDelay', 0)!,
    skip: number('skip'),
    closeAfterMs: number('closeAfter'),
  };
}

type Format = 'sse' | 'ndjson';

const FORMATS: Record<Format, { contentType: string; token(seq: number): string; done: string; opening: string }> = {
  sse: {
    contentType: 'text/event-stream',
    token: (seq) => `id: ${seq}\nevent: token\ndata: ${JSON.stringify({ seq, token: `t${seq}` })}\n\n`,
    done: 'event: done\ndata: [DONE]\n\n',
    // A comment first, so headers and a first byte go out before the first token.
    opening: ': stream open\n\n',
  },
  ndjson: {
    contentType: 'application/x-ndjson',
    token: (seq) => `${JSON.stringify({ seq, response: `t${seq}`, done: false })}\n`,
    done: `${JSON.stringify({ done: true })}\n`,
    opening: '',
  },
};

export function streamTokens(req: IncomingMessage, res: ServerResponse, format: Format, options: TokenStreamOptions): void {
  const shape = FORMATS[format];
  const lastEventId = Number(req.headers['last-event-id']);
  let seq = format === 'sse' && Number.isInteger(lastEventId) ? lastEventId + 1 : 0;
  res.writeHead(200, { 'content-type': shape.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.write(shape.opening);
  const timers: NodeJS.Timeout[] = [];
  const stop = () => timers.forEach(clearTimeout);
  res.on('close', stop);
  if (options.closeAfterMs !== undefined) timers.push(setTimeout(() => res.destroy(), options.closeAfterMs));
  const next = () => {
    if (seq >= options.tokens) {
      res.end(shape.done);
      return;
    }
    if (seq !== options.skip) res.write(shape.token(seq));
    seq += 1;
    timers.push(setTimeout(next, options.intervalMs));
  };
  timers.push(setTimeout(next, options.firstDelayMs));
}
