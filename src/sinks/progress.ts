/**
 * Live progress on stderr. Cold start (hours for 30 rounds of a 20-minute idle): each first
 * request as a line, plus round, what is being waited on and an ETA. Load: stage, elapsed,
 * achieved vs target rate, p95, errors and instances per target. Streams: open streams,
 * events and drops per target. On a TTY the status line is redrawn in place; in CI logs a
 * plain line is printed per round, per long wait and every few seconds of load or streams.
 */
import { decodeHistogram, usToMs } from '../model/histogram.js';
import type { ColdstartSample, RunRecord, StageStarted, StreamTick, Tick, TriggerWaiting } from '../model/records.js';
import type { Sink } from '../model/sink.js';
import { formatMs, formatRate } from '../model/units.js';

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  now?: () => number;
}

/** Waits shorter than this are not worth a line in a CI log. */
const LOGGED_WAIT_MS = 2000;
/** In CI logs, one load line per this many seconds. */
const LOAD_LOG_EVERY_S = 5;

export function createProgress({ stream, now = Date.now }: ProgressOptions) {
  const tty = stream.isTTY === true;
  let status = '';
  let drawn = false;
  const cold = { startedAt: 0, round: 0, rounds: 0, waiting: new Map<string, Pick<TriggerWaiting, 'step' | 'until'>>() };
  const load = { probeStart: 0, stages: new Map<string, StageStarted>(), ticks: new Map<string, Tick>(), p95Ms: new Map<string, number>() };
  const streams = new Map<string, StreamTick>();
  const streamStatus = (tick: StreamTick) =>
    `${tick.probe} ${tick.second + 1}s | ` + [...streams.values()].map((t) => `${t.target} open ${t.open} events ${t.events}/s drops ${t.drops}`).join(' | ');

  const describeWait = ({ step, until }: Pick<TriggerWaiting, 'step' | 'until'>) =>
    until === undefined ? step : `${step} ${formatMs(Math.max(0, until - now()))} left`;
  const coldStatus = () => {
    const waits = [...cold.waiting.entries()].map(([target, wait]) => `${target}: ${describeWait(wait)}`).join(', ');
    const eta = cold.round > 1 ? `  ETA ${formatMs(((now() - cold.startedAt) / (cold.round - 1)) * (cold.rounds - cold.round + 1))}` : '';
    return `round ${cold.round}/${cold.rounds}${waits ? `  waiting (${waits})` : ''}${eta}`;
  };
  const loadStatus = (tick: Tick) => {
    const stage = load.stages.get(tick.stage);
    if (!stage) return status;
    const elapsed = Math.min(stage.durationMs, Math.max(0, load.probeStart + (tick.second + 1) * 1000 - stage.at));
    const parts = [...load.ticks.values()].map((t) => {
      const errors = t.completed ? ` err ${((t.errors / t.completed) * 100).toFixed(1)}%` : '';
      const dropped = t.dropped ? ` dropped ${t.dropped}` : '';
      const p95 = load.p95Ms.get(t.target);
      return `${t.target} ${formatRate(t.sent)} p95 ${p95 === undefined ? '–' : formatMs(p95)}${errors}${dropped} inst ${t.instances}`;
    });
    return `${stage.probe} ${stage.stage} ${formatMs(elapsed)}/${formatMs(stage.durationMs)} target ${formatRate(stage.targetRate)} | ${parts.join(' | ')}`;
  };

  const redraw = (next = status) => {
    status = next;
    if (!tty || !status) return;
    stream.write(`\r\x1b[2K${status}`);
    drawn = true;
  };
  const line = (text: string) => {
    if (tty) {
      stream.write(`\r\x1b[2K${text}\n`);
      redraw();
    } else {
      stream.write(`${text}\n`);
    }
  };
  const ticker = tty ? setInterval(() => cold.rounds && load.stages.size === 0 && redraw(coldStatus()), 1000) : undefined;
  ticker?.unref();

  const sink = {
    name: 'progress',
    record(record: RunRecord): void {
      switch (record.type) {
        case 'round':
          if (record.round === 1) cold.startedAt = now();
          Object.assign(cold, { round: record.round, rounds: record.rounds });
          cold.waiting.clear();
          if (tty) redraw(coldStatus());
          else line(`${record.probe} ${coldStatus()}`);
          break;
        case 'trigger':
          cold.waiting.set(record.target, record);
          if (tty) redraw(coldStatus());
          else if (record.until !== undefined && record.until - now() >= LOGGED_WAIT_MS) line(`  ${record.target}: ${describeWait(record)}`);
          break;
        case 'stage':
          if (![...load.stages.values()].some((s) => s.probe === record.probe)) {
            load.stages.clear();
            load.ticks.clear();
            load.p95Ms.clear();
            load.probeStart = record.at;
          }
          load.stages.set(record.stage, record);
          line(`${record.probe} stage ${record.stage}: ${formatRate(record.targetRate)} for ${formatMs(record.durationMs)}`);
          break;
        case 'interval':
          // The last second's p95 of the running load stage, from its interval histogram.
          // A flow's whole-flow latency is kept under the stage "flow" (store/sample-metrics.ts).
          if (
            record.metric === 'latency' &&
            (load.stages.has(record.stage) || (record.stage === 'flow' && load.stages.values().next().value?.probe === record.probe))
          )
            load.p95Ms.set(record.target, usToMs(decodeHistogram(record.histogram).getValueAtPercentile(95)));
          break;
        case 'tick':
          load.ticks.set(record.target, record);
          if (tty) redraw(loadStatus(record));
          else if (record.second % LOAD_LOG_EVERY_S === LOAD_LOG_EVERY_S - 1 && isLastTarget(record)) line(loadStatus(record));
          break;
        case 'stream-tick':
          streams.set(record.target, record);
          if (tty) redraw(streamStatus(record));
          else if (record.second % LOAD_LOG_EVERY_S === LOAD_LOG_EVERY_S - 1 && [...streams.keys()].at(-1) === record.target) line(streamStatus(record));
          break;
        case 'abort':
          line(`${record.probe} ABORTED by ${record.target}: ${record.reason}`);
          break;
        case 'sample':
          if (record.kind === 'coldstart' && (record.request === 'first' || !record.ok)) {
            cold.waiting.delete(record.target);
            line(coldstartLine(record));
          } else if (record.kind === 'capacity') {
            line(
              `${record.probe} ${record.target}: ${Math.round(record.requestsPerSecond)} req/s with ${record.connections} connections (${record.requests} requests, ${record.errors + record.non2xx} errors)`,
            );
          }
          break;
      }
    },
    /** Stops the ticker and clears the status line before the final output. */
    close(): void {
      if (ticker) clearInterval(ticker);
      if (drawn) stream.write('\r\x1b[2K');
    },
  } satisfies Sink;
  return sink;

  function isLastTarget(tick: Tick): boolean {
    return [...load.ticks.keys()].at(-1) === tick.target;
  }
}

function coldstartLine(sample: ColdstartSample): string {
  const head = `  ${String(sample.round).padStart(3)}  ${sample.target.padEnd(12)} ${sample.request === 'first' ? 'first' : `warm#${sample.followUp}`}`;
  if (!sample.ok) return `${head}  ERROR ${sample.error?.code}: ${sample.error?.message.split('\n')[0]}`;
  const cold = sample.cold === true ? 'cold' : sample.cold === false ? 'warm' : 'cold?';
  return `${head}  ${formatMs(sample.latencyMs).padStart(8)}  ttfb ${formatMs(sample.ttfbMs ?? NaN).padStart(8)}  ${sample.status}  ${cold} (${sample.coldReason})`;
}
