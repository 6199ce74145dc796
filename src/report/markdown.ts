/** report.md: what a person reads first in a run directory. */
import type { Summary } from '../model/summary.js';
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
  renderMarkdownTable,
  streamTable,
  survivalSketch,
  unjudgedLine,
  verdictLine,
} from './text.js';

export function renderMarkdownReport(summary: Summary): string {
  const out: string[] = [`# coldbench run ${summary.runId}`, ''];
  out.push(`Scenario **${summary.scenario}**, ${summary.startedAt} → ${summary.endedAt ?? 'unfinished'}, status **${summary.status}**.`, '');
  if (summary.incomplete.length) {
    out.push('> **Incomplete data:**', ...summary.incomplete.map((reason) => `> - ${reason}`), '');
  }
  out.push('## Verdicts', '');
  if (summary.verdicts.length === 0) out.push('No verdicts in this scenario.', '');
  for (const verdict of summary.verdicts) {
    out.push(`- **${verdict.status.toUpperCase()}** ${verdict.title}`, `  - \`${verdictLine(verdict)}\``, `  - ${verdict.detail}`);
  }
  if (summary.unjudgedSlos.length) out.push('', `> ⚠️ ${unjudgedLine(summary)}`);
  const coldStart = coldStartTable(summary);
  if (coldStart.rows.length) {
    out.push('', '## Cold start', '', renderMarkdownTable(coldStart), '');
    out.push('Latencies are measured from the intended send time; `n` is the number of samples behind each figure.');
  }
  const lanes = laneTable(summary);
  if (lanes.rows.length) out.push('', '### Cold-start lanes', '', renderMarkdownTable(lanes), '');
  const journeys = journeyTable(summary);
  if (journeys.rows.length) {
    out.push('', '### Cold-start journeys', '', renderMarkdownTable(journeys), '');
    out.push("A journey runs from its first (cold) request's intended start to its last step's end, think time excluded.");
  }
  const sweep = idleSweepTable(summary);
  if (sweep.rows.length) {
    out.push('', '## Idle sweep', '', renderMarkdownTable(sweep), '');
    out.push(
      'The cold share is cold ÷ (cold + warm) after each quiet time, with its 95% Wilson interval; a wide interval needs more samples, not a conclusion.',
    );
  }
  const load = loadTable(summary);
  if (load.rows.length) {
    out.push('', '## Load', '', renderMarkdownTable(load), '');
    out.push('Corrected latency runs from the intended send time (no coordinated omission); uncorrected from the socket write.');
  }
  const billable = billableTable(summary);
  if (billable.rows.length) {
    out.push('', '### Instance time', '', renderMarkdownTable(billable), '');
    out.push(
      "Busy time is the union of each instance's request spans as the client saw them (an upper bound); request-based billing rounds each busy period up to 100 ms, instance-based billing and pods count the lifetime.",
    );
  }
  const search = capacitySearchTable(summary);
  if (search.rows.length) {
    out.push('', '## Capacity search', '', renderMarkdownTable(search), '');
    out.push(
      'A step held when no SLO check failed (inconclusive is not a break) and its median latency did not keep rising (a queue that grows breaks any SLO given time). Per instance: the achieved rate at the held rate ÷ the instances that answered there. The knee is the last rate before p99 doubled over its value at the lowest rate.',
    );
  }
  const capacity = capacityTable(summary);
  if (capacity.rows.length) out.push('', '## Capacity (closed model, autocannon)', '', renderMarkdownTable(capacity), '');
  const streams = streamTable(summary);
  if (streams.rows.length) out.push('', '## Streams', '', renderMarkdownTable(streams), '', '```', ...survivalSketch(summary), '```', '');
  const flows = flowTable(summary);
  if (flows.rows.length) {
    out.push('', '## Flows', '', renderMarkdownTable(flows), '', '```', ...flowWaterfall(summary), '```', '');
    out.push(
      "A step's latency runs from its flow's intended start plus the think time before it (no coordinated omission); `own` is the step's request alone.",
    );
  }
  const protocols = http2Lines(summary);
  if (protocols.length) out.push('', '## HTTP/2', '', ...protocols.map((line) => `- ${line}`), '');
  const client = clientTable(summary);
  if (client.rows.length) {
    out.push('', "## coldbench's own client", '', renderMarkdownTable(client), '');
    out.push('How late coldbench ran its timers during each probe: every figure above may include up to this much of the client.');
  }
  return out.join('\n') + '\n';
}
