/**
 * The load rehearsal's sink server, on a worker thread: its own V8 isolate. In the measuring
 * isolate, the sink's server-side sockets and responses went through the same Node internals
 * as the client's requests (Writable.write, writeOrBuffer, onwrite); V8 optimised those for
 * both, and deoptimised them when the sink went away, so the first measured seconds paid for
 * compiling them again (--trace-deopt: "wrong map"). Answers every request "ok".
 */
import { createServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const answer = (req: { resume(): void }, res: { end(body: string): void }) => {
  req.resume();
  res.end('ok');
};
const server = (workerData as { http2: boolean }).http2 ? createHttp2Server(answer) : createServer(answer);
server.listen(0, '127.0.0.1', () => parentPort!.postMessage((server.address() as AddressInfo).port));
