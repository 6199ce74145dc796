/** Stream-probe figures per target: survival, drops by cause, lost messages, timing. */
import type { StreamSample, StreamTick } from '../model/records.js';
import type { StreamProbe } from '../scenario/schema.js';
import type { StoredRun } from '../store/run-dir.js';
import { successRatioLowerBound } from './binomial.js';
import { clientLagReason, eventLoopDelay } from './client.js';
import { checkPercentile, checkRatio } from './slo.js';
import { countBy, distribution, round3 } from './stats.js';
import type { SloCheck, StreamSummary } from './summary-schema.js';

/** Most points a survival curve keeps; drops closer together than hold/this share a point. */
const CURVE_POINTS = 200;

export function summarizeStream(run: Pick<StoredRun, 'samples' | 'series' | 'histograms'>, probe: StreamProbe, probeName: string, target: string): StreamSummary {
  const samples = run.samples.filter((s): s is StreamSample => s.kind === 'stream' && s.probe === probeName && s.target === target);
  const byStream = new Map<number, StreamSample[]>();
  for (const sample of samples) {
    const attempts = byStream.get(sample.stream) ?? [];
    attempts.push(sample);
    byStream.set(sample.stream, attempts);
  }
  // A stream the run interrupted before it dropped is censored: neither survived nor dropped.
  const firstDrops: number[] = [];
  let survived = 0;
  let counted = 0;
  for (const attempts of byStream.values()) {
    attempts.sort((a, b) => a.attempt - b.attempt);
    const drop = attempts.find((a) => a.outcome === 'dropped');
    if (drop) {
      counted += 1;
      firstDrops.push(drop.startedAt + drop.endedAfterMs - attempts[0]!.startedAt);
    } else if (attempts.at(-1)!.outcome !== 'interrupted') {
      counted += 1;
      survived += 1;
    }
  }
  const droppedByCause = countBy(samples.filter((s) => s.outcome === 'dropped'), (s) => s.cause ?? 'unknown');
  const sum = (pick: (s: StreamSample) => number) => samples.reduce((total, s) => total + pick(s), 0);
  const hist = (metric: string) => run.histograms.get({ target, probe: probeName, stage: 'stream', metric });
  const ticks = run.series.filter((r): r is StreamTick => r.type === 'stream-tick' && r.probe === probeName && r.target === target);

  return {
    probe: probeName,
    protocol: probe.protocol,
    holdMs: probe.hold,
    connections: counted,
    survived,
    dropped: counted - survived,
    droppedByCause,
    survival: counted ? round3(survived / counted) : null,
    survivalLowerBound: counted ? round3(successRatioLowerBound(survived, counted)) : null,
    survivalCurve: survivalCurve(firstDrops, counted, probe.hold),
    lostMessages: sum((s) => s.lost),
    duplicates: sum((s) => s.duplicates),
    malformed: sum((s) => s.malformed),
    reconnects: samples.filter((s) => s.attempt > 0).length,
    reconnectsToNewInstance: samples.filter((s) => s.newInstance === true).length,
    events: sum((s) => s.events),
    connectMs: distribution(hist('connect')) ?? null,
    ttfbMs: distribution(hist('ttfb')) ?? null,
    timeToFirstEventMs: distribution(hist('ttfe')) ?? null,
    gapMs: distribution(hist('gap')) ?? null,
    reconnectMs: distribution(hist('reconnect')) ?? null,
    peakConcurrent: ticks.length ? Math.max(...ticks.map((t) => t.open)) : null,
    instances: new Set(samples.flatMap((s) => (s.instanceId === undefined ? [] : [s.instanceId]))).size,
    slo: streamSlos(probe, survived, counted, hist, eventLoopDelay(run.histograms, probeName, 'stream')?.p99),
  };
}

/** Step curve of the share of streams not yet dropped, from 1 at open to survival at the end of the hold. */
export function survivalCurve(firstDropsMs: readonly number[], streams: number, holdMs: number): Array<{ atMs: number; alive: number }> {
  if (streams === 0) return [];
  const step = holdMs / CURVE_POINTS;
  const drops = [...firstDropsMs].sort((a, b) => a - b);
  const curve = [{ atMs: 0, alive: 1 }];
  let gone = 0;
  for (let i = 0; i < drops.length; ) {
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
  probe: StreamProbe,
  survived: number,
  streams: number,
  hist: (metric: string) => ReturnType<StoredRun['histograms']['get']>,
  loopDelayP99: number | undefined,
): SloCheck[] {
  const checks: SloCheck[] = [];
  if (probe.slo?.survival) checks.push(checkRatio('survival', probe.slo.survival, survived, streams, 'streams kept'));
  // A latency the client may have added to is not the server's: invalid rather than fail or pass.
  const latency = (metric: string, q: number, limit: NonNullable<NonNullable<StreamProbe['slo']>['gapP99']>, histogram: string) => {
    const check = checkPercentile(metric, q, limit, hist(histogram));
    const lagged = check.samples > 0 && clientLagReason('event-loop delay p99', loopDelayP99, limit.value, `the ${metric} limit`, "coldbench's own event loop");
    return lagged ? { ...check, status: 'invalid' as const, detail: `${lagged}; measured ${check.detail}` } : check;
  };
  if (probe.slo?.gapP99) checks.push(latency('gapP99', 0.99, probe.slo.gapP99, 'gap'));
  if (probe.slo?.timeToFirstEventP95) checks.push(latency('timeToFirstEventP95', 0.95, probe.slo.timeToFirstEventP95, 'ttfe'));
  return checks;
}
