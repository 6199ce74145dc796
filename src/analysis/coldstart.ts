/** Cold-start figures per target, from stored samples and histograms. */
import type { ColdstartSample } from '../model/records.js';
import type { HistogramSet } from '../store/histograms.js';
import { countBy, distribution, round3, statistic } from './stats.js';
import type { ColdStartSummary } from '../model/summary.js';

/**
 * A target's samples that count: not the one that got its lane left out, nor the failures of
 * a lane that never answered (a bad copy of the service, not the service).
 */
export function coldstartSamples(samples: readonly ColdstartSample[], target: string): ColdstartSample[] {
  const mine = samples.filter((s) => s.target === target);
  const neverAnswered = new Set(mine.filter((s) => s.laneDropped && !mine.some((o) => o.lane === s.lane && o.ok)).map((s) => s.lane));
  return mine.filter((s) => !s.laneDropped && !neverAnswered.has(s.lane));
}

/** Per lane of a target that has lanes: the rounds it counted, and why it was left out. */
function laneSummary(samples: readonly ColdstartSample[], counted: readonly ColdstartSample[], target: string): ColdStartSummary['lanes'] {
  const firsts = samples.filter((s) => s.target === target && s.request === 'first' && s.lane !== undefined);
  const lanes = [...new Set(firsts.map((s) => s.lane!))].sort((a, b) => a - b);
  return lanes.map((lane) => ({
    lane,
    samples: counted.filter((s) => s.lane === lane && s.request === 'first').length,
    dropped: firsts.find((s) => s.lane === lane && s.laneDropped)?.laneDropped ?? null,
  }));
}

export function summarizeColdStart(
  probe: string,
  target: string,
  samples: readonly ColdstartSample[],
  histograms: HistogramSet,
  steps: readonly string[] | undefined,
): ColdStartSummary {
  const mine = coldstartSamples(samples, target);
  const firsts = mine.filter((s) => s.request === 'first');
  const okFirsts = firsts.filter((s) => s.ok);
  const failed = firsts.filter((s) => !s.ok);
  const errorsByCode = countBy(failed, (s) => s.error?.code ?? 'unknown');
  const hist = (stage: string, metric: string) => distribution(histograms.get({ target, probe, stage, metric })) ?? null;

  const coldTtfb = okFirsts.filter((s) => s.cold === true).flatMap((s) => (s.ttfbMs === undefined ? [] : [s.ttfbMs]));
  const warmTtfb = mine.filter((s) => s.request === 'warm' && s.ok).flatMap((s) => (s.ttfbMs === undefined ? [] : [s.ttfbMs]));
  const median = (values: number[]) => (values.length ? round3(statistic(values, 'p50')) : null);
  const phaseMedian = (pick: (s: ColdstartSample) => number | undefined) => median(okFirsts.flatMap((s) => pick(s) ?? []));

  return {
    probe,
    samples: firsts.length,
    cold: okFirsts.filter((s) => s.cold === true).length,
    warm: okFirsts.filter((s) => s.cold === false).length,
    unknown: okFirsts.filter((s) => s.cold === 'unknown').length,
    errors: failed.length,
    errorsByCode,
    latencyMs: hist('first', 'latency'),
    ttfbMs: hist('first', 'ttfb'),
    coldLatencyMs: hist('cold', 'latency'),
    warmLatencyMs: hist('warm', 'latency'),
    warmTtfbMs: hist('warm', 'ttfb'),
    coldOverheadMs:
      coldTtfb.length && warmTtfb.length
        ? { value: round3(median(coldTtfb)! - median(warmTtfb)!), coldSamples: coldTtfb.length, warmSamples: warmTtfb.length }
        : null,
    phasesMs: {
      count: okFirsts.length,
      dns: phaseMedian((s) => s.phases.dns),
      connect: phaseMedian((s) => s.phases.connect),
      tls: phaseMedian((s) => s.phases.tls),
      ttfb: phaseMedian((s) => s.ttfbMs),
    },
    ...(steps && { journey: journeySummary(steps, okFirsts, hist) }),
    ...(samples.some((s) => s.target === target && s.lane !== undefined) && { lanes: laneSummary(samples, mine, target) }),
  };
}

function journeySummary(
  steps: readonly string[],
  answered: readonly ColdstartSample[],
  hist: (stage: string, metric: string) => NonNullable<ReturnType<typeof distribution>> | null,
): NonNullable<ColdStartSummary['journey']> {
  const failed = answered.filter((s) => s.journeyError);
  // A step's error message starts with "step NAME:" (flow-run.ts).
  const errorsByStep = countBy(failed, (s) => /^step ([^:]+):/.exec(s.journeyError!.message)?.[1] ?? 'unknown');
  return {
    steps: [...steps],
    journeys: answered.length,
    errors: failed.length,
    errorsByStep,
    firstMs: hist('first', 'journey'),
    coldMs: hist('cold', 'journey'),
    warmMs: hist('warm', 'journey'),
  };
}
