/**
 * Live progress for long runs (30 rounds of a 20-minute idle take hours): each first-request
 * sample as a line when it lands, plus the round, what is being waited on, and an ETA.
 * On a TTY that status line is redrawn in place every second; otherwise (CI logs) a line is
 * printed when a round starts and when a long wait begins.
 */
import type { RunRecord, TriggerWaiting } from '../runner/records.js';
import { formatMs } from '../scenario/units.js';

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  now?: () => number;
}

/** Waits shorter than this are not worth a line in a CI log. */
const LOGGED_WAIT_MS = 2000;

export function createProgress({ stream, now = Date.now }: ProgressOptions) {
  const tty = stream.isTTY === true;
  let probeStartedAt = 0;
  let round = 0;
  let rounds = 0;
  let drawn = false;
  const waiting = new Map<string, Pick<TriggerWaiting, 'step' | 'until'>>();

  const eta = () => {
    if (round <= 1) return '';
    const perRound = (now() - probeStartedAt) / (round - 1);
    return `  ETA ${formatMs(perRound * (rounds - round + 1))}`;
  };
  const describeWait = ({ step, until }: Pick<TriggerWaiting, 'step' | 'until'>) =>
    until === undefined ? step : `${step} ${formatMs(Math.max(0, until - now()))} left`;
  const status = () => {
    const waits = [...waiting.entries()].map(([target, wait]) => `${target}: ${describeWait(wait)}`).join(', ');
    return `round ${round}/${rounds}${waits ? `  waiting (${waits})` : ''}${eta()}`;
  };
  const redraw = () => {
    if (!tty || rounds === 0) return;
    stream.write(`\r\x1b[2K${status()}`);
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
  const ticker = tty ? setInterval(redraw, 1000) : undefined;
  ticker?.unref();

  return {
    onRecord(record: RunRecord): void {
      if (record.type === 'round') {
        if (record.round === 1) probeStartedAt = now();
        round = record.round;
        rounds = record.rounds;
        waiting.clear();
        if (tty) redraw();
        else line(`${record.probe} ${status()}`);
      } else if (record.type === 'trigger') {
        waiting.set(record.target, record);
        if (tty) redraw();
        else if (record.until !== undefined && record.until - now() >= LOGGED_WAIT_MS) line(`  ${record.target}: ${describeWait(record)}`);
      } else if (record.request === 'first' || !record.ok) {
        waiting.delete(record.target);
        line(sampleLine(record));
      }
    },
    /** Stops the ticker and clears the status line before the final output. */
    done(): void {
      if (ticker) clearInterval(ticker);
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

function sampleLine(sample: Extract<RunRecord, { type: 'sample' }>): string {
  const head = `  ${String(sample.round).padStart(3)}  ${sample.target.padEnd(12)} ${sample.request === 'first' ? 'first' : `warm#${sample.followUp}`}`;
  if (!sample.ok) return `${head}  ERROR ${sample.error?.code}: ${sample.error?.message.split('\n')[0]}`;
  const cold = sample.cold === true ? 'cold' : sample.cold === false ? 'warm' : 'cold?';
  return `${head}  ${formatMs(sample.latencyMs).padStart(8)}  ttfb ${formatMs(sample.ttfbMs ?? NaN).padStart(8)}  ${sample.status}  ${cold} (${sample.coldReason})`;
}
