/** Plain-text renderings shared by the terminal and report.md. */
import type { ComparisonRow } from '../analysis/compare.js';
import type { ColdStartSummary, Summary, VerdictResult } from '../model/summary.js';
import { formatMs, formatRate } from '../model/units.js';

/** benchstat/criterion style: `cold start p50  k8s 41ms  cloudrun 812ms  ratio 0.05 [0.04–0.06] (n=30+30)  PASS: ≥50% lower` */
export function verdictLine(verdict: VerdictResult): string {
  const format = (value: number) => (verdict.unit === 'share' ? `${round(value * 100)}%` : verdict.unit === 'per-second' ? formatRate(value) : formatMs(value));
  const sides = Object.entries(verdict.values).map(([target, value]) => `${target} ${value === null ? 'no data' : format(value)}`);
  const n = `(n=${Object.values(verdict.samples).join('+')})`;
  return `${verdict.metric}  ${sides.join('  ')}  ${OBSERVED[verdict.observedUnit](verdict)} ${n}  ${verdict.status.toUpperCase()}: ${verdict.claim}`;
}

/** How a verdict's observed figure reads, by its unit: a unit added to the summary and missed here fails the build. */
const OBSERVED: { [U in VerdictResult['observedUnit']]: (verdict: VerdictResult) => string } = {
  ratio: ({ observed, ci }) => (observed === null ? 'ratio n/a' : `ratio ${observed.toFixed(2)}`) + (ci ? ` [${ci.low.toFixed(2)}–${ci.high.toFixed(2)}]` : ''),
  share: ({ ci }) => (ci ? `lower bound ${round(ci.low * 100)}%` : 'no bound'),
  'cold-share': ({ observed, ci }) =>
    (observed === null ? 'cold share n/a' : `cold ${round(observed * 100)}%`) + (ci ? ` [${round(ci.low * 100)}–${round(ci.high * 100)}%]` : ''),
  'per-second': ({ observed }) => (observed === null ? 'rate n/a' : `at ${formatRate(observed)}`),
  multiplier: ({ observed }) => (observed === null ? 'rate n/a' : `x${observed}`),
};

const round = (value: number) => Math.round(value * 10) / 10;

export function unjudgedLine(summary: Summary): string {
  return `declared but not judged (no verdict covers these SLOs): ${summary.unjudgedSlos.join(', ')}`;
}

export interface Table {
  header: string[];
  rows: string[][];
}

const dist = (d: { p50: number; p95: number; count: number } | null) => (d ? `${formatMs(d.p50)} / ${formatMs(d.p95)} (n=${d.count})` : 'no data');
const maybeMs = (value: number | null | undefined) => (value === null || value === undefined ? '–' : formatMs(value));

export function coldStartTable(summary: Summary): Table {
  const entries = Object.entries(summary.targets).filter((e): e is [string, { coldStart: ColdStartSummary }] => !!e[1].coldStart);
  return {
    header: [
      'target',
      'rounds',
      'cold',
      'warm hit',
      'errors',
      'first latency p50/p95',
      'first ttfb p50/p95',
      'warm ttfb p50/p95',
      'cold overhead',
      'dns / connect / tls',
    ],
    rows: entries.map(([name, { coldStart: c }]) => [
      name,
      String(c.samples),
      String(c.cold),
      String(c.warm),
      c.errors
        ? `${c.errors} (${Object.entries(c.errorsByCode)
            .map(([code, n]) => `${code}×${n}`)
            .join(', ')})`
        : '0',
      dist(c.latencyMs),
      dist(c.ttfbMs),
      dist(c.warmTtfbMs),
      c.coldOverheadMs ? `${formatMs(c.coldOverheadMs.value)} (n=${c.coldOverheadMs.coldSamples})` : '–',
      [c.phasesMs.dns, c.phasesMs.connect, c.phasesMs.tls].map(maybeMs).join(' / '),
    ]),
  };
}

