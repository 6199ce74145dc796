/**
 * An embedded platform in a process of its own, as the demo runs them: the front door's
 * proxying then never shares an event loop with the load generator that measures it.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startAlwaysOn, type AlwaysOnOptions } from './always-on.js';
import type { Platform } from './front-server.js';
import { ownedEnv, stopProcess } from './instance.js';
import { startScaleToZero, type ScaleToZeroOptions } from './scale-to-zero.js';

export type PlatformSpec = { kind: 'scale-to-zero'; options: ScaleToZeroOptions } | { kind: 'always-on'; options: AlwaysOnOptions };

export interface PlatformProcess {
  url: string;
  close(): Promise<void>;
}

export type HostMessage = { type: 'listening'; url: string } | { type: 'failed'; message: string };

const HOST_PATH = fileURLToPath(new URL('./platform-host.js', import.meta.url));

export function startPlatform(spec: PlatformSpec): Promise<Platform> {
  return spec.kind === 'scale-to-zero' ? startScaleToZero(spec.options) : startAlwaysOn(spec.options);
}

export function startPlatformProcess(spec: PlatformSpec): Promise<PlatformProcess> {
  const child = fork(HOST_PATH, [JSON.stringify(spec)], {
    env: ownedEnv(),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: HostMessage) => {
      if (message.type === 'listening') resolve({ url: message.url, close: () => stopProcess(child) });
      else reject(new Error(`${spec.kind} platform failed to start: ${message.message}`));
    });
    child.once('exit', (code, signal) => reject(new Error(`${spec.kind} platform exited before it listened (${signal ?? code})`)));
    child.once('error', reject);
  });
}
