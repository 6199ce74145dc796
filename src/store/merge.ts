/**
 * `coldbench merge`: the run directories of runners that each sent one segment of a schedule,
 * as one run directory, exactly: interval histograms added second by second (a merged
 * percentile is the percentile of all the requests, never an average), counts summed, ticks
 * aligned by their second, samples concatenated, every runner in the provenance. Refuses
 * runs of different scenarios, overlapping or missing segments, and other formats.
 */
import { join } from 'node:path';
import { CbError } from '../model/errors.js';
import { RUN_FILES } from '../model/files.js';
import { decodeHistogram, newHistogram, type Histogram } from '../model/histogram.js';
import type { IntervalRecord, ProbeDeclared, SeriesRecord, StageStarted, StreamTick, Tick } from '../model/records.js';
import type { RunStatus } from '../model/manifest.js';
import { parseSegment, segmentText, WHOLE } from '../model/segment.js';
import { encodeIntervals, tagOf, type IntervalSpan } from './interval-log.js';
import { openRunDirectory, readBinarySamples, readIntervals, readSeries, type RunDirectory } from './run-dir.js';
import { createRunWriter, newRunId } from './run-writer.js';

export function mergeRuns(dirs: readonly string[], outDir: string): { runId: string; dir: string } {
  if (dirs.length < 2) throw new CbError('CB_USAGE', 'merge needs the run directories of at least two runners');
  const runs = dirs.map(openRunDirectory);
  checkMergeable(runs);

  const first = runs[0]!.manifest;
  const writer = createRunWriter(
    { scenarioName: first.scenarioName, scenarioFile: first.scenarioFile, targets: first.targets, verdicts: first.verdicts, scenario: first.scenario },
    {
      outDir,
      runId: newRunId(`${first.scenarioName}-merged`),
      runner: '',
      segment: WHOLE,
      manifestOptions: first.options,
      startedAt: Math.min(...runs.map((r) => Date.parse(r.manifest.startedAt))),
      provenance: { producer: 'merge', runners: runs.flatMap((r) => r.manifest.provenance.runners) },
    },
  );
  for (const record of mergeSeries(runs)) writer.record(record);
  const { records, totals } = encodeIntervals(mergeIntervals(runs));
  for (const interval of records) writer.record(interval);
  writer.writeTotals(totals);
  const incomplete = runs.flatMap((run) => {
    const torn = writer.appendSamplesFrom(join(run.dir, RUN_FILES.samples));
    // Binary records name their strings by this runner's dictionary: they are written again under the merged one.
    const damaged = readBinarySamples(run, (sample) => writer.record(sample));
    return [...(torn ? [`${run.dir}/${RUN_FILES.samples} ends in a torn line (${torn} bytes left out)`] : []), ...(damaged ? [`${run.dir}: ${damaged}`] : [])];
  });
  writer.close({
    deadline: Date.now(),
    status: worstStatus(runs.map((r) => r.manifest.status)),
    interrupted: runs.some((r) => r.manifest.interrupted),
    endedAt: Math.max(...runs.map((r) => Date.parse(r.manifest.endedAt ?? r.manifest.startedAt))),
    incomplete,
  });
  return { runId: writer.runId, dir: writer.dir };
}

