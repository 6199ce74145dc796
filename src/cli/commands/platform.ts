import { CbError } from '../../model/errors.js';
import { STATUS_PATH } from '../../platforms/front-server.js';
import { startPlatform } from '../../platforms/platform-process.js';

export interface PlatformArgs {
  kind: 'scale-to-zero' | 'always-on';
  port: number;
  host: string;
  startupDelay: number;
  idle: number;
  concurrency: number;
  maxRequestDuration?: number;
  replicas: number;
  standby: number;
  http2: boolean;
}

/** Runs an embedded platform in the foreground until SIGINT/SIGTERM. */
export async function platformCommand(args: PlatformArgs): Promise<number> {
  const common = { host: args.host, port: args.port, maxRequestDurationMs: args.maxRequestDuration, http2: args.http2 };
  const platform = await startPlatform(
    args.kind === 'scale-to-zero'
      ? { kind: args.kind, options: { ...common, startupDelayMs: args.startupDelay, idleMs: args.idle, concurrency: args.concurrency, standby: args.standby } }
      : { kind: args.kind, options: { ...common, replicas: args.replicas, startupDelayMs: args.startupDelay } },
  ).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
      throw new CbError('CB_USAGE', `cannot listen on ${args.host}:${args.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`);
    }
    throw error;
  });
  process.stdout.write(`${args.kind} platform listening on ${platform.url} (status: ${platform.url}${STATUS_PATH}); Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await platform.close();
  return 0;
}
