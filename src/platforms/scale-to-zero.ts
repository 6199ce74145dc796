/**
 * Behaves like Cloud Run or Knative: no instance until a request arrives; requests wait at
 * the front door while an instance starts; an instance idle longer than `idleMs` is
 * stopped; beyond `concurrency` requests per instance a new one starts.
 */
import { startFrontServer, type FrontServerOptions, type InstancePolicy, type Platform } from './front-server.js';
import { startInstance, stopInstance, type Instance } from './instance.js';

export interface ScaleToZeroOptions extends FrontServerOptions {
  startupDelayMs: number;
  idleMs: number;
  concurrency: number;
  maxInstances?: number;
}

export function startScaleToZero(options: ScaleToZeroOptions): Promise<Platform> {
  return startFrontServer(scaleToZeroPolicy(options), options);
}

function scaleToZeroPolicy(options: ScaleToZeroOptions): InstancePolicy {
  const instances = new Set<Instance>();
  const waiting: Array<() => void> = [];
  const maxInstances = options.maxInstances ?? 100;
  let closed = false;

  const reaper = setInterval(() => {
    const now = Date.now();
    for (const instance of instances) {
      if (instance.load === 0 && instance.port !== undefined && now - instance.lastActiveAt > options.idleMs) {
        instances.delete(instance);
        void stopInstance(instance);
      }
    }
  }, Math.max(10, Math.min(100, options.idleMs / 10)));
  reaper.unref();

  const spawn = (): Instance => {
    const instance = startInstance(options.startupDelayMs);
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
        inFlight: all.reduce((sum, i) => sum + i.load, 0),
        instanceIds: all.map((i) => i.id),
      };
    },
    async close() {
      closed = true;
      clearInterval(reaper);
      for (const wake of waiting.splice(0)) wake();
      await Promise.all([...instances].map(stopInstance));
      instances.clear();
    },
  };
}
