import { startAlwaysOn } from '../../platforms/always-on.js';
import { STATUS_PATH, type Platform } from '../../platforms/front-server.js';
import { startScaleToZero } from '../../platforms/scale-to-zero.js';

export interface PlatformArgs {
  kind: 'scale-to-zero' | 'always-on';
  port: number;
  host: string;
  startupDelay: number;
  idle: number;
  concurrency: number;
  maxRequestDuration?: number;
  replicas: number;
}

/** Runs an embedded platform in the foreground until SIGINT/SIGTERM. */
export async function platformCommand(args: PlatformArgs): Promise<number> {
  const common = { host: args.host, port: args.port, maxRequestDurationMs: args.maxRequestDuration };
  const platform: Platform =
    args.kind === 'scale-to-zero'
      ? await startScaleToZero({ ...common, startupDelayMs: args.startupDelay, idleMs: args.idle, concurrency: args.concurrency })
      : await startAlwaysOn({ ...common, replicas: args.replicas, startupDelayMs: args.startupDelay });
  process.stdout.write(`${args.kind} platform listening on ${platform.url} (status: ${platform.url}${STATUS_PATH}); Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await platform.close();
  return 0;
}
