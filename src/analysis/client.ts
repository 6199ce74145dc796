/**
 * coldbench's own client as a party to every result: its event-loop delay per probe and
 * stage (stored under the `@coldbench` target), and the rule that a figure the client may
 * have caused is `invalid`, never blamed on the server.
 */
import { CLIENT_TARGET, type SeriesRecord } from '../model/records.js';
import { formatMs } from '../model/units.js';
import type { HistogramSet } from '../store/histograms.js';
import { MAX_CLIENT_DELAY_SHARE } from '../model/slo-metrics.js';
import { distribution, round3 } from './stats.js';
import type { Summary } from '../model/summary.js';

export function eventLoopDelay(histograms: HistogramSet, probe: string, stage: string) {
  return distribution(histograms.get({ target: CLIENT_TARGET, probe, stage, metric: 'loop' })) ?? null;
}

/** Every probe's and stage's event-loop delay, for the summary. */
export function clientSummary(histograms: HistogramSet): Summary['client'] {
  const out: Summary['client'] = {};
  for (const { key, histogram } of histograms.byKey.values()) {
    if (key.target !== CLIENT_TARGET || key.metric !== 'loop') continue;
    (out[key.probe] ??= {})[key.stage] = distribution(histogram) ?? null;
  }
  return out;
}

/**
 * Why a result may be the client's doing, or null: when the client's delay (`delayName`,
 * e.g. "event-loop delay p99") exceeds MAX_CLIENT_DELAY_SHARE of `scaleMs`, what is compared.
 */
export function clientLagReason(delayName: string, delayMs: number | null | undefined, scaleMs: number, scaleName: string, who: string): string | null {
  if (typeof delayMs !== 'number' || !(scaleMs > 0) || delayMs <= MAX_CLIENT_DELAY_SHARE * scaleMs) return null;
  return `${who} lagged (${delayName} ${formatMs(delayMs)}; over ${round3(MAX_CLIENT_DELAY_SHARE * 100)}% of ${scaleName} ${formatMs(scaleMs)}): the client, not the server, may have caused this`;
}

/** Writes to the run directory may hold the loop this share of a stage before the stage is the writer's. */
const MAX_WRITE_STALL_SHARE = 0.01;

/**
 * `writer-backpressure` when writes to the run directory held the measuring loop over
 * MAX_WRITE_STALL_SHARE of a stage (the `writeStallMs` of its client ticks): every request
 * due meanwhile was sent late, whatever the server did.
 */
export function writerBackpressureReason(series: readonly SeriesRecord[], probe: string, stage: string, stageMs: number): string | null {
  let stalledMs = 0;
  for (const record of series) if (record.type === 'client' && record.probe === probe && record.stage === stage) stalledMs += record.writeStallMs ?? 0;
  if (stalledMs <= MAX_WRITE_STALL_SHARE * stageMs) return null;
  return `writer-backpressure: writes to the run directory held the load generator's loop ${formatMs(stalledMs)} of the stage's ${formatMs(stageMs)} (over ${round3(MAX_WRITE_STALL_SHARE * 100)}%): a disk too slow for the samples, not the server, may have caused this`;
}
