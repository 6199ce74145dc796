/**
 * A fresh Node process is not a warm one: the first thousand requests pay for module
 * loading, V8 compiling the hot path and the first garbage collections, which a user's
 * first run would otherwise measure as the server's latency (or as drops). Before a load
 * probe's first arrival, the same request path (request building, undici's dispatch and
 * parser, samples, histograms, ticks) runs against a sink server on loopback inside
 * coldbench, never against a target, whose request counts and logs stay untouched.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadProbe, Target } from '../scenario/schema.js';
import { now } from './http.js';
import { createLoadTarget } from './load-target.js';

/** Enough requests for V8 to optimise the hot path (measured: the first second of a fresh 5,000/s run). */
const WARM_UP_REQUESTS = 2000;
const WARM_UP_BATCH = 64;

export async function warmUpLoadPath(probe: LoadProbe, target: Target): Promise<void> {
  const sink = createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const batch = Math.min(WARM_UP_BATCH, probe.connections ?? probe.maxInFlight, probe.maxInFlight);
  const driver = createLoadTarget('warm-up', { ...target, url }, { ...probe, connections: batch, maxInFlight: batch }, 'warm-up', () => undefined);
  try {
    for (let sent = 0; sent < WARM_UP_REQUESTS; sent += batch) {
      for (let i = 0; i < batch; i++) driver.fire(now(), 'warm-up');
      await driver.drained();
      if (sent % (batch * 8) === 0) driver.tick(0, now(), 'warm-up');
    }
  } finally {
    await driver.close();
    sink.closeAllConnections();
    sink.close();
  }
}
