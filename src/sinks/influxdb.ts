/**
 * The InfluxDB sink: aggregated points (sinks/influx-points.ts) through
 * @influxdata/influxdb-client's WriteApi, set for a live run: flushed every second (its
 * default is a minute), a bounded retry buffer, a few quick retries, and a close that never
 * outlasts the run's deadline. The database being down, slow or refusing never stops the run:
 * what was not written is counted, named at the end with the command that backfills it, and
 * `coldbench export influx` writes it from the run directory afterwards.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { RunRecord } from '../model/records.js';
import { redact } from '../model/redact.js';
import { INFLUX_SCHEMA, pointBuilder, summaryPoints, type InfluxPoint } from './influx-points.js';
import type { RunEnd, RunInfo, Sink } from '../model/sink.js';
import { beforeDeadline, LATE } from './sink.js';

export interface InfluxConfig {
  url: string;
  org: string;
  bucket: string;
  /** From INFLUX_TOKEN only: never a flag, never written to a run file. */
  token?: string;
  /** User tags (`--tag key=value`), on every point. */
  tags: Record<string, string>;
}

/** What a write to InfluxDB achieved, for the sink's report and `export influx`. */
export interface InfluxWriteReport {
  points: number;
  written: number;
  /** The first error the database answered, if any. */
  error?: string;
}

const INTEGER_FIELDS = new Set([
  'sent',
  'completed',
  'errors',
  'dropped',
  'in_flight',
  'instances',
  'count',
  'status',
  'round',
  'samples',
  'open',
  'opened',
  'events',
  'drops',
]);

export function toLineProtocolPoint(point: InfluxPoint): Point {
  const out = new Point(point.measurement).timestamp(point.timestamp);
  for (const [key, value] of Object.entries(point.tags)) out.tag(key, value);
  for (const [key, value] of Object.entries(point.fields)) {
    if (typeof value === 'boolean') out.booleanField(key, value);
    else if (typeof value === 'string') out.stringField(key, value);
    else if (INTEGER_FIELDS.has(key) && Number.isInteger(value)) out.intField(key, value);
    else out.floatField(key, value);
  }
  return out;
}

/**
 * A WriteApi that counts what it wrote and keeps the first error, scrubbed of the token (a
 * server may echo the request's headers in its answer); `finish` flushes within a deadline
 * and then closes every socket, so a database that never answers cannot keep coldbench alive.
 */
export function openInfluxWriter(config: InfluxConfig, defaultTags: Record<string, string>) {
  const report: InfluxWriteReport = { points: 0, written: 0 };
  const secrets: Record<string, string> = config.token ? { INFLUX_TOKEN: config.token } : {};
  const remember = (error: Error) => (report.error ??= redact(firstLine(error.message), secrets));
  quietClientLog((error) => remember(error));
  // Each failed write by its kind (status 429, ECONNREFUSED, …): one line at the end says how the database failed, not a trace per retry.
  const failures = new Map<string, number>();
  const failed = (error: Error & { statusCode?: number; code?: string }) => {
    const kind = error.statusCode ? `status ${error.statusCode}` : (error.code ?? error.name);
    failures.set(kind, (failures.get(kind) ?? 0) + 1);
    remember(error);
  };
  const agent = new (config.url.startsWith('https:') ? HttpsAgent : HttpAgent)({ keepAlive: true });
  const writeApi: WriteApi = new InfluxDB({ url: config.url, token: config.token, timeout: 10_000, transportOptions: { agent } }).getWriteApi(
    config.org,
    config.bucket,
    'ms',
    {
      flushInterval: 1000,
      batchSize: 5000,
      maxBufferLines: 200_000,
      maxRetries: 3,
      maxRetryTime: 15_000,
      minRetryDelay: 500,
      maxRetryDelay: 5000,
      defaultTags: { ...config.tags, ...defaultTags },
      writeFailed: (error) => void failed(error),
      writeSuccess: (lines) => void (report.written += lines.length),
      writeRetrySkipped: () => void remember(new Error('the retry buffer was full')),
    },
  );
  return {
    report,
    write(points: InfluxPoint[]) {
      for (const point of points) writeApi.writePoint(toLineProtocolPoint(point));
      report.points += points.length;
    },
    /** Flushes and closes by `deadline` (epoch ms); past it, drops what is left rather than wait. */
    async finish(deadline: number): Promise<InfluxWriteReport> {
      const closed = writeApi.close().catch((error: Error) => void remember(error));
      if ((await beforeDeadline(closed, deadline)) === LATE) {
        writeApi.dispose();
        report.error ??= 'InfluxDB did not answer before the deadline';
      }
      if (failures.size) report.error += `; failed writes: ${[...failures].map(([kind, count]) => `${count}× ${kind}`).join(', ')}`;
      agent.destroy();
      return report;
    },
  };
}

