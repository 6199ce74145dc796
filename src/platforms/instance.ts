/**
 * One instance of the reference app: a real child process, started and stopped by a platform.
 * A process can be booted ahead as a standby: Node has loaded the app but it has no identity,
 * no port and no start time until `startInstance` activates it. Scale-out then costs a
 * platform only the configured startup delay, not a burst of process boots that would starve
 * every other process on a small machine (the load generator included).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage, StartMessage } from './reference-app.js';

const APP_PATH = fileURLToPath(new URL('./reference-app.js', import.meta.url));

/**
 * Every process an embedded platform starts carries this variable with the pid of the process
 * that owns the platforms (inherited through platform hosts), so leftovers can be found.
 */
export const OWNER_PID_ENV = 'COLDBENCH_OWNER_PID';

/** The environment for a process a platform starts: this one's, with the owner's pid passed on. */
export function ownedEnv(): NodeJS.ProcessEnv {
  return { ...process.env, [OWNER_PID_ENV]: process.env[OWNER_PID_ENV] ?? String(process.pid) };
}

export interface Instance {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves with the port once the instance listens; rejects if it dies first. */
  readonly ready: Promise<number>;
  port?: number;
  startedAt: number;
  /** Requests assigned to this instance and not yet finished (waiting ones included). */
  load: number;
  lastActiveAt: number;
  stopping: boolean;
}

export interface Standby {
  readonly child: ChildProcess;
  /** Resolves once Node has loaded the app and waits for its start message. */
  readonly booted: Promise<void>;
}

let sequence = 0;

export function bootStandby(): Standby {
  const child = fork(APP_PATH, [], {
    env: ownedEnv(),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  const booted = new Promise<void>((resolve, reject) => {
    child.once('message', (message: { type?: string }) => (message?.type === 'standby' ? resolve() : undefined));
    child.once('exit', (code, signal) => reject(new Error(`standby process exited before it booted (${signal ?? code})`)));
    child.once('error', reject);
  });
  booted.catch(() => undefined);
  return { child, booted };
}

/** Makes a process an instance: it gets its identity now, waits `startupDelayMs`, then listens. */
export function startInstance(startupDelayMs: number, standby: Standby = bootStandby()): Instance {
  const id = `i${++sequence}-${process.pid}-${Date.now().toString(36)}`;
  const { child } = standby;
  const instance: Instance = {
    id,
    child,
    startedAt: Date.now(),
    load: 0,
    lastActiveAt: Date.now(),
    stopping: false,
    ready: new Promise<number>((resolve, reject) => {
      child.on('message', (message: ReadyMessage) => {
        if (message?.type === 'ready') resolve(message.port);
      });
      child.once('exit', (code, signal) => reject(new Error(`instance ${id} exited before ready (${signal ?? code})`)));
      child.once('error', reject);
    }),
  };
  instance.ready.then((port) => (instance.port = port)).catch(() => undefined);
  const start: StartMessage = { type: 'start', instanceId: id, startupDelayMs };
  standby.booted.then(() => child.connected && child.send(start)).catch(() => undefined);
  return instance;
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function stopInstance(instance: Instance): Promise<void> {
  instance.stopping = true;
  return stopProcess(instance.child);
}
