/**
 * What makes a target cold before a sample: run a command (revision bump), wait out the
 * idle timeout, then wait until a check says the target is ready to be measured.
 * A failure becomes a SampleError for that round, never an exception.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Trigger, WaitFor } from '../scenario/schema.js';
import type { SampleError, TriggerWaiting } from '../model/records.js';
import { ownError } from '../model/error-class.js';
import { deadline } from './deadline.js';
import { now, toEpochMs } from './http.js';

export interface TriggerContext {
  target: string;
  /** The URL being made cold (the lane's, else the target's): a waitFor path is under it. */
  url: string;
  /** The lane's number, when the target has lanes. */
  lane?: number;
  round: number;
  /** Monotonic ms when the last request to this target finished. */
  lastActivityAt: number;
  signal: AbortSignal;
  onStep(step: TriggerWaiting['step'], until?: number): void;
}

const STDERR_TAIL_BYTES = 2000;

export async function runTrigger(trigger: Trigger, context: TriggerContext): Promise<SampleError | undefined> {
  const env = {
    ...process.env,
    COLDBENCH_ROUND: String(context.round),
    COLDBENCH_TARGET: context.target,
    COLDBENCH_URL: context.url,
    ...(context.lane !== undefined && { COLDBENCH_LANE: String(context.lane) }),
  };
  if (trigger.command !== undefined) {
    context.onStep('command');
    const outcome = await runCommand(trigger.command, env, trigger.timeout, context.signal);
    if (outcome.error) return { ...outcome.error, message: `trigger command: ${outcome.error.message}` };
  }
  if (trigger.idle !== undefined) {
    const until = context.lastActivityAt + trigger.idle;
    context.onStep('idle', toEpochMs(until));
    if (!(await pause(until - now(), context.signal))) return aborted();
  }
  if (trigger.waitFor !== undefined) {
    context.onStep('waitFor');
    return waitUntilReady(trigger.waitFor, env, context.url, context.signal);
  }
  return undefined;
}

async function waitUntilReady(waitFor: WaitFor, env: NodeJS.ProcessEnv, url: string, signal: AbortSignal): Promise<SampleError | undefined> {
  const deadline = now() + waitFor.timeout;
  let last = 'not checked';
  for (;;) {
    const remaining = deadline - now();
    const outcome =
      waitFor.command !== undefined
        ? await runCommand(waitFor.command, env, Math.max(1, remaining), signal)
        : await checkHttp({ ...waitFor.http!, url: new URL(waitFor.http!.url, url).href }, Math.max(1, remaining), signal);
    if (!outcome.error) return undefined;
    if (signal.aborted) return aborted();
    last = outcome.error.message;
    if (now() + waitFor.interval > deadline) {
      return ownError('CB_WAIT_FOR_TIMEOUT', 'trigger', `waitFor not satisfied within ${waitFor.timeout}ms; last check: ${last}`);
    }
    if (!(await pause(waitFor.interval, signal))) return aborted();
  }
}

interface Outcome {
  error?: SampleError;
}

async function checkHttp(check: NonNullable<WaitFor['http']>, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
  const giveUp = deadline(signal, Math.ceil(timeoutMs));
  try {
    const response = await request(check.url, { method: check.method, signal: giveUp.signal });
    const body = await response.body.text();
    if (response.statusCode !== check.status) return failed(`status ${response.statusCode}, expected ${check.status}`);
    if (check.bodyMatches !== undefined && !new RegExp(check.bodyMatches).test(body)) {
      return failed(`body does not match /${check.bodyMatches}/: ${body.slice(0, 200)}`);
    }
    return {};
  } catch (error) {
    return failed(`${check.url}: ${(error as Error).message}`);
  } finally {
    giveUp.clear();
  }
}

/**
 * The command runs under a watchdog in its own process group: when coldbench is gone (even
 * SIGKILLed, when no handler runs), the watchdog kills the group within a second, so no
 * trigger outlives the run that started it.
 */
const WATCHED_COMMAND =
  'watchdog() { while kill -0 "$COLDBENCH_PARENT_PID" 2>/dev/null; do sleep 1; done; kill -KILL 0; }; ' +
  'watchdog </dev/null >/dev/null 2>&1 & watchdog_pid=$!; ' +
  '/bin/sh -c "$COLDBENCH_TRIGGER_COMMAND"; status=$?; kill "$watchdog_pid" 2>/dev/null; exit $status';

function runCommand(command: string, env: NodeJS.ProcessEnv, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', WATCHED_COMMAND], {
      env: { ...env, COLDBENCH_PARENT_PID: String(process.pid), COLDBENCH_TRIGGER_COMMAND: command },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // detached: the command gets its own process group, so a timeout stops its children too.
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = () => killGroup();
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ error: ownError('CB_TRIGGER_FAILED', 'trigger', error.message) });
    });
    child.once('close', (code, killedBy) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      const tail = stderr.trim() ? `: ${stderr.trim()}` : '';
      if (timedOut) resolve({ error: ownError('CB_TRIGGER_TIMEOUT', 'trigger', `\`${command}\` still running after ${timeoutMs}ms${tail}`) });
      else if (signal.aborted) resolve({ error: aborted() });
      else if (code !== 0) resolve({ error: ownError('CB_TRIGGER_FAILED', 'trigger', `\`${command}\` exited with ${code ?? killedBy}${tail}`) });
      else resolve({});
    });
  });
}

/** Sleeps; false when the run was aborted meanwhile. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function failed(message: string): Outcome {
  return { error: ownError('CB_CHECK_FAILED', 'trigger', message) };
}

function aborted(): SampleError {
  return ownError('CB_ABORTED', 'aborted', 'run interrupted');
}
