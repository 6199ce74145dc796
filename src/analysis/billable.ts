/**
 * Billable instance time, measured from the client: each instance's busy periods (the union
 * of the spans from a request's socket write to its response's end, as the client saw them)
 * and its lifetime (its first request's write to its last response's end). Request-based
 * billing (Cloud Run) charges busy time, each period rounded up to 100 ms; instance-based
 * billing and Kubernetes pods charge the lifetime. Client-side spans include the network
 * both ways, so busy time is an upper bound of the server's. Pure, and streaming: a busy
 * instance's spans merge as they come, so memory follows busy periods, not requests.
 */
import type { LoadStageSummary } from '../model/summary.js';
import { round3 } from './stats.js';

/** Cloud Run rounds billable time up to the next 100 ms. */
const BILLING_GRANULARITY_MS = 100;

/** One instance's busy periods, sorted and disjoint, in epoch ms. */
export interface InstanceBusy {
  periods: Array<[start: number, end: number]>;
  firstAt: number;
  lastAt: number;
  requests: number;
}

export type BusyByInstance = Map<string, InstanceBusy>;

/** Adds one request's span to its instance's busy periods, merging with those it overlaps. */
export function addBusySpan(busy: BusyByInstance, instance: string, start: number, end: number): void {
  let entry = busy.get(instance);
  if (!entry) busy.set(instance, (entry = { periods: [], firstAt: start, lastAt: end, requests: 0 }));
  entry.requests += 1;
  entry.firstAt = Math.min(entry.firstAt, start);
  entry.lastAt = Math.max(entry.lastAt, end);
  const { periods } = entry;
  // Samples arrive about in completion order: the overlapping periods are at the end.
  let i = periods.length;
  while (i > 0 && periods[i - 1]![1] >= start) i -= 1;
  let merged: [number, number] = [start, end];
  let j = i;
  while (j < periods.length && periods[j]![0] <= merged[1]) {
    merged = [Math.min(merged[0], periods[j]![0]), Math.max(merged[1], periods[j]![1])];
    j += 1;
  }
  periods.splice(i, j - i, merged);
}

/** One instance's time in a stage, in ms: busy, busy with each period rounded up (request-based billing), and its lifetime. */
export interface InstanceTime {
  requests: number;
  busyMs: number;
  billedMs: number;
  lifetimeMs: number;
}

export function instanceTimes(busy: BusyByInstance): InstanceTime[] {
  return [...busy.values()].map((entry) => {
    let busyMs = 0;
    let billedMs = 0;
    for (const [start, end] of entry.periods) {
      busyMs += end - start;
      billedMs += Math.ceil((end - start) / BILLING_GRANULARITY_MS) * BILLING_GRANULARITY_MS;
    }
    return { requests: entry.requests, busyMs, billedMs, lifetimeMs: entry.lastAt - entry.firstAt };
  });
}

/** What a stage's requests cost in instance time, in seconds, and per 1,000 requests. */
export function billableFigures(busy: BusyByInstance): NonNullable<LoadStageSummary['billable']> | null {
  if (busy.size === 0) return null;
  const total = { requests: 0, busyMs: 0, billedMs: 0, lifetimeMs: 0 };
  for (const time of instanceTimes(busy)) for (const key of Object.keys(total) as Array<keyof InstanceTime>) total[key] += time[key];
  const seconds = (ms: number) => round3(ms / 1000);
  return {
    instances: busy.size,
    requests: total.requests,
    busySeconds: seconds(total.busyMs),
    requestBilledSeconds: seconds(total.billedMs),
    lifetimeSeconds: seconds(total.lifetimeMs),
    idleSeconds: seconds(total.lifetimeMs - total.busyMs),
    perThousandRequests: {
      requestBilledSeconds: seconds((total.billedMs * 1000) / total.requests),
      lifetimeSeconds: seconds((total.lifetimeMs * 1000) / total.requests),
    },
  };
}
