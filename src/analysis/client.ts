/**
 * coldbench's own client as a party to every result: its event-loop delay per probe and
 * stage (stored under the `@coldbench` target), and the rule that a figure the client may
 * have caused is `invalid`, never blamed on the server.
 */
import { CLIENT_TARGET } from '../runner/records.js';
import type { Slo } from '../scenario/schema.js';
import { formatMs } from '../scenario/units.js';
import type { HistogramSet } from '../store/histograms.js';
import { distribution, round3 } from './stats.js';
import type { Summary } from './summary-schema.js';

/** A client delay p99 above this share of what a verdict compares may have caused the result. */
export const MAX_CLIENT_DELAY_SHARE = 0.1;

const LATENCY_LIMITS = ['p50', 'p75', 'p90', 'p95', 'p99', 'p999'] as const;

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

/** The tightest latency limit of an SLO, with its name, e.g. `{ metric: 'p95', limitMs: 500 }`. */
export function tightestLatencyLimit(slo: Slo | undefined): { metric: string; limitMs: number } | undefined {
  let tightest: { metric: string; limitMs: number } | undefined;
  for (const metric of LATENCY_LIMITS) {
    const limit = slo?.[metric];
    if (limit && (!tightest || limit.value < tightest.limitMs)) tightest = { metric, limitMs: limit.value };
  }
  return tightest;
}

/**
 * Why a result may be the client's doing, or null: when the client's delays (named; a p99
 * unless the name ends in its statistic) exceed MAX_CLIENT_DELAY_SHARE of `scaleMs`, what is compared.
 */
export function clientLagReason(delaysP99: Record<string, number | null | undefined>, scaleMs: number, scaleName: string, who: string): string | null {
  const named = Object.entries(delaysP99).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  if (named.length === 0 || !(scaleMs > 0)) return null;
  const worst = Math.max(...named.map(([, ms]) => ms));
  if (worst <= MAX_CLIENT_DELAY_SHARE * scaleMs) return null;
  const figures = named.map(([name, ms]) => `${/ (p\d+|mean)$/.test(name) ? name : `${name} p99`} ${formatMs(ms)}`).join(', ');
  return `${who} lagged (${figures}; over ${round3(MAX_CLIENT_DELAY_SHARE * 100)}% of ${scaleName} ${formatMs(scaleMs)}): the client, not the server, may have caused this`;
}
