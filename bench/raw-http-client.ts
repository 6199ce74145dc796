/**
 * The raw reference client for the lag bench: plain sockets opened ahead, one hand-written
 * GET, the open-model schedule of coldbench's constant arrival rate (due requests beyond the
 * in-flight bound dropped, waiting ones queued for a connection), no recording but arrays.
 * A fresh process of it meets the same machine, server and JIT start as a fresh `coldbench
 * run`, so what coldbench adds to the schedule lag is the difference between the two.
 *
 *   node raw-http-client.js <url> <rate> <seconds> <connections> <max in flight>
 * prints {"lagMs":[…],"dropped":n} (lag: socket write − intended start, every sent request).
 */
import { connect, type Socket } from 'node:net';

const [url, rateArg, secondsArg, connectionsArg, maxInFlightArg] = process.argv.slice(2);
const { hostname, port } = new URL(url!);
const rate = Number(rateArg);
const count = Math.round(rate * Number(secondsArg));
const maxInFlight = Number(maxInFlightArg);
const request = Buffer.from(`GET / HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: keep-alive\r\n\r\n`, 'latin1');

const lagMs: number[] = [];
const idle: Socket[] = [];
const waiting: number[] = [];
let inFlight = 0;
let dropped = 0;

function send(socket: Socket, intendedAt: number): void {
  lagMs.push(performance.now() - intendedAt);
  socket.write(request);
}

/** The bench server answers "ok" with a content-length: one response ends at each "ok". */
function open(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), noDelay: true }, () => {
      idle.push(socket);
      resolve();
    });
    socket.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf('\r\n\r\nok'); at !== -1; at = chunk.indexOf('\r\n\r\nok', at + 6)) {
        inFlight -= 1;
        const next = waiting.shift();
        if (next === undefined) idle.push(socket);
        else send(socket, next);
      }
    });
  });
}

await Promise.all(Array.from({ length: Number(connectionsArg) }, open));
const start = performance.now() + 20;
let fired = 0;
function step(): void {
  const current = performance.now();
  for (let due = start + (fired * 1000) / rate; fired < count && due <= current; due = start + (++fired * 1000) / rate) {
    if (inFlight >= maxInFlight) {
      dropped += 1;
      continue;
    }
    inFlight += 1;
    const socket = idle.pop();
    if (socket) send(socket, due);
    else waiting.push(due);
  }
  if (fired < count) setImmediate(step);
  // The queued requests are sent as responses free their connections: wait for them too.
  else setTimeout(() => process.stdout.write(JSON.stringify({ lagMs, dropped }), () => process.exit(0)), 500);
}
step();