/** Instance time per load stage, from instance identities: what request- and instance-based billing would charge. */
export function billableTable(summary: Summary): Table {
  const seconds = (value: number) => `${value}s`;
  const rows = Object.entries(summary.targets).flatMap(([name, { load }]) =>
    Object.entries(load ?? {}).flatMap(([stage, l]) => {
      const b = l.billable;
      if (!b) return [];
      return [
        [
          name,
          stage,
          String(b.instances),
          String(b.requests),
          seconds(b.busySeconds),
          seconds(b.requestBilledSeconds),
          seconds(b.lifetimeSeconds),
          seconds(b.idleSeconds),
          `${seconds(b.perThousandRequests.requestBilledSeconds)} / ${seconds(b.perThousandRequests.lifetimeSeconds)}`,
        ],
      ];
    }),
  );
  return {
    header: [
      'target',
      'stage',
      'instances',
      'requests',
      'busy',
      'request-billed (100 ms up)',
      'lifetime',
      'idle',
      'per 1k requests: request-billed / lifetime',
    ],
    rows,
  };
}

/** A capacity search per target: the highest rate the SLO held at, per instance, and the steps that found it. */
export function capacitySearchTable(summary: Summary): Table {
  const ENDED_BY = {
    slo: 'the SLO broke above it',
    client: 'the client lagged above it (a lower bound)',
    maxRate: 'maxRate held',
    budget: 'the time budget',
    'none-held': 'no step held',
  };
  const rows = Object.entries(summary.targets).flatMap(([name, { capacitySearch: c }]) =>
    c
      ? [
          [
            name,
            c.heldRate === null ? '–' : formatRate(c.heldRate),
            c.heldRate === null ? '–' : `${maybeMs(c.p50Ms)} / ${maybeMs(c.p99Ms)}`,
            c.instances === null ? '–' : String(c.instances),
            c.rpsPerInstance === null ? '–' : formatRate(c.rpsPerInstance),
            c.kneeRate === null ? '–' : formatRate(c.kneeRate),
            ENDED_BY[c.limit],
            c.steps.map((s) => `${formatRate(s.rate)} ${s.outcome}${s.backlog && s.outcome === 'broke' ? ' (queue grew)' : ''}`).join(', '),
          ],
        ]
      : [],
  );
  return { header: ['target', 'held rate', 'p50/p99 there', 'instances', 'per instance', 'knee', 'ended by', 'steps'], rows };
}

/** The idle sweep: per target and gap, the cold share with its 95% Wilson interval, and cold and warm latency. */
export function idleSweepTable(summary: Summary): Table {
  const percent = (share: number | null) => (share === null ? '–' : `${round(share * 100)}%`);
  const rows = Object.entries(summary.targets).flatMap(([name, { idleSweep }]) =>
    (idleSweep?.gaps ?? []).map((g) => [
      name,
      formatMs(g.gapMs),
      String(g.requests),
      `${percent(g.coldShare)} [${percent(g.coldShareLow)}–${percent(g.coldShareHigh)}] (${g.cold}/${g.cold + g.warm})`,
      g.unknown || g.errors ? `${g.unknown} / ${g.errors}` : '0 / 0',
      dist(g.coldLatencyMs),
      dist(g.warmLatencyMs),
      maybeMs(g.quietMsP50),
    ]),
  );
  return {
    header: ['target', 'quiet gap', 'requests', 'cold share [95%] (cold/classified)', 'unknown / errors', 'cold p50/p95', 'warm p50/p95', 'quiet got p50'],
    rows,
  };
}

/** Targets with lanes: each copy of the service, its counted rounds, and why one was left out. */
export function laneTable(summary: Summary): Table {
  const rows = Object.entries(summary.targets).flatMap(([name, { coldStart }]) =>
    (coldStart?.lanes ?? []).map((lane) => [name, String(lane.lane), String(lane.samples), lane.dropped ? `LEFT OUT: ${lane.dropped}` : 'counted']),
  );
  return { header: ['target', 'lane', 'rounds counted', 'status'], rows };
}

