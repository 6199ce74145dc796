/** Stream-probe figures per target: survival, drops by cause, lost messages, timing. */
import type { Histogram } from '../model/histogram.js';
import type { Limit, ProbeDeclared, SloLimits, StreamCheckpoint, StreamSample, StreamTick } from '../model/records.js';
import { carriesOpening } from '../store/sample-metrics.js';
import { newReservoir } from './reservoir.js';
import { streamKey, type StoredRun, type StreamData } from './stored-run.js';
import { successRatioLowerBound } from './binomial.js';
import { clientLagReason, eventLoopDelay } from './client.js';
import { checkPercentile, checkRatio } from './slo.js';
import { distribution, round3 } from './stats.js';
import type { SloCheck, StreamSummary } from '../model/summary.js';

/** Most points a survival curve keeps; drops closer together than hold/this share a point. */
const CURVE_POINTS = 200;

export function summarizeStream(run: StoredRun, probe: ProbeDeclared, target: string): StreamSummary {
  const data = run.streams.get(streamKey(probe.probe, target));
  const holdMs = probe.holdMs ?? 0;
  // A stream the run interrupted before it dropped is censored: neither survived nor dropped.
  const firstDrops: number[] = [];
  let survived = 0;
  let counted = 0;
  let interrupted = 0;
  for (const attempts of data?.streams.values() ?? []) {
    attempts.sort((a, b) => a.attempt - b.attempt);
    const drop = attempts.find((a) => a.outcome === 'dropped');
    if (drop) {
      counted += 1;
      firstDrops.push(drop.startedAt + drop.endedAfterMs - attempts[0]!.startedAt);
    } else if (attempts.at(-1)!.outcome !== 'interrupted') {
      counted += 1;
      survived += 1;
    } else interrupted += 1;
  }
  const hist = (metric: string) => run.histograms.get({ target, probe: probe.probe, stage: 'stream', metric });
  const ticks = run.series.filter((r): r is StreamTick => r.type === 'stream-tick' && r.probe === probe.probe && r.target === target);

  return {
    probe: probe.probe,
    protocol: probe.protocol ?? 'sse',
    holdMs,
    connections: counted,
    survived,
    dropped: counted - survived,
    interrupted,
    droppedByCause: { ...(data?.droppedByCause ?? {}) },
    survival: counted ? round3(survived / counted) : null,
    survivalLowerBound: counted ? round3(successRatioLowerBound(survived, counted)) : null,
    survivalCurve: survivalCurve(firstDrops, counted, holdMs),
    lostMessages: data?.lost ?? 0,
    duplicates: data?.duplicates ?? 0,
    malformed: data?.malformed ?? 0,
    reconnects: data?.reconnects ?? 0,
    reconnectsToNewInstance: data?.reconnectsToNewInstance ?? 0,
    events: data?.events ?? 0,
    connectMs: distribution(hist('connect')) ?? null,
    ttfbMs: distribution(hist('ttfb')) ?? null,
    timeToFirstEventMs: distribution(hist('ttfe')) ?? null,
    gapMs: distribution(hist('gap')) ?? null,
    reconnectMs: distribution(hist('reconnect')) ?? null,
    peakConcurrent: ticks.length ? Math.max(...ticks.map((t) => t.open)) : null,
    instances: data?.instances.size ?? 0,
    slo: streamSlos(probe.slo, survived, counted, hist, eventLoopDelay(run.histograms, probe.probe, 'stream')?.p99),
  };
}

/** Step curve of the share of streams not yet dropped, from 1 at open to survival at the end of the hold. */
export function survivalCurve(firstDropsMs: readonly number[], streams: number, holdMs: number): Array<{ atMs: number; alive: number }> {
  if (streams === 0) return [];
  const step = holdMs / CURVE_POINTS;
  const drops = [...firstDropsMs].sort((a, b) => a - b);
  const curve = [{ atMs: 0, alive: 1 }];
  let gone = 0;
  for (let i = 0; i < drops.length;) {
    const at = Math.ceil(drops[i]! / step) * step;
    while (i < drops.length && drops[i]! <= at) {
      gone += 1;
      i += 1;
    }
    curve.push({ atMs: round3(Math.min(at, holdMs)), alive: round3((streams - gone) / streams) });
  }
  if (curve.at(-1)!.atMs < holdMs) curve.push({ atMs: holdMs, alive: round3((streams - gone) / streams) });
  return curve;
}

