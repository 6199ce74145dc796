/** One instance of the reference app: a real child process, started and stopped by a platform. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage } from './reference-app.js';

const APP_PATH = fileURLToPath(new URL('./reference-app.js', import.meta.url));

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

let sequence = 0;

export function startInstance(startupDelayMs: number): Instance {
  const id = `i${++sequence}-${process.pid}-${Date.now().toString(36)}`;
  const child = fork(APP_PATH, [], {
    env: { ...process.env, COLDBENCH_STARTUP_MS: String(startupDelayMs), COLDBENCH_INSTANCE_ID: id },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  const instance: Instance = {
    id,
    child,
    startedAt: Date.now(),
    load: 0,
    lastActiveAt: Date.now(),
    stopping: false,
    ready: new Promise<number>((resolve, reject) => {
      child.once('message', (message: ReadyMessage) => {
        if (message?.type === 'ready') resolve(message.port);
      });
      child.once('exit', (code, signal) => reject(new Error(`instance ${id} exited before ready (${signal ?? code})`)));
      child.once('error', reject);
    }),
  };
  instance.ready.then((port) => (instance.port = port)).catch(() => undefined);
  return instance;
}

export function stopInstance(instance: Instance): Promise<void> {
  instance.stopping = true;
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => instance.child.kill('SIGKILL'), 2000);
    instance.child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    instance.child.kill('SIGTERM');
  });
}