/** A cold-start probe with steps: the whole journey whose first step was the cold request. */
export function journeyTable(summary: Summary): Table {
  const rows = Object.entries(summary.targets).flatMap(([name, { coldStart }]) => {
    const j = coldStart?.journey;
    if (!j) return [];
    const errors = j.errors
      ? `${j.errors} (${Object.entries(j.errorsByStep)
          .map(([step, n]) => `${step}×${n}`)
          .join(', ')})`
      : '0';
    return [[name, j.steps.join(' → '), String(j.journeys), errors, dist(j.firstMs), dist(j.coldMs), dist(j.warmMs)]];
  });
  return { header: ['target', 'steps', 'journeys', 'errors', 'after trigger p50/p95', 'cold p50/p95', 'warm p50/p95'], rows };
}

export function loadTable(summary: Summary): Table {
  const rows: string[][] = [];
  for (const [target, { load }] of Object.entries(summary.targets)) {
    for (const [stage, l] of Object.entries(load ?? {})) {
      const errors = l.errors
        ? `${l.errors} (${Object.entries(l.errorsByClass)
            .map(([c, n]) => `${c}×${n}`)
            .join(', ')})`
        : '0';
      const latency = l.latencyMs
        ? `${formatMs(l.latencyMs.p50)} / ${formatMs(l.latencyMs.p95)} / ${formatMs(l.latencyMs.p99)} (n=${l.latencyMs.count})`
        : 'no data';
      const instances =
        l.peakInstances === null ? '–' : `${l.peakInstances}${l.firstNewInstanceAfterMs === null ? '' : ` (new after ${formatMs(l.firstNewInstanceAfterMs)})`}`;
      const slo = l.slo.map((c) => `${c.metric} ${c.status}`).join(', ') || '–';
      rows.push([
        target,
        stage,
        `${formatRate(l.targetRate)} → ${formatRate(l.achievedRate)}`,
        String(l.requests),
        errors,
        String(l.dropped),
        latency,
        maybeMs(l.uncorrectedLatencyMs?.p99),
        maybeMs(l.scheduleLagMs?.p99),
        maybeMs(l.eventLoopDelayMs?.p99),
        instances,
        l.aborted ? 'aborted' : l.valid ? 'yes' : `NO: ${l.invalidReason}`,
        slo,
      ]);
    }
  }
  return {
    header: [
      'target',
      'stage',
      'rate (target → achieved)',
      'requests',
      'errors',
      'dropped',
      'latency p50/p95/p99',
      'uncorrected p99',
      'lag p99',
      'loop p99',
      'instances',
      'valid',
      'slo',
    ],
    rows,
  };
}

export function streamTable(summary: Summary): Table {
  const pct = (x: number | null) => (x === null ? '–' : `${round(x * 100)}%`);
  const p = (d: { p50: number; p99: number; count: number } | null) => (d ? `${formatMs(d.p50)} / ${formatMs(d.p99)} (n=${d.count})` : 'no data');
  const rows = Object.entries(summary.targets).flatMap(([target, { stream: s }]) =>
    s
      ? [
          [
            target,
            `${s.survived}/${s.connections} (${pct(s.survival)})`,
            Object.entries(s.droppedByCause)
              .map(([cause, n]) => `${cause}×${n}`)
              .join(', ') || '0',
            String(s.lostMessages),
            String(s.malformed),
            String(s.reconnects),
            p(s.timeToFirstEventMs),
            p(s.gapMs),
            s.peakConcurrent === null ? '–' : String(s.peakConcurrent),
            String(s.instances),
            s.slo.map((c) => `${c.metric} ${c.status}`).join(', ') || '–',
          ],
        ]
      : [],
  );
  return {
    header: [
      'target',
      'kept for the hold',
      'drops',
      'lost msgs',
      'malformed',
      'reconnects',
      'first event p50/p99',
      'gap p50/p99',
      'peak open',
      'instances',
      'slo',
    ],
    rows,
  };
}