function checkMergeable(runs: RunDirectory[]): void {
  const describe = (run: RunDirectory) => `${run.manifest.scenarioName} (${run.dir})`;
  const [first, ...rest] = runs;
  for (const run of rest) {
    if (run.manifest.scenarioName !== first!.manifest.scenarioName) {
      throw new CbError('CB_MERGE_MISMATCH', `runs of different scenarios: ${describe(first!)} and ${describe(run)}; merge the runners of one run`);
    }
  }
  const declared = runs.map((run) => {
    const probes: ProbeDeclared[] = [];
    readSeries(run, (record) => record.type === 'probe' && probes.push(record));
    return JSON.stringify(probes);
  });
  const differs = declared.findIndex((probes) => probes !== declared[0]);
  if (differs > 0)
    throw new CbError('CB_MERGE_MISMATCH', `${runs[differs]!.dir} ran other probes, stages or targets than ${runs[0]!.dir}: runs of different scenarios`);

  const segments = runs.flatMap((run) =>
    run.manifest.provenance.runners.map((runner) => ({ dir: run.dir, text: runner.segment, segment: parseSegment(runner.segment) })),
  );
  const unreadable = segments.find((s) => !s.segment);
  if (unreadable) throw new CbError('CB_MERGE_MISMATCH', `${unreadable.dir} has segment "${unreadable.text}", which is not one part of an equal split`);
  const count = segments[0]!.segment!.count;
  const otherSplit = segments.find((s) => s.segment!.count !== count);
  if (otherSplit)
    throw new CbError('CB_MERGE_MISMATCH', `${otherSplit.dir} ran segment ${otherSplit.text} of another split than ${segments[0]!.dir} (${segments[0]!.text})`);
  const seen = new Map<number, string>();
  for (const { dir, segment } of segments) {
    const earlier = seen.get(segment!.index);
    if (earlier) throw new CbError('CB_MERGE_MISMATCH', `segment ${segmentText(segment!)} overlaps: both ${earlier} and ${dir} ran it`);
    seen.set(segment!.index, dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !seen.has(index));
  if (missing.length)
    throw new CbError(
      'CB_MERGE_MISMATCH',
      `segment ${missing.map((index) => segmentText({ index, count })).join(', ')} missing: the merge would not be the whole schedule`,
    );
  // Every runner's run has an id of its own: the same id twice is one runner's directory given (or copied) twice.
  const seenIds = new Map<string, string>();
  for (const run of runs) {
    const earlier = seenIds.get(run.manifest.runId);
    if (earlier) throw new CbError('CB_MERGE_MISMATCH', `${earlier} and ${run.dir} are the same run (${run.manifest.runId}): its samples would count twice`);
    seenIds.set(run.manifest.runId, run.dir);
  }
}

/** Probe records once, each stage's earliest start, ticks summed per second of the schedule, client ticks and aborts as they were. */
function mergeSeries(runs: RunDirectory[]): SeriesRecord[] {
  const probes: ProbeDeclared[] = [];
  const stages = new Map<string, StageStarted>();
  const ticks = new Map<string, Tick>();
  const streamTicks = new Map<string, StreamTick>();
  const rest: SeriesRecord[] = [];
  runs.forEach((run, index) =>
    readSeries(run, (record) => {
      if (record.type === 'probe') {
        if (index === 0) probes.push(record);
      } else if (record.type === 'stage') {
        const key = JSON.stringify([record.probe, record.stage]);
        const earlier = stages.get(key);
        if (!earlier || record.at < earlier.at) stages.set(key, record);
      } else if (record.type === 'tick') {
        const key = JSON.stringify([record.probe, record.target, record.stage, record.second]);
        const sum = ticks.get(key);
        if (!sum) ticks.set(key, { ...record });
        else {
          for (const field of ['sent', 'completed', 'errors', 'dropped', 'inFlight'] as const) sum[field] += record[field];
          // The same instances answer every runner: the most any runner saw, not a sum.
          sum.instances = Math.max(sum.instances, record.instances);
          sum.at = Math.min(sum.at, record.at);
        }
      } else if (record.type === 'stream-tick') {
        const key = JSON.stringify([record.probe, record.target, record.second]);
        const sum = streamTicks.get(key);
        if (!sum) streamTicks.set(key, { ...record });
        else {
          for (const field of ['open', 'opened', 'events', 'drops'] as const) sum[field] += record[field];
          sum.at = Math.min(sum.at, record.at);
        }
      } else rest.push(record);
    }),
  );
  const timeOf = (r: SeriesRecord) => ('at' in r ? r.at : 'startedAt' in r ? r.startedAt : 0);
  return [...probes, ...[...stages.values(), ...ticks.values(), ...streamTicks.values(), ...rest].sort((a, b) => timeOf(a) - timeOf(b))];
}

/** Intervals of the same histogram and epoch second added. */
function mergeIntervals(runs: RunDirectory[]): Array<{ span: IntervalSpan; histogram: Histogram }> {
  const groups = new Map<string, IntervalRecord[]>();
  for (const run of runs) {
    readIntervals(run, (interval) => {
      const key = `${Math.floor(interval.startedAt / 1000)}|${tagOf(interval)}`;
      const group = groups.get(key);
      if (group) group.push(interval);
      else groups.set(key, [interval]);
    });
  }
  return [...groups.values()].map((group) => {
    const histogram = newHistogram();
    for (const interval of group) histogram.add(decodeHistogram(interval.histogram));
    const { type, target, probe, stage, metric } = group[0]!;
    const span = {
      type,
      target,
      probe,
      stage,
      metric,
      startedAt: Math.min(...group.map((i) => i.startedAt)),
      endedAt: Math.max(...group.map((i) => i.endedAt)),
    };
    return { span, histogram };
  });
}

const STATUS_ORDER: RunStatus[] = ['completed', 'interrupted', 'running', 'failed'];
const worstStatus = (statuses: RunStatus[]): RunStatus =>
  statuses.reduce((worst, s) => (STATUS_ORDER.indexOf(s) > STATUS_ORDER.indexOf(worst) ? s : worst), 'completed');
