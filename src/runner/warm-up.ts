/**
 * A fresh Node process is not a warm one: the first thousand requests pay for module
 * loading, V8 compiling the hot path and the first garbage collections, which a user's
 * first run would otherwise measure as the server's latency (or as drops). Before a load
 * probe's first arrival, and a stream probe's first open, the same path (request building,
 * undici's dispatch and parser, samples, histograms, ticks; a stream's connection, parser
 * and tracker) runs against a sink server on loopback inside coldbench, never against a
 * target, whose request counts and logs stay untouched. Its records go to a rehearsal: the
 * store's code (interval histograms and their encoding, sample lines) run on them, and they
 * are dropped, so that the first measured seconds do not pay for compiling that either.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { StreamProbe, Target } from '../scenario/schema.js';
import type { StreamAdapter } from './http-stream.js';
import { now } from './http.js';
import { buildRequest } from '../scenario/request.js';
import { createStreamTracker, trackerOptions } from './stream-tracker.js';
import type { Emit } from '../model/records.js';

/**
 * Where warm-up records go: the path a run's records take, built by the same code into a
 * throwaway run directory, then nowhere. `end` closes it and removes what it wrote.
 */
export interface Rehearsal {
  emit: Emit;
  end(): Promise<void>;
}

const WARM_UP_STREAMS = 200;
const WARM_UP_STREAM_BATCH = 20;
/** One event and a proper end, in each HTTP stream protocol. */
const SINK_STREAMS: Partial<Record<StreamProbe['protocol'], { contentType: string; body: string }>> = {
  sse: { contentType: 'text/event-stream', body: 'id: 1\ndata: {"seq":1}\n\nevent: done\ndata: [DONE]\n\n' },
  ndjson: { contentType: 'application/x-ndjson', body: '{"seq":1}\n{"done":true}\n' },
};

/** Opens and ends WARM_UP_STREAMS streams through the probe's adapter and tracker. */
export async function warmUpStreamPath(probe: StreamProbe, target: Target, adapter: StreamAdapter, rehearsal: Rehearsal): Promise<void> {
  const sink = SINK_STREAMS[probe.protocol];
  await withSinkServer(
    (req, res) => {
      req.resume();
      if (sink) res.writeHead(200, { 'content-type': sink.contentType }).end(sink.body);
      else res.writeHead(426).end();
    },
    async (url, server) => {
      // WebSocket: one message and a normal close on every upgrade.
      const sockets = probe.protocol === 'websocket' ? new WebSocketServer({ server }) : undefined;
      sockets?.on('connection', (socket) => {
        socket.send('{"seq":1}');
        socket.close(1000);
      });
      const sinkTarget = { ...target, url };
      const spec = buildRequest(probe.request, sinkTarget);
      const open = async (stream: number) => {
        const tracker = createStreamTracker({ probe: 'warm-up', target: 'warm-up', protocol: probe.protocol, stream }, trackerOptions(probe, target));
        const connection = tracker.attempt(0, now());
        const end = await adapter({
          target: sinkTarget,
          url: new URL(url),
          spec,
          headersTimeoutMs: 5000,
          idleTimeoutMs: 5000,
          maxMessageBytes: probe.maxMessageBytes,
          events: connection,
        }).ended;
        rehearsal.emit(connection.finish(end, 'ended').sample);
      };
      try {
        for (let stream = 0; stream < WARM_UP_STREAMS; stream += WARM_UP_STREAM_BATCH) {
          await Promise.all(Array.from({ length: WARM_UP_STREAM_BATCH }, (_, i) => open(stream + i)));
        }
      } finally {
        sockets?.close();
        await rehearsal.end();
      }
    },
    // WebSocket upgrades are HTTP/1.1 whatever the target asked.
    target.http.version === 2 && probe.protocol !== 'websocket',
  );
}

/**
 * A loopback server inside coldbench for a stream warm-up to send to, closed when `use` is
 * done. It speaks HTTP/2 by prior knowledge (h2c) for a target that asked for HTTP/2, so the
 * warm-up runs the same client code as the measured run.
 */
async function withSinkServer(handler: RequestListener, use: (url: string, server: Server) => Promise<void>, http2 = false): Promise<void> {
  if (http2) {
    const sink = createHttp2Server(handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
    const sessions = new Set<ServerHttp2Session>();
    sink.on('session', (session) => sessions.add(session));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      await use(`http://127.0.0.1:${(sink.address() as AddressInfo).port}`, sink as unknown as Server);
    } finally {
      for (const session of sessions) session.destroy();
      sink.close();
    }
    return;
  }
  const sink = createServer(handler);
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  try {
    await use(`http://127.0.0.1:${(sink.address() as AddressInfo).port}`, sink);
  } finally {
    sink.closeAllConnections();
    sink.close();
  }
}

/** A sink answering "ok" to every request, on a worker thread (sink-worker.ts says why), for `use`; h2c when `http2`. */
export async function withSinkWorker(use: (url: string) => Promise<void>, http2 = false): Promise<void> {
  const worker = new Worker(new URL('./sink-worker.js', import.meta.url), { workerData: { http2 } });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await use(`http://127.0.0.1:${port}`);
  } finally {
    await worker.terminate();
  }
}
