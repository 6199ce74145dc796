/**
 * The capacity probe (closed model): autocannon with fixed connections and pipelining for a
 * duration, every target at the same time, to find the maximum throughput. autocannon's own
 * latency histogram (whole ms) is converted to µs and stored, not re-measured. Closed-model
 * latency is uncorrected by nature; load probes give the corrected one.
 */
import type autocannonModule from 'autocannon';
import type { CapacityProbe } from '../scenario/schema.js';
import { decodeHistogram, encodeHistogram, newHistogram } from '../model/histogram.js';
import { buildRequest } from '../scenario/request.js';
import type { ProbeContext } from './probe-context.js';

export async function runCapacityProbe({ probe, probeName, targets, emit, signal }: ProbeContext<CapacityProbe>): Promise<void> {
  // Loaded here, not with the module: autocannon takes 200 ms to load, which every other command would pay.
  const { default: autocannon } = await import('autocannon');
  await Promise.all(
    targets.map(async ([name, target]) => {
      const spec = buildRequest(probe.request, target);
      const url = new URL(spec.path, target.url).toString();
      const startedAt = Date.now();
      const instance = autocannon({
        url,
        method: spec.method as autocannonModule.Request['method'],
        headers: spec.headers,
        body: spec.body,
        connections: probe.connections,
        pipelining: probe.pipelining,
        duration: probe.duration / 1000,
        timeout: Math.max(1, Math.ceil(probe.timeout / 1000)),
        skipAggregateResult: true,
      });
      const stop = () => (instance as unknown as { stop(): void }).stop();
      signal.addEventListener('abort', stop, { once: true });
      const result = (await instance) as unknown as RawResult;
      signal.removeEventListener('abort', stop);
      const endedAt = Date.now();
      const successes = result['2xx'];
      emit({
        type: 'sample',
        kind: 'capacity',
        probe: probeName,
        target: name,
        startedAt,
        endedAt,
        connections: probe.connections,
        pipelining: probe.pipelining,
        requests: result.totalCompletedRequests,
        successes,
        errors: result.errors,
        timeouts: result.timeouts,
        resets: result.resets,
        non2xx: result.non2xx,
        bytes: result.totalBytes,
        requestsPerSecond: result.totalCompletedRequests / ((endedAt - startedAt) / 1000),
        latencyHistogram: millisecondsToMicroseconds(result.latencies),
      });
    }),
  );
}

/** What autocannon hands back with skipAggregateResult: counters and base64 histograms. */
interface RawResult {
  latencies: string;
  totalCompletedRequests: number;
  totalBytes: number;
  errors: number;
  timeouts: number;
  resets: number;
  non2xx: number;
  '2xx': number;
}

function millisecondsToMicroseconds(encodedMs: string): string {
  const source = decodeHistogram(encodedMs) as ReturnType<typeof decodeHistogram> & {
    recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
  };
  const target = newHistogram();
  const values = source.recordedValuesIterator;
  values.reset();
  while (values.hasNext()) {
    const step = values.next();
    target.recordValueWithCount(step.valueIteratedTo * 1000, step.countAtValueIteratedTo);
  }
  return encodeHistogram(target);
}
