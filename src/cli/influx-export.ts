/**
 * `coldbench export influx`: a stored run (coldbench's, an import, a merge) written to
 * InfluxDB with its original timestamps, through the same points as the live sink. Same
 * measurement, tags and timestamps overwrite, so exporting twice, or after a live run that
 * wrote part of it, changes nothing but the gaps.
 */
import { loadRun } from '../analysis/run-data.js';
import { summarize } from '../analysis/summarize.js';
import { openRunDirectory, readIntervals, readSamples, readSeries } from '../store/run-dir.js';
import { pointBuilder, summaryPoints, type InfluxPoint } from '../sinks/influx-points.js';
import { openInfluxWriter, type InfluxConfig, type InfluxWriteReport } from '../sinks/influxdb.js';

/** Every point a run directory gives, in batches, in the order the live sink would have written them (by kind). */
export function forEachStoredPoint(dir: string, onPoints: (points: InfluxPoint[]) => void): void {
  const run = openRunDirectory(dir);
  const builder = pointBuilder();
  readSeries(run, (record) => onPoints(builder.add(record)));
  readIntervals(run, (interval) => onPoints(builder.add(interval)));
  readSamples(run, (sample) => sample.type === 'sample' && onPoints(builder.add(sample)));
  onPoints(builder.finish());
  onPoints(summaryPoints(summarize(loadRun(dir))));
}

export function runTags(dir: string): Record<string, string> {
  const { manifest } = openRunDirectory(dir);
  return {
    run_id: manifest.runId,
    scenario: manifest.scenarioName,
    runner: manifest.provenance.runners[0]?.name ?? manifest.provenance.runners[0]?.host ?? '',
  };
}

export async function exportRunToInflux(dir: string, config: InfluxConfig, deadlineMs = 120_000): Promise<InfluxWriteReport> {
  const writer = openInfluxWriter(config, runTags(dir));
  forEachStoredPoint(dir, (points) => points.length && writer.write(points));
  return writer.finish(Date.now() + deadlineMs);
}
