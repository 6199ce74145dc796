/** What the CLI prints at the end of a run or report. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../model/summary.js';
import { RUN_FILES } from '../model/files.js';
import {
  billableTable,
  capacitySearchTable,
  capacityTable,
  clientTable,
  coldStartTable,
  flowTable,
  flowWaterfall,
  http2Lines,
  idleSweepTable,
  journeyTable,
  laneTable,
  loadTable,
  renderAligned,
  streamTable,
  survivalSketch,
  unjudgedLine,
  verdictLine,
} from '../report/text.js';

/** `--json`: summary.json on stdout, for a pipe; else the tables and verdicts. */
export function printResult(summary: Summary, dir: string, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else printSummary(summary, dir, process.stdout);
}

function printSummary(summary: Summary, dir: string, out: NodeJS.WritableStream): void {
  const lines: string[] = [''];
  if (summary.incomplete.length) lines.push(...summary.incomplete.map((reason) => `incomplete: ${reason}`), '');
  const coldStart = coldStartTable(summary);
  if (coldStart.rows.length) lines.push('cold start (p50 / p95, n = samples)', renderAligned(coldStart), '');
  const lanes = laneTable(summary);
  if (lanes.rows.length) lines.push('cold-start lanes (copies of each service, sampled concurrently)', renderAligned(lanes), '');
  const journeys = journeyTable(summary);
  if (journeys.rows.length) lines.push("cold-start journeys (from the cold request's intended start to the last step's end)", renderAligned(journeys), '');
  const sweep = idleSweepTable(summary);
  if (sweep.rows.length) lines.push('idle sweep (how often a request after a quiet time meets a cold start)', renderAligned(sweep), '');
  const load = loadTable(summary);
  if (load.rows.length) lines.push('load (latency from the intended send time, successful requests)', renderAligned(load), '');
  const billable = billableTable(summary);
  if (billable.rows.length) lines.push('instance time (from instance ids; client-side spans, an upper bound)', renderAligned(billable), '');
  const search = capacitySearchTable(summary);
  if (search.rows.length) lines.push('capacity search (the highest rate the SLO held at)', renderAligned(search), '');
  const capacity = capacityTable(summary);
  if (capacity.rows.length) lines.push('capacity', renderAligned(capacity), '');
  const streams = streamTable(summary);
  if (streams.rows.length) lines.push('streams', renderAligned(streams), ...survivalSketch(summary), '');
  const flows = flowTable(summary);
  if (flows.rows.length)
    lines.push("flows (latency from each flow's intended start, think time excluded)", renderAligned(flows), ...flowWaterfall(summary), '');
  const protocols = http2Lines(summary);
  if (protocols.length) lines.push(...protocols, '');
  const client = clientTable(summary);
  if (client.rows.length) lines.push("coldbench's own client (timer delay sampled every 10ms)", renderAligned(client), '');
  for (const verdict of summary.verdicts) lines.push(verdictLine(verdict), `  ${verdict.detail}`);
  if (summary.unjudgedSlos.length) lines.push(unjudgedLine(summary));
  lines.push('', `run directory: ${dir}`);
  if (existsSync(join(dir, RUN_FILES.html))) lines.push(`HTML report:   ${join(dir, RUN_FILES.html)}`);
  out.write(lines.join('\n') + '\n');
}
