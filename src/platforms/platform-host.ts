/** The entry of a platform process: starts the platform given as argv[2], reports its URL, stops it with the parent. */
import type { Platform } from './front-server.js';
import { startPlatform, type HostMessage, type PlatformSpec } from './platform-process.js';

const spec = JSON.parse(process.argv[2]!) as PlatformSpec;
let platform: Platform | undefined;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await platform?.close();
  process.exit(0);
}

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.on('disconnect', () => void stop());

try {
  platform = await startPlatform(spec);
  const message: HostMessage = { type: 'listening', url: platform.url };
  process.send!(message);
} catch (error) {
  const message: HostMessage = { type: 'failed', message: (error as Error).message };
  process.send!(message);
  await stop();
}
