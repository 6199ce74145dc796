/**
 * The sink seam: everything that receives a run's records as they happen (the run writer,
 * the progress display, InfluxDB) is a Sink, fed the same redacted records. No sink can
 * block the runner: a sink whose `record` returns a promise gets the next records queued
 * (bounded) until it settles; beyond the bound they are dropped and counted. A sink that
 * throws, rejects or misses the close deadline is counted and named at the end; the run
 * completes either way.
 */
import type { RunRecord } from '../model/records.js';
import type { RunEnd, RunInfo, Sink, SinkReport } from '../model/sink.js';

export interface SinkFanOut {
  record(record: RunRecord): void;
  /**
   * Drains the queues and closes every sink within the deadline, the first (the store)
   * before the others; `afterFirst` may then add to what the others are told (the summary).
   */
  close(end: RunEnd, afterFirst?: () => Partial<RunEnd>): Promise<SinkReport[]>;
}

const DEFAULT_QUEUE_LIMIT = 10_000;

/** What `beforeDeadline` gives when the work was still running at the deadline. */
export const LATE = Symbol('late');

/** The work's result, or LATE once `deadline` (epoch ms) passes first; a sink must never hold the run past it. */
export async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function openSinks(sinks: readonly Sink[], run: RunInfo, { queueLimit = DEFAULT_QUEUE_LIMIT, openTimeoutMs = 5000 } = {}): Promise<SinkFanOut> {
  const lanes = sinks.map((sink) => lane(sink, queueLimit));
  await Promise.all(lanes.map((l) => l.open(run, openTimeoutMs)));
  return {
    record(record) {
      for (const l of lanes) l.deliver(record);
    },
    async close(end, afterFirst) {
      const [first, ...rest] = lanes;
      const firstReport = first ? [await first.close(end)] : [];
      const restEnd = { ...end, ...afterFirst?.() };
      return [...firstReport, ...(await Promise.all(rest.map((l) => l.close(restEnd))))];
    },
  };
}

function lane(sink: Sink, queueLimit: number) {
  const report: SinkReport = { name: sink.name, delivered: 0, dropped: 0, failed: 0 };
  const queue: RunRecord[] = [];
  let head = 0;
  let busy = false;
  let closing = false;
  let idle: (() => void) | undefined;

  const fail = (error: unknown) => {
    report.failed += 1;
    report.error ??= error instanceof Error ? error.message : String(error);
  };
  const settled = () => {
    busy = false;
    drain();
  };
  const call = (record: RunRecord) => {
    try {
      const result = sink.record(record);
      report.delivered += 1;
      if (result && typeof result.then === 'function') {
        busy = true;
        result.then(settled, (error: unknown) => {
          fail(error);
          settled();
        });
      }
    } catch (error) {
      fail(error);
    }
  };
  const drain = () => {
    while (!busy && head < queue.length) {
      const record = queue[head]!;
      queue[head++] = undefined as never;
      call(record);
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      if (!busy) idle?.();
    }
  };
  const withDeadline = async (work: () => unknown, deadline: number, what: string) => {
    try {
      const outcome = await beforeDeadline(Promise.resolve().then(work), deadline);
      if (outcome === LATE) report.error ??= `${what} did not finish by the deadline`;
      else if (typeof outcome === 'string') report.note = outcome;
    } catch (error) {
      fail(error);
    }
  };

  return {
    open: (run: RunInfo, timeoutMs: number) => withDeadline(() => sink.open?.(run), Date.now() + timeoutMs, 'open'),
    deliver(record: RunRecord) {
      if (closing) return;
      if (!busy && head === queue.length) call(record);
      else if (queue.length - head < queueLimit) queue.push(record);
      else report.dropped += 1;
    },
    async close(end: RunEnd): Promise<SinkReport> {
      closing = true;
      const drained = new Promise<void>((resolve) => {
        idle = resolve;
        drain();
      });
      await withDeadline(() => drained, end.deadline, 'delivering the queued records');
      report.dropped += queue.length - head;
      await withDeadline(() => sink.close?.(end), end.deadline, 'close');
      return report;
    },
  };
}