export function influxSink(config: InfluxConfig): Sink {
  const builder = pointBuilder();
  let writer: ReturnType<typeof openInfluxWriter> | undefined;
  let run: RunInfo | undefined;
  return {
    name: 'influxdb',
    needsSummary: true,
    open(info) {
      run = info;
      writer = openInfluxWriter(config, { run_id: info.runId, scenario: info.scenario, runner: info.runner });
    },
    record(record: RunRecord) {
      writer!.write(builder.add(record));
    },
    async close(end: RunEnd) {
      writer!.write([...builder.finish(), ...(end.summary ? summaryPoints(end.summary) : [])]);
      // Leave the run a moment after the database's deadline to write its manifest.
      const { points, written, error } = await writer!.finish(end.deadline - 500);
      if (written === points) return `${written} points written to ${config.url}`;
      return `${points - written} of ${points} points not written to ${config.url} (${error ?? 'unknown error'}); write them with: ${backfillCommand(run!.dir, config)}`;
    },
  };
}

function backfillCommand(dir: string, config: InfluxConfig): string {
  const tags = Object.entries(config.tags)
    .map(([k, v]) => ` --tag ${k}=${v}`)
    .join('');
  return `coldbench export influx ${dir} --influx-url ${config.url} --influx-org ${config.org} --influx-bucket ${config.bucket}${tags}`;
}

/**
 * The sink's settings from flags, else COLDBENCH_INFLUX_* variables; undefined when no URL is
 * given. Returns the problems instead when the settings are partial.
 */
export function influxConfigFrom(
  flags: { influxUrl?: string; influxOrg?: string; influxBucket?: string; tag?: string[] },
  env: NodeJS.ProcessEnv = process.env,
): InfluxConfig | string[] | undefined {
  const url = flags.influxUrl ?? env.COLDBENCH_INFLUX_URL;
  if (!url) return undefined;
  const org = flags.influxOrg ?? env.COLDBENCH_INFLUX_ORG ?? '';
  const bucket = flags.influxBucket ?? env.COLDBENCH_INFLUX_BUCKET;
  const problems: string[] = [];
  if (!/^https?:\/\/[^/\s]+/.test(url) || !URL.canParse(url)) problems.push(`--influx-url expects http(s)://host:port, got "${withoutCredentials(url)}"`);
  else if (new URL(url).username || new URL(url).password) {
    // A URL is echoed in the manifest, the summary and the backfill command: credentials in it would be too.
    problems.push(`--influx-url carries credentials (${withoutCredentials(url)}): give the token in INFLUX_TOKEN instead`);
  }
  if (!bucket) problems.push('--influx-bucket (or COLDBENCH_INFLUX_BUCKET) is needed with --influx-url');
  const tags: Record<string, string> = {};
  const reserved = new Set<string>([...INFLUX_SCHEMA.commonTags, ...Object.values(INFLUX_SCHEMA.measurements).flatMap((m) => m.tags)]);
  for (const tag of flags.tag ?? []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(tag);
    if (!match) problems.push(`--tag expects key=value, got "${tag}"`);
    else if (reserved.has(match[1]!)) problems.push(`--tag ${match[1]} is one of coldbench's own tags`);
    else tags[match[1]!] = match[2]!;
  }
  if (problems.length) return problems;
  return { url: url.replace(/\/+$/, ''), org, bucket: bucket!, token: env.INFLUX_TOKEN, tags };
}

const firstLine = (text: string) => text.split('\n')[0]!;

/**
 * The client logs every failed write to the console with its stack; coldbench counts them in
 * the sink's report instead, so stderr holds one line about InfluxDB, not a trace per retry.
 */
function quietClientLog(onError: (error: Error) => void): void {
  const note = (message: string, error?: unknown) => onError(error instanceof Error ? error : new Error(message));
  setLogger({ error: note, warn: () => undefined });
}

/** A URL as it may be shown: its user and password replaced. */
function withoutCredentials(url: string): string {
  return url.replace(/^(https?:\/\/)[^/@\s]*@/, '$1***@');
}
