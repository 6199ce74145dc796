/**
 * A stored run read once, line by line, into streaming accumulators (one per probe kind):
 * counts, sets bounded by instances and streams, seeded reservoirs for the statistics that
 * need raw values, histogram totals and windows from the interval log. Memory depends on
 * targets, stages, seconds and streams, not on the number of requests. Probes, targets,
 * stages and SLOs come from the stored records, never from the scenario. What the files hold
 * and what a crash leaves of them is the store's reader (store/read-run.ts).
 */
import { newHistogram, usToMs, type Histogram, type HistogramKey } from '../model/histogram.js';
import type { ProbeKind } from '../model/probe-kinds.js';
import { RUN_FILES } from '../model/files.js';
import type { HttpProtocol, Sample } from '../model/records.js';
import { readRun } from '../store/read-run.js';
import { addFlowSample } from './flow.js';
import { addLoadSample } from './load.js';
import { LATENCY_SLO_METRICS, quantileOf } from '../model/slo-metrics.js';
import { SLO_WINDOW_MS } from './slo.js';
import { stageKey, windowKey, type StoredRun } from './stored-run.js';
import { addStreamCheckpoint, addStreamSample } from './stream.js';

/** A stage of a probe, across its targets, or one target's own (a capacity search step): where its start is found. */
const stageStartKey = (record: { probe: string; stage: string }, target?: string) => JSON.stringify([record.probe, record.stage, target ?? null]);

/** Where each probe kind's samples go in the stored run. */
const ACCUMULATORS: { [K in ProbeKind]: (run: StoredRun, sample: Extract<Sample, { kind: K }>) => void } = {
  coldstart: (run, sample) => run.coldstart.push(sample),
  capacity: (run, sample) => run.capacity.push(sample),
  load: addLoadSample,
  stream: addStreamSample,
  flow: addFlowSample,
  idleSweep: (run, sample) => run.idleSweep.push(sample),
};

export function loadRun(dir: string): StoredRun {
  let windows: ReturnType<typeof windowAccumulator> | undefined;
  const run = readRun(
    dir,
    (contents): StoredRun => ({
      ...contents,
      seconds: new Map(),
      windows: new Map(),
      coldstart: [],
      idleSweep: [],
      capacity: [],
      load: new Map(),
      streams: new Map(),
      flows: new Map(),
      protocols: new Map(),
    }),
    (run) => {
      const stageStarts = new Map<string, number>();
      for (const record of run.series) if (record.type === 'stage') stageStarts.set(stageStartKey(record, record.target), record.at);
      windows = windowAccumulator(run);
      return {
        interval(interval, histogram) {
          const { metric } = interval;
          const start = stageStarts.get(stageStartKey(interval, interval.target)) ?? stageStarts.get(stageStartKey(interval));
          if ((metric === 'latency' || metric === 'uncorrected') && start !== undefined) windows!.add({ ...interval, metric }, histogram, start);
        },
        sample(record) {
          if (record.type === 'checkpoint') return addStreamCheckpoint(run, record);
          (ACCUMULATORS[record.kind] as (run: StoredRun, sample: Sample) => void)(run, record);
          if ('httpProtocol' in record && record.httpProtocol) countProtocol(run, record.target, record.httpProtocol);
        },
      };
    },
  );
  windows!.close();
  if (run.histogramsFrom === 'intervals') run.incomplete.push(...intervalLogDisagreements(run));
  return run;
}

function countProtocol(run: StoredRun, target: string, protocol: HttpProtocol): void {
  const counts = run.protocols.get(target) ?? {};
  counts[protocol] = (counts[protocol] ?? 0) + 1;
  run.protocols.set(target, counts);
}

/**
 * The interval log against the samples: every successful load request's latency is in both.
 * A log that lost lines, or holds counts no request made, would judge the run on other data.
 */
function intervalLogDisagreements(run: StoredRun): string[] {
  return [...run.load.values()].flatMap(({ probe, target, stage, latency }) => {
    // latency.seen: the successful requests with a corrected latency (an import of k6 has none, and no such histogram).
    const logged = run.histograms.get({ target, probe, stage, metric: 'latency' })?.totalCount ?? 0;
    return logged === latency.seen
      ? []
      : [`${RUN_FILES.intervals} holds ${logged} latencies of ${target} ${probe}/${stage} where the samples hold ${latency.seen} successful requests`];
  });
}

/**
 * Adds a load stage's latency intervals (corrected, and from the send: an import judges its
 * SLOs on that) into 10-second windows from the stage start (by the interval's start), and
 * the corrected ones into per-second points; one live histogram per stage and metric, since
 * the log is in time order.
 */
function windowAccumulator(run: StoredRun) {
  const open = new Map<string, { index: number; histogram: Histogram }>();
  const finish = (key: string) => {
    const entry = open.get(key);
    if (!entry || entry.histogram.totalCount === 0) return;
    const percentiles: Record<string, number> = {};
    for (const metric of LATENCY_SLO_METRICS) percentiles[metric] = usToMs(entry.histogram.getValueAtPercentile(quantileOf(metric) * 100));
    const list = run.windows!.get(key) ?? [];
    list.push({ index: entry.index, count: entry.histogram.totalCount, percentiles });
    run.windows!.set(key, list);
    entry.histogram.reset();
  };
  return {
    add(interval: HistogramKey & { metric: 'latency' | 'uncorrected'; startedAt: number }, histogram: Histogram, start: number) {
      const key = windowKey(interval.probe, interval.target, interval.stage, interval.metric);
      const index = Math.max(0, Math.floor((interval.startedAt - start) / SLO_WINDOW_MS));
      let entry = open.get(key);
      if (entry && entry.index !== index) finish(key);
      if (!entry) open.set(key, (entry = { index, histogram: newHistogram() }));
      entry.index = index;
      entry.histogram.add(histogram);
      if (interval.metric !== 'latency') return;
      const stage = stageKey(interval.probe, interval.target, interval.stage);
      const seconds = run.seconds.get(stage) ?? [];
      seconds.push({
        at: interval.startedAt,
        count: histogram.totalCount,
        p50Ms: usToMs(histogram.getValueAtPercentile(50)),
        p95Ms: usToMs(histogram.getValueAtPercentile(95)),
      });
      run.seconds.set(stage, seconds);
    },
    close() {
      for (const key of open.keys()) finish(key);
    },
  };
}
