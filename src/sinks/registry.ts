/**
 * The live sinks a run feeds beside its run directory, by name: the flags that configure each
 * and how it is made from them. The CLI declares every sink's flags from here, and a run opens
 * each sink its flags ask for; a new sink is one entry. Heavy clients load only when asked for.
 */
import type { Options } from 'yargs';
import { CbError } from '../model/errors.js';
import type { Sink } from '../model/sink.js';
import type { InfluxConfig } from './influxdb.js';
import { createProgress } from './progress.js';

/** Parsed flags, camel-cased as yargs hands them over. */
export type SinkFlags = Record<string, unknown>;

interface LiveSinkFactory {
  flags: Record<string, Options>;
  /** The sink these flags ask for, or undefined when they do not. */
  create(flags: SinkFlags, env: NodeJS.ProcessEnv): Promise<Sink | undefined>;
}

export const INFLUX_FLAGS = {
  'influx-url': { type: 'string', describe: 'Write aggregated points to this InfluxDB 2 (or COLDBENCH_INFLUX_URL); the token comes from INFLUX_TOKEN only' },
  'influx-org': { type: 'string', describe: 'InfluxDB organisation (or COLDBENCH_INFLUX_ORG)' },
  'influx-bucket': { type: 'string', describe: 'InfluxDB bucket (or COLDBENCH_INFLUX_BUCKET)' },
  tag: { type: 'string', array: true, describe: 'key=value tag on every InfluxDB point (repeatable)' },
} as const satisfies Record<string, Options>;

const LIVE_SINKS = {
  progress: { flags: {}, create: async () => createProgress({ stream: process.stderr }) },
  influxdb: {
    flags: INFLUX_FLAGS,
    async create(flags, env) {
      const config = await influxConfig(flags, env);
      return config && (await import('./influxdb.js')).influxSink(config);
    },
  },
} satisfies Record<string, LiveSinkFactory>;

/** One object type with every member of a union's keys (the flags of every sink). */
type Merged<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;

/** Every live sink's flags, for the commands that run a scenario. */
export const LIVE_SINK_FLAGS = Object.assign({}, ...Object.values(LIVE_SINKS).map((factory) => factory.flags)) as Merged<
  (typeof LIVE_SINKS)[keyof typeof LIVE_SINKS]['flags']
>;

/** The live sinks the flags ask for, in the registry's order. */
export async function createLiveSinks(flags: SinkFlags, env: NodeJS.ProcessEnv = process.env): Promise<Sink[]> {
  const factories: LiveSinkFactory[] = Object.values(LIVE_SINKS);
  const sinks = await Promise.all(factories.map((factory) => factory.create(flags, env)));
  return sinks.filter((sink): sink is Sink => sink !== undefined);
}

/** InfluxDB's settings from the flags and the environment; undefined without a URL, CB_USAGE when they do not add up. */
export async function influxConfig(flags: SinkFlags, env: NodeJS.ProcessEnv = process.env): Promise<InfluxConfig | undefined> {
  const { influxConfigFrom } = await import('./influxdb.js');
  const config = influxConfigFrom(flags as Parameters<typeof influxConfigFrom>[0], env);
  if (Array.isArray(config)) throw new CbError('CB_USAGE', config.join('; '));
  return config;
}
