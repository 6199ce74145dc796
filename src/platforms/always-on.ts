/**
 * Behaves like a Kubernetes Deployment with min replicas: `replicas` instances started up
 * front, checked ready with an HTTP readiness probe (as a kubelet does), kept, and served
 * round-robin.
 */
import { request } from 'undici';
import { startFrontServer, type FrontServerOptions, type InstancePolicy, type Platform } from './front-server.js';
import { startInstance, stopInstance, type Instance } from './instance.js';

export interface AlwaysOnOptions extends FrontServerOptions {
  replicas: number;
  startupDelayMs?: number;
}

export async function startAlwaysOn(options: AlwaysOnOptions): Promise<Platform> {
  const instances = Array.from({ length: options.replicas }, () => startInstance(options.startupDelayMs ?? 0));
  try {
    await Promise.all(instances.map(readinessProbe));
  } catch (error) {
    await Promise.all(instances.map(stopInstance));
    throw error;
  }
  try {
    return await startFrontServer(roundRobin(instances), options);
  } catch (error) {
    // The replicas must not outlive a front door that could not listen (a port in use).
    await Promise.all(instances.map(stopInstance));
    throw error;
  }
}

async function readinessProbe(instance: Instance): Promise<void> {
  const port = await instance.ready;
  const response = await request(`http://127.0.0.1:${port}/health`);
  await response.body.dump();
  if (response.statusCode !== 200) throw new Error(`instance ${instance.id} not ready: status ${response.statusCode}`);
}

function roundRobin(instances: Instance[]): InstancePolicy {
  let next = 0;
  return {
    async acquire() {
      const instance = instances[next++ % instances.length]!;
      instance.load += 1;
      return instance;
    },
    release(instance) {
      instance.load -= 1;
      instance.lastActiveAt = Date.now();
    },
    status() {
      return {
        platform: 'always-on',
        instances: instances.length,
        ready: instances.length,
        inFlight: instances.reduce((sum, i) => sum + i.load, 0),
        instanceIds: instances.map((i) => i.id),
      };
    },
    close: () => Promise.all(instances.map(stopInstance)).then(() => undefined),
  };
}
