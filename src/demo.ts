/**
 * The demo: both embedded platforms on free loopback ports, each in a process of its own,
 * scenarios/demo.yaml run against them (their URLs passed in through the environment, as a
 * user passes real ones), and every process stopped afterwards, on interrupt too.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPlatformProcess, type PlatformProcess } from './platforms/platform-process.js';
import { runScenario, type RunOutcome, type RunScenarioOptions } from './run-scenario.js';
import { loadScenarioFile } from './scenario/read.js';

const DEMO_SCENARIO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url));
/** `coldbench demo --decision`: what the cutover decision needs beyond the three claims. */
export const DECISION_SCENARIO = fileURLToPath(new URL('../../scenarios/decision.yaml', import.meta.url));
/** The price sheets its cost table uses, relative to the working directory when they are under it. */
export const DECISION_PRICE_SHEETS = ['cloud-run', 'gke', 'doks'].map((name) =>
  relative(process.cwd(), fileURLToPath(new URL(`../../examples/prices/${name}.yaml`, import.meta.url))),
);

export interface DemoPlatformOptions {
  /** Startup of a scale-to-zero instance: image pull plus model load. */
  startupDelayMs: number;
  idleMs: number;
  /** The scale-to-zero request timeout, shorter than the demo's stream hold. */
  maxRequestDurationMs: number;
}

const DEMO_PLATFORMS: DemoPlatformOptions = { startupDelayMs: 800, idleMs: 500, maxRequestDurationMs: 2000 };

/** Requests one scale-to-zero instance takes at once, low enough that the 10x stage makes it scale out. */
const DEMO_CONCURRENCY = 4;
/**
 * Each instance is a Node process, booted ahead as a standby so that the 10x step's
 * scale-out costs wall time only; more would crowd a small machine's memory and cores.
 */
const DEMO_MAX_INSTANCES = 10;

export interface DemoOptions extends RunScenarioOptions {
  platforms?: DemoPlatformOptions;
  maxRate?: number;
  /** Another scenario than scenarios/demo.yaml, run against the same platforms. */
  scenarioFile?: string;
  /** The platforms also serve h2c, and DEMO_HTTP_VERSION=2 makes the scenario's targets ask for it. */
  http2?: boolean;
  onPlatforms?: (urls: Record<string, string>) => void;
}

export async function runDemo(options: DemoOptions): Promise<RunOutcome> {
  const settings = options.platforms ?? DEMO_PLATFORMS;
  const started: PlatformProcess[] = [];
  try {
    const scaleToZero = await startPlatformProcess({
      kind: 'scale-to-zero',
      options: {
        startupDelayMs: settings.startupDelayMs,
        idleMs: settings.idleMs,
        maxRequestDurationMs: settings.maxRequestDurationMs,
        concurrency: DEMO_CONCURRENCY,
        maxInstances: DEMO_MAX_INSTANCES,
        standby: DEMO_MAX_INSTANCES,
        http2: options.http2 ?? false,
      },
    });
    started.push(scaleToZero);
    const alwaysOn = await startPlatformProcess({ kind: 'always-on', options: { replicas: 2, http2: options.http2 ?? false } });
    started.push(alwaysOn);
    options.onPlatforms?.({ 'scale-to-zero': scaleToZero.url, 'always-on': alwaysOn.url });
    const plan = await loadScenarioFile(options.scenarioFile ?? DEMO_SCENARIO, {
      env: {
        ...process.env,
        DEMO_SCALE_TO_ZERO_URL: scaleToZero.url,
        DEMO_ALWAYS_ON_URL: alwaysOn.url,
        DEMO_IDLE: `${settings.idleMs * 2}ms`,
        DEMO_HTTP_VERSION: options.http2 ? '2' : '1.1',
      },
      maxRate: options.maxRate,
    });
    return await runScenario(plan, options);
  } finally {
    await Promise.all(started.map((platform) => platform.close()));
  }
}
