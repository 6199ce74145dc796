import type { Comparison } from './records.js';

const DURATION_UNITS_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/g;
const DURATION_WHOLE = /^(?:\d+(?:\.\d+)?(?:us|ms|s|m|h))+$/;

/** Parses Go/k6-style durations: `500ms`, `2s`, `15m`, `1h30m`. Returns undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) {
    total += Number(amount) * DURATION_UNITS_MS[unit!]!;
  }
  return total;
}

/** `50%` → 0.5. Returns undefined when malformed or outside 0–100%. */
export function parsePercent(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number((Number(match[1]) / 100).toPrecision(12));
  return value <= 1 ? value : undefined;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 3_600_000) {
    const hours = Math.floor(ms / 3_600_000);
    const minutes = Math.floor((ms % 3_600_000) / 60_000);
    return minutes ? `${hours}h${minutes}m` : `${hours}h`;
  }
  if (ms >= 60_000) {
    const minutes = Math.floor(ms / 60_000);
    const seconds = Math.floor((ms % 60_000) / 1000);
    return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
  }
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 100) return `${Math.round(ms)}ms`;
  if (ms >= 10) return `${ms.toFixed(1)}ms`;
  return `${ms.toFixed(2)}ms`;
}

const RATE_UNITS_PER_SECOND: Record<string, number> = { s: 1, m: 1 / 60, h: 1 / 3600 };

/** `20/s`, `1200/m`, `50/h` → requests per second. Returns undefined when malformed. */
export function parseRate(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * RATE_UNITS_PER_SECOND[match[2]!]!;
}

/** 0.05 → `5%`, 0.2783 → `27.8%`: a share, to a tenth of a percent. */
export function formatPercent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

export function formatRate(perSecond: number): string {
  return `${perSecond >= 100 ? Math.round(perSecond) : Number(perSecond.toPrecision(3))}/s`;
}

const COUNT_SUFFIXES: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, b: 1e9, B: 1e9 };

/** `10k,50k,500k,2M/month` → requests a month; undefined when any level is malformed. */
export function parseTrafficLevels(text: string): number[] | undefined {
  const levels = text
    .replace(/\/\s*month\s*$/, '')
    .split(',')
    .map((level) => /^\s*(\d+(?:\.\d+)?)\s*([kKmMbB]?)\s*(?:\/\s*month)?\s*$/.exec(level));
  if (levels.some((match) => !match)) return undefined;
  const values = levels.map((match) => Number(match![1]) * COUNT_SUFFIXES[match![2]!]!);
  return values.every((value) => value > 0) ? values : undefined;
}

/** 2000000 → `2M`, 50000 → `50k`: a traffic level as people write it. */
export function formatCount(value: number): string {
  for (const [suffix, scale] of [
    ['B', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (value >= scale) return `${Number((value / scale).toPrecision(3))}${suffix}`;
  }
  return String(value);
}

/** `>= 99.9%`, `< 800ms`: a comparison with a value parsed by `parseValue`. */
export function parseComparison(text: string, parseValue: (text: string) => number | undefined): { op: Comparison; value: number } | undefined {
  const match = /^\s*(<=|>=|<|>)\s*(.+?)\s*$/.exec(text);
  if (!match) return undefined;
  const value = parseValue(match[2]!);
  return value === undefined ? undefined : { op: match[1] as Comparison, value };
}

export function compare(observed: number, op: Comparison, limit: number): boolean {
  switch (op) {
    case '<':
      return observed < limit;
    case '<=':
      return observed <= limit;
    case '>':
      return observed > limit;
    case '>=':
      return observed >= limit;
  }
}
