/**
 * coldbench's own client as a party to every result: its event-loop delay per probe and
 * stage (stored under the `@coldbench` target), and the rule that a figure the client may
 * have caused is `invalid`, never blamed on the server.
 */
import { CLIENT_TARGET } from '../model/records.js';
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
