/**
 * The HTML report's charts as plain data, computed from a stored run: what the browser
 * draws is decided here, testably, and the page script stays generic.
 */
import type { StageStarted, Tick } from '../model/records.js';
import { coldstartSamples } from '../analysis/coldstart.js';
import { RESERVOIR_SIZE } from '../analysis/reservoir.js';
import { stageKey, type StoredRun } from '../analysis/stored-run.js';
import { usToMs } from '../model/histogram.js';
import type { Summary } from '../model/summary.js';

export interface Series {
  label: string;
  color: string;
  dash?: boolean;
  x: number[];
  y: number[];
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  kind: 'line' | 'step' | 'bars';
  /** Names of the x positions of a bar chart. */
  categories?: string[];
  /** x values of a percentile spectrum are −log10(1 − p); the page labels them as percentiles. */
  xPercentile?: boolean;
  series: Series[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
/** Distributions are drawn from at most this many points, whatever the sample count. */
const MAX_POINTS = 400;
const SPECTRUM_PERCENTILES = Array.from({ length: 26 }, (_, k) => 100 * (1 - 10 ** (-k / 5)));

export function chartSpecs(run: StoredRun, summary: Summary): ChartSpec[] {
  const targets = Object.keys(summary.targets);
  const color = (target: string) => PALETTE[targets.indexOf(target) % PALETTE.length]!;
  const charts: ChartSpec[] = [];
  const keep = (chart: ChartSpec) => {
    const series = chart.series.filter((s) => s.x.length > 0);
    if (series.length) charts.push({ ...chart, series });
  };

  // Cold start: distribution of first requests against warm follow-ups, and the phases.
  const coldstart = targets.flatMap((t) => coldstartSamples(run.coldstart, t)).filter((s) => s.ok);
  keep({
    id: 'coldstart-cdf',
    title: 'Cold start: first request after the trigger (solid) and warm follow-ups (dashed)',
    xLabel: 'latency (ms)',
    yLabel: 'share of requests',
    xLog: true,
    kind: 'step',
    series: targets.flatMap((t) => [
      cdf(
        `${t} first`,
        color(t),
        coldstart.filter((s) => s.target === t && s.request === 'first').map((s) => s.latencyMs),
      ),
      {
        ...cdf(
          `${t} warm`,
          color(t),
          coldstart.filter((s) => s.target === t && s.request === 'warm').map((s) => s.latencyMs),
        ),
        dash: true,
      },
    ]),
  });
  // Idle sweep: how often a request meets a cold start after each quiet time, with the 95% interval dashed.
  const sweeps = targets.flatMap((t) => {
    const gaps = summary.targets[t]!.idleSweep?.gaps.filter((g) => g.coldShare !== null) ?? [];
    const x = gaps.map((g) => g.gapMs / 1000);
    return [
      { label: `${t} cold share`, color: color(t), x, y: gaps.map((g) => g.coldShare!) },
      { label: `${t} 95% low`, color: color(t), dash: true, x, y: gaps.map((g) => g.coldShareLow!) },
      { label: `${t} 95% high`, color: color(t), dash: true, x, y: gaps.map((g) => g.coldShareHigh!) },
    ];
  });
  keep({
    id: 'idle-sweep',
    title: 'Cold-start probability after a quiet time (dashed: 95% Wilson interval)',
    xLabel: 'quiet time before the request (s)',
    yLabel: 'share of requests that met a cold start',
    kind: 'line',
    series: sweeps,
  });
  // Capacity search: p50 (dashed) and p99 against the rate asked, every step that measured a latency.
  const searches = targets.flatMap((t) => {
    const steps = (summary.targets[t]!.capacitySearch?.steps ?? []).filter((s) => s.p99Ms !== null).sort((a, b) => a.rate - b.rate);
    const x = steps.map((s) => s.rate);
    return [
      { label: `${t} p99`, color: color(t), x, y: steps.map((s) => s.p99Ms!) },
      { label: `${t} p50`, color: color(t), dash: true, x, y: steps.map((s) => s.p50Ms!) },
    ];
  });
  keep({
    id: 'capacity-search',
    title: 'Capacity search: latency against the arrival rate (p99 solid, p50 dashed)',
    xLabel: 'arrival rate (requests/s)',
    yLabel: 'latency from the intended send (ms)',
    yLog: true,
    kind: 'line',
    series: searches,
  });
  const phases = ['dns', 'connect', 'tls', 'ttfb'] as const;
  keep({
    id: 'coldstart-phases',
    title: 'Cold start phases of first requests (medians)',
    xLabel: 'phase',
    yLabel: 'ms',
    kind: 'bars',
    categories: [...phases],
    series: targets.flatMap((t, i) => {
      const p = summary.targets[t]!.coldStart?.phasesMs;
      if (!p || p.count === 0) return [];
      const points = phases.flatMap((phase, j) => (p[phase] === null ? [] : [[j + (i - (targets.length - 1) / 2) * 0.2, p[phase]!] as const]));
      return [{ label: t, color: color(t), x: points.map(([x]) => x), y: points.map(([, y]) => y) }];
    }),
  });

  // Load: percentile spectrum per stage (corrected solid, uncorrected dashed), then the timeline.
  for (const [stage] of Object.entries(Object.values(summary.targets).find((t) => t.load)?.load ?? {})) {
    keep({
      id: `load-spectrum-${stage}`,
      title: `Load stage ${stage}: latency by percentile, corrected (solid) and uncorrected (dashed)`,
      xLabel: 'percentile',
      yLabel: 'latency (ms)',
      yLog: true,
      xPercentile: true,
      kind: 'line',
      series: targets.flatMap((t) => {
        const probe = summary.targets[t]!.load?.[stage]?.probe;
        if (!probe) return [];
        return [
          spectrum(`${t} corrected`, color(t), run.histograms.get({ target: t, probe, stage, metric: 'latency' })),
          { ...spectrum(`${t} uncorrected`, color(t), run.histograms.get({ target: t, probe, stage, metric: 'uncorrected' })), dash: true },
        ];
      }),
    });
  }
  const ticks = run.series.filter((r): r is Tick => r.type === 'tick');
  const timeline = (id: string, title: string, yLabel: string, pick: (t: Tick) => number | null) =>
    keep({
      id,
      title,
      xLabel: 'seconds since the load probe started',
      yLabel,
      kind: 'line',
      series: targets.map((t) => {
        const mine = ticks.filter((tick) => tick.target === t && pick(tick) !== null);
        return { label: t, color: color(t), x: mine.map((tick) => tick.second), y: mine.map((tick) => pick(tick)!) };
      }),
    });
  timeline('load-rate', 'Load: requests sent per second', 'requests/s', (t) => t.sent);
  // Per-second percentiles come from each second's interval histogram, never from averages.
  keep({
    id: 'load-p95',
    title: 'Load: p95 latency per second (corrected)',
    xLabel: 'seconds since the load probe started',
    yLabel: 'ms',
    kind: 'line',
    series: targets.map((t) => {
      const points = [...run.load.values()]
        .filter((data) => data.target === t)
        .flatMap((data) => {
          const probeStart = run.series.find((r): r is StageStarted => r.type === 'stage' && r.probe === data.probe)?.at ?? 0;
          return (run.seconds.get(stageKey(data.probe, t, data.stage)) ?? []).map((second) => ({ x: (second.at - probeStart) / 1000, y: second.p95Ms }));
        })
        .sort((a, b) => a.x - b.x);
      return { label: t, color: color(t), x: points.map((p) => p.x), y: points.map((p) => p.y) };
    }),
  });
  timeline('load-errors', 'Load: errors and dropped requests per second', 'per second', (t) => t.errors + t.dropped);
  timeline('load-instances', 'Load: instances answering per second', 'instances', (t) => t.instances);

  // Streams: survival curves and the distribution of gaps between events.
  keep({
    id: 'stream-survival',
    title: 'Streams: share not yet dropped, by time since open',
    xLabel: 'seconds since open',
    yLabel: 'share alive',
    kind: 'step',
    series: targets.map((t) => {
      const curve = summary.targets[t]!.stream?.survivalCurve ?? [];
      return { label: t, color: color(t), x: curve.map((p) => p.atMs / 1000), y: curve.map((p) => p.alive) };
    }),
  });
  keep({
    id: 'stream-gaps',
    title: `Streams: gaps between events (a seeded sample of at most ${RESERVOIR_SIZE} per target)`,
    xLabel: 'gap (ms)',
    yLabel: 'share of gaps',
    xLog: true,
    kind: 'step',
    series: targets.map((t) =>
      cdf(
        t,
        color(t),
        [...run.streams.values()].filter((s) => s.target === t).flatMap((s) => s.gaps.values),
      ),
    ),
  });
  return charts;
}

/** Empirical CDF, thinned to MAX_POINTS quantiles. */
function cdf(label: string, color: string, values: readonly number[]): Series {
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(sorted.length / MAX_POINTS));
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < sorted.length; i += step) {
    x.push(sorted[i]!);
    y.push((i + 1) / sorted.length);
  }
  if (sorted.length && x.at(-1) !== sorted.at(-1)) {
    x.push(sorted.at(-1)!);
    y.push(1);
  }
  return { label, color, x, y };
}

function spectrum(label: string, color: string, histogram: ReturnType<StoredRun['histograms']['get']>): Series {
  if (!histogram || histogram.totalCount === 0) return { label, color, x: [], y: [] };
  // Percentiles beyond what the sample count can show are left out.
  const shown = SPECTRUM_PERCENTILES.filter((p) => 1 - p / 100 >= 1 / histogram.totalCount);
  return {
    label,
    color,
    x: shown.map((p) => -Math.log10(1 - p / 100)),
    y: shown.map((p) => Math.max(0.001, usToMs(histogram.getValueAtPercentile(p)))),
  };
}
