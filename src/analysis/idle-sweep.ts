/** Idle-sweep figures per target: the cold share after each quiet time, with its Wilson interval. */
import type { IdleSweepSample } from '../model/records.js';
import type { IdleSweepSummary } from '../model/summary.js';
import type { HistogramSet } from '../store/histograms.js';
import { idleGapStage } from '../store/sample-metrics.js';
import { wilsonInterval } from './binomial.js';
import { distribution, quantile, round3 } from './stats.js';

export function summarizeIdleSweep(
  probe: string,
  gapsMs: readonly number[],
  target: string,
  samples: readonly IdleSweepSample[],
  histograms: HistogramSet,
): IdleSweepSummary {
  const mine = samples.filter((s) => s.target === target && s.probe === probe);
  const hist = (gapMs: number, metric: 'cold' | 'warm') => distribution(histograms.get({ target, probe, stage: idleGapStage(gapMs), metric })) ?? null;
  return {
    probe,
    gaps: [...new Set(gapsMs)]
      .sort((a, b) => a - b)
      .map((gapMs) => {
        const atGap = mine.filter((s) => s.gapMs === gapMs);
        const answered = atGap.filter((s) => s.ok);
        const cold = answered.filter((s) => s.cold === true).length;
        const warm = answered.filter((s) => s.cold === false).length;
        const interval = wilsonInterval(cold, cold + warm);
        const quiet = atGap.map((s) => s.quietMs).sort((a, b) => a - b);
        return {
          gapMs,
          requests: atGap.length,
          cold,
          warm,
          unknown: answered.length - cold - warm,
          errors: atGap.length - answered.length,
          coldShare: cold + warm > 0 ? round3(cold / (cold + warm)) : null,
          coldShareLow: interval && round3(interval.low),
          coldShareHigh: interval && round3(interval.high),
          quietMsP50: quiet.length ? round3(quantile(quiet, 0.5)) : null,
          coldLatencyMs: hist(gapMs, 'cold'),
          warmLatencyMs: hist(gapMs, 'warm'),
        };
      }),
  };
}