function streamSlos(
  slo: SloLimits | undefined,
  survived: number,
  streams: number,
  hist: (metric: string) => Histogram | undefined,
  loopDelayP99: number | undefined,
): SloCheck[] {
  const checks: SloCheck[] = [];
  if (slo?.survival) checks.push(checkRatio('survival', slo.survival, survived, streams, 'streams kept'));
  // A latency the client may have added to is not the server's: invalid rather than fail or pass.
  const latency = (metric: string, q: number, limit: Limit, histogram: string) => {
    const check = checkPercentile(metric, q, limit, hist(histogram));
    const lagged = check.samples > 0 && clientLagReason('event-loop delay p99', loopDelayP99, limit.value, `the ${metric} limit`, "coldbench's own event loop");
    return lagged ? { ...check, status: 'invalid' as const, detail: `${lagged}; measured ${check.detail}` } : check;
  };
  if (slo?.gapP99) checks.push(latency('gapP99', 0.99, slo.gapP99, 'gap'));
  if (slo?.timeToFirstEventP95) checks.push(latency('timeToFirstEventP95', 0.95, slo.timeToFirstEventP95, 'ttfe'));
  return checks;
}

function streamData(run: StoredRun, sample: StreamSample | StreamCheckpoint): StreamData {
  const key = streamKey(sample.probe, sample.target);
  let data = run.streams.get(key);
  if (!data) {
    data = {
      probe: sample.probe,
      target: sample.target,
      streams: new Map(),
      events: 0,
      lost: 0,
      duplicates: 0,
      malformed: 0,
      reconnects: 0,
      reconnectsToNewInstance: 0,
      droppedByCause: {},
      instances: new Set(),
      timeToFirstEvent: newReservoir(),
      gaps: newReservoir(),
    };
    run.streams.set(key, data);
  }
  return data;
}

/** Gaps come with every record; the first event's time once, with the record that carried it. */
function addGapsAndOpening(data: StreamData, record: StreamSample | StreamCheckpoint): void {
  if (carriesOpening(record) && record.attempt === 0 && record.timeToFirstEventMs !== undefined) data.timeToFirstEvent.add(record.timeToFirstEventMs);
  for (const gap of record.gapsMs) data.gaps.add(gap);
}

/** Adds one ended stream connection. */
export function addStreamSample(run: StoredRun, sample: StreamSample): void {
  const data = streamData(run, sample);
  const attempts = data.streams.get(sample.stream) ?? [];
  attempts.push({
    attempt: sample.attempt,
    outcome: sample.outcome,
    startedAt: sample.startedAt,
    endedAfterMs: sample.endedAfterMs,
    ...(sample.cause !== undefined && { cause: sample.cause }),
  });
  data.streams.set(sample.stream, attempts);
  data.events += sample.events;
  data.lost += sample.lost;
  data.duplicates += sample.duplicates;
  data.malformed += sample.malformed;
  if (sample.attempt > 0) data.reconnects += 1;
  if (sample.newInstance === true) data.reconnectsToNewInstance += 1;
  if (sample.outcome === 'dropped') data.droppedByCause[sample.cause ?? 'unknown'] = (data.droppedByCause[sample.cause ?? 'unknown'] ?? 0) + 1;
  if (sample.instanceId !== undefined) data.instances.add(sample.instanceId);
  addGapsAndOpening(data, sample);
}

/** A checkpoint of a connection still open: its gaps so far, and its opening figures once. */
export function addStreamCheckpoint(run: StoredRun, checkpoint: StreamCheckpoint): void {
  addGapsAndOpening(streamData(run, checkpoint), checkpoint);
}
