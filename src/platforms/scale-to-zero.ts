/**
 * Behaves like Cloud Run or Knative: no instance until a request arrives; requests wait at
 * the front door while an instance starts; an instance idle longer than `idleMs` is
 * stopped; beyond `concurrency` requests per instance a new one starts.
 * `standby` processes are booted ahead and refilled one at a time while nothing is in
 * flight, as a real platform keeps its node pool and image cache warm: a new instance then
 * costs the startup delay in wall time, not a process boot in CPU while requests are measured.
 */
import { startFrontServer, type FrontServerOptions, type InstancePolicy, type Platform } from './front-server.js';
import { bootStandby, startInstance, stopInstance, stopProcess, type Instance, type Standby } from './instance.js';

export interface ScaleToZeroOptions extends FrontServerOptions {
  startupDelayMs: number;
  idleMs: number;
  concurrency: number;
  maxInstances?: number;
  /** Processes booted ahead to become instances (default 0: every instance boots on demand). */
  standby?: number;
}

export async function startScaleToZero(options: ScaleToZeroOptions): Promise<Platform> {
  const policy = scaleToZeroPolicy(options);
  try {
    await policy.booted;
    return await startFrontServer(policy, options);
  } catch (error) {
    await policy.close();
    throw error;
  }
}

function scaleToZeroPolicy(options: ScaleToZeroOptions): InstancePolicy & { booted: Promise<void> } {
  const instances = new Set<Instance>();
  const waiting: Array<() => void> = [];
  const maxInstances = options.maxInstances ?? 100;
  const standbyTarget = options.standby ?? 0;
  const pool: Standby[] = Array.from({ length: standbyTarget }, bootStandby);
  let refilling = false;
  let closed = false;

  const inFlight = () => [...instances].reduce((sum, i) => sum + i.load, 0);
  /** One boot at a time, and only while no request is in flight, so a refill never competes with one. */
  const refill = () => {
    if (refilling || closed || pool.length >= standbyTarget || inFlight() > 0) return;
    refilling = true;
    const standby = bootStandby();
    pool.push(standby);
    standby.booted
      .catch(() => pool.includes(standby) && pool.splice(pool.indexOf(standby), 1))
      .finally(() => {
        refilling = false;
        refill();
      });
  };

  const reaper = setInterval(
    () => {
      const now = Date.now();
      for (const instance of instances) {
        if (instance.load === 0 && instance.port !== undefined && now - instance.lastActiveAt > options.idleMs) {
          instances.delete(instance);
          void stopInstance(instance);
        }
      }
      refill();
    },
    Math.max(10, Math.min(100, options.idleMs / 10)),
  );
  reaper.unref();

  const spawn = (): Instance => {
    const instance = startInstance(options.startupDelayMs, pool.shift());
    instances.add(instance);
    instance.ready.catch(() => instances.delete(instance));
    instance.child.once('exit', () => instances.delete(instance));
    return instance;
  };

  const pick = (): Instance | undefined => {
    let best: Instance | undefined;
    for (const instance of instances) {
      if (!instance.stopping && instance.load < options.concurrency && (!best || instance.load < best.load)) best = instance;
    }
    if (!best && instances.size < maxInstances) best = spawn();
    return best;
  };

  return {
    booted: Promise.all(pool.map((standby) => standby.booted)).then(() => undefined),
    async acquire() {
      for (;;) {
        if (closed) throw new Error('platform is shutting down');
        const instance = pick();
        if (instance) {
          instance.load += 1;
          try {
            await instance.ready;
          } catch (error) {
            instance.load -= 1;
            throw error;
          }
          return instance;
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
    release(instance) {
      instance.load -= 1;
      instance.lastActiveAt = Date.now();
      waiting.shift()?.();
    },
    status() {
      const all = [...instances];
      return {
        platform: 'scale-to-zero',
        instances: all.length,
        ready: all.filter((i) => i.port !== undefined).length,
        inFlight: inFlight(),
        instanceIds: all.map((i) => i.id),
      };
    },
    async close() {
      closed = true;
      clearInterval(reaper);
      for (const wake of waiting.splice(0)) wake();
      await Promise.all([...[...instances].map(stopInstance), ...pool.splice(0).map((standby) => stopProcess(standby.child))]);
      instances.clear();
    },
  };
}