/** Each flow and each of its steps per target: counts, errors by class, corrected latency (from the flow's intended start), the step's own time. */
export function flowTable(summary: Summary): Table {
  const rows: string[][] = [];
  const errors = (n: number, byClass: Record<string, number>) =>
    n
      ? `${n} (${Object.entries(byClass)
          .map(([c, count]) => `${c}×${count}`)
          .join(', ')})`
      : '0';
  const p = (d: { p50: number; p95: number; p99: number; count: number } | null) =>
    d ? `${formatMs(d.p50)} / ${formatMs(d.p95)} / ${formatMs(d.p99)} (n=${d.count})` : 'no data';
  for (const [target, { flow }] of Object.entries(summary.targets)) {
    for (const [name, f] of Object.entries(flow ?? {})) {
      const stepErrors: Record<string, number> = {};
      for (const step of f.steps) if (step.errors) stepErrors[step.name] = step.errors;
      rows.push([
        target,
        name,
        'whole flow',
        `${f.flows}${f.dropped ? ` (+${f.dropped} dropped)` : ''}`,
        errors(f.errors, stepErrors),
        p(f.latencyMs),
        f.meanThinkMs === null ? '–' : `think ${formatMs(f.meanThinkMs)}`,
        f.valid ? 'yes' : `NO: ${f.invalidReason}`,
        f.slo.map((c) => `${c.metric} ${c.status}`).join(', ') || '–',
      ]);
      for (const step of f.steps) {
        rows.push([
          '',
          '',
          step.name,
          String(step.requests),
          errors(step.errors, step.errorsByClass),
          p(step.latencyMs),
          maybeMs(step.uncorrectedLatencyMs?.p50),
          '',
          step.slo.map((c) => `${c.metric} ${c.status}`).join(', ') || '–',
        ]);
      }
    }
  }
  return { header: ['target', 'flow', 'step', 'runs', 'errors', 'latency p50/p95/p99', 'own p50', 'valid', 'slo'], rows };
}

const WATERFALL_WIDTH = 40;

/** The median flow per target as a text waterfall: each step from its median start to start + its own median time. */
export function flowWaterfall(summary: Summary): string[] {
  return Object.entries(summary.targets).flatMap(([target, { flow }]) =>
    Object.entries(flow ?? {}).flatMap(([name, f]) => {
      const bars = f.steps.flatMap((step) =>
        step.startsAfterMs === null || !step.uncorrectedLatencyMs ? [] : [{ name: step.name, start: step.startsAfterMs, own: step.uncorrectedLatencyMs.p50 }],
      );
      const end = Math.max(...bars.map((b) => b.start + b.own));
      if (bars.length === 0 || !(end > 0)) return [];
      const width = Math.max(...bars.map((b) => b.name.length));
      return [
        `${target} ${name}: median step starts and own times (0 to ${formatMs(end)}, think time included)`,
        ...bars.map((b) => {
          const from = Math.round((b.start / end) * WATERFALL_WIDTH);
          const length = Math.max(1, Math.round((b.own / end) * WATERFALL_WIDTH));
          const bar = `${' '.repeat(from)}${'█'.repeat(length)}`.slice(0, WATERFALL_WIDTH).padEnd(WATERFALL_WIDTH);
          return `  ${b.name.padEnd(width)} |${bar}| ${formatMs(b.start)} +${formatMs(b.own)}`;
        }),
      ];
    }),
  );
}

/** What each target that asked for HTTP/2 spoke, from its connections: h2, or a fallback to HTTP/1.1. */
export function http2Lines(summary: Summary): string[] {
  return Object.entries(summary.targets).flatMap(([target, { http2 }]) => {
    if (!http2) return [];
    const spoke =
      http2.http1 === 0
        ? `spoke h2 on all ${http2.connections} connections`
        : http2.h2 === 0
          ? `FELL BACK to HTTP/1.1 on all ${http2.connections} connections (the server offered no h2)`
          : `spoke h2 on ${http2.h2} and fell back to HTTP/1.1 on ${http2.http1} of ${http2.connections} connections`;
    return [`${target} asked for HTTP/2: ${spoke}`];
  });
}

