/**
 * The raw reference client for the stream bench: plain sockets, a hand-written request, and
 * the first `data:` line taken as the first event, opened on the same schedule as coldbench's
 * stream probe. What coldbench adds to time to first event is measured against this.
 *
 *   node raw-sse-client.js <url> <opens per second> <streams> <hold ms>
 * prints {"connectMs":[…],"ttfeMs":[…]} from each stream's scheduled open.
 */
import { connect } from 'node:net';

const [url, rateArg, countArg, holdArg] = process.argv.slice(2);
const { hostname, port, pathname, search } = new URL(url!);
const rate = Number(rateArg);
const count = Number(countArg);
const holdMs = Number(holdArg);
const request = `POST ${pathname}${search} HTTP/1.1\r\nhost: ${hostname}:${port}\r\naccept: text/event-stream\r\ncontent-length: 0\r\n\r\n`;
const connectMs: number[] = [];
const ttfeMs: number[] = [];
const start = performance.now() + 20;
const dueAt = (stream: number) => start + (stream * 1000) / rate;

function open(due: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), noDelay: true });
    let seen = '';
    let firstEvent = false;
    socket.once('connect', () => {
      connectMs.push(performance.now() - due);
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      if (firstEvent) return;
      seen += chunk.toString('latin1');
      if (/\ndata:/.test(seen)) {
        ttfeMs.push(performance.now() - due);
        firstEvent = true;
      }
    });
    setTimeout(() => socket.destroy(), Math.max(0, due + holdMs - performance.now()));
    socket.once('close', () => resolve());
    socket.on('error', () => undefined);
  });
}

const streams: Promise<void>[] = [];
for (let i = 0; i < count;) {
  const wait = dueAt(i) - performance.now();
  if (wait > 1.5) await new Promise((resolve) => setTimeout(resolve, wait - 0.75));
  else if (wait > 0) await new Promise((resolve) => setImmediate(resolve));
  // Every stream now due opens with its own due time, as coldbench's schedule does.
  for (; i < count && dueAt(i) <= performance.now(); i++) streams.push(open(dueAt(i)));
}
await Promise.all(streams);
process.stdout.write(JSON.stringify({ connectMs, ttfeMs }));