/** The survival curve as a line of text: share alive at tenths of the hold. */
export function survivalSketch(summary: Summary): string[] {
  return Object.entries(summary.targets).flatMap(([target, { stream: s }]) => {
    if (!s || s.survivalCurve.length === 0) return [];
    const at = (ms: number) => [...s.survivalCurve].reverse().find((point) => point.atMs <= ms)?.alive ?? 1;
    const points = Array.from({ length: 11 }, (_, i) => `${Math.round(at((s.holdMs * i) / 10) * 100)}%`);
    return [`${target.padEnd(10)} alive at 0..100% of ${formatMs(s.holdMs)}: ${points.join(' ')}`];
  });
}

/** coldbench's own event-loop delay per probe and stage: how much of every figure may be the client's. */
export function clientTable(summary: Summary): Table {
  const rows = Object.entries(summary.client).flatMap(([probe, stages]) =>
    Object.entries(stages).map(([stage, d]) => [probe, stage, d ? `${formatMs(d.p50)} / ${formatMs(d.p99)} / ${formatMs(d.max)} (n=${d.count})` : 'no data']),
  );
  return { header: ['probe', 'stage', 'event-loop delay p50/p99/max'], rows };
}

export function capacityTable(summary: Summary): Table {
  const rows = Object.entries(summary.targets).flatMap(([target, { capacity: c }]) =>
    c
      ? [
          [
            target,
            `${Math.round(c.requestsPerSecond)}/s`,
            String(c.connections),
            String(c.requests),
            String(c.errors + c.non2xx),
            c.latencyMs
              ? `${formatMs(c.latencyMs.p50)} / ${formatMs(c.latencyMs.p99)} (n=${c.latencyMs.count})`
              : c.reportedLatencyMs
                ? `${formatMs(c.reportedLatencyMs.p50)} / ${formatMs(c.reportedLatencyMs.p99)} (n=${c.reportedLatencyMs.count}, as autocannon reported them: no samples)`
                : 'no data',
          ],
        ]
      : [],
  );
  return { header: ['target', 'max throughput', 'connections', 'requests', 'errors', 'latency p50/p99 (closed model)'], rows };
}

export function renderAligned(table: Table): string {
  const widths = table.header.map((h, i) => Math.max(h.length, ...table.rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(table.header), ...table.rows.map(line)].join('\n');
}

export function renderMarkdownTable(table: Table): string {
  // Pipes would split a cell; angle brackets would be read as HTML by GitHub and GitLab.
  const escape = (cell: string) =>
    cell
      .replace(/\|/g, '\\|')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/[\r\n]+/g, ' ');
  return [
    `| ${table.header.map(escape).join(' | ')} |`,
    `| ${table.header.map(() => '---').join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

export function comparisonTable(rows: readonly ComparisonRow[], labels: { a: string; b: string }): Table {
  return {
    header: ['metric', labels.a, labels.b, 'change', 'ratio interval', 'p', ''],
    rows: rows.map((r) => [
      r.metric,
      `${formatMs(r.a.value)} (n=${r.a.n})`,
      `${formatMs(r.b.value)} (n=${r.b.n})`,
      r.delta === '~' ? '~' : `${r.change >= 0 ? '+' : ''}${round(r.change * 100)}%`,
      r.ci ? `[${r.ci.low.toFixed(2)}–${r.ci.high.toFixed(2)}]` : 'too few samples',
      r.p === null ? '–' : r.p < 0.001 ? 'p<0.001' : `p=${r.p}`,
      r.delta === '~' ? 'within noise' : r.delta,
    ]),
  };
}
