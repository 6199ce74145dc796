/**
 * The one definition of a scenario file. Validation, the typed plan and the published
 * JSON Schema (schema/scenario.schema.json) all come from it, so they cannot drift apart.
 * Objects are strict: an unknown key is an error, because a typo must not silently
 * change a benchmark.
 */
import { z } from 'zod';
import { CbError } from '../model/errors.js';
import type { Comparison } from '../model/records.js';
import type { ProbeKind } from '../model/probe-kinds.js';
import type { VerdictKind, VerdictSpec, VerdictSpecs } from '../model/verdict-specs.js';
import { parseComparison, parseDuration, parsePercent, parseRate } from '../model/units.js';

/** A string field that `parse` turns into a value; `expected` is the error message's noun phrase. */
function parsed<T>(parse: (text: string) => T | undefined, expected: string, description: string) {
  return z
    .string({ error: `expected ${expected}` })
    .transform((text, ctx) => {
      const value = parse(text);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${expected}` });
        return z.NEVER;
      }
      return value;
    })
    .meta({ description });
}

/** Beyond these a value is a typo, not a plan: refused with the bound, rather than a timer that never fires or a billion sockets. */
const MAX_DURATION_MS = 30 * 24 * 3_600_000;
const MAX_CONNECTIONS = 100_000;

function duration(what = 'a duration like 500ms, 2s or 15m') {
  return parsed(parseDuration, what, 'Duration: a number with a unit (us, ms, s, m, h), e.g. 500ms, 2s, 15m, 1h30m, at most 30 days').refine(
    (ms) => ms <= MAX_DURATION_MS,
    { message: 'expected a duration of at most 30 days (720h)' },
  );
}

function positiveDuration() {
  return duration('a positive duration like 500ms, 2s or 15m').refine((ms) => ms > 0, { message: 'expected a positive duration' });
}

export const percent = parsed(parsePercent, 'a percentage between 0% and 100%, like 50%', 'Percentage, e.g. 50% or 99.9%');

const positiveInt = z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const nonNegativeInt = z.int({ error: 'expected a whole number ≥ 0' }).nonnegative({ error: 'expected a whole number ≥ 0' });
/** Sockets, streams or requests in flight per target. */
const connectionCount = positiveInt.max(MAX_CONNECTIONS, { error: `expected at most ${MAX_CONNECTIONS.toLocaleString('en')}` });
export const nonEmptyString = z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' });
// CR, LF or NUL in a header or path would split the request on the wire: refused here, not sent.
const HEADER_NAME = "a header name is letters, digits and !#$%&'*+-.^_`|~, with no spaces or line breaks";
const headers = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: HEADER_NAME }),
  z.string({ error: 'expected a header value as a string' }).regex(/^[^\r\n\0]*$/, { message: 'a header value cannot hold a line break or NUL' }),
  { error: (issue) => (issue.code === 'invalid_type' ? 'expected a map of header names to values' : issue.code === 'invalid_key' ? HEADER_NAME : undefined) },
);

const httpUrl = z
  .string({ error: 'expected an http:// or https:// URL' })
  .refine((text) => /^https?:\/\/[^\s/]+/.test(text) && URL.canParse(text), { message: 'expected an http:// or https:// URL' });

const targetName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, {
  message: 'target names start with a letter and use letters, digits, - and _',
});

const httpCheck = z.strictObject({
  url: z
    .union([httpUrl, z.string().regex(/^\/\S*$/)], { error: 'expected an http:// or https:// URL, or a path like /status under the lane or target URL' })
    .meta({ description: 'A URL, or a path under the URL being made cold (the lane, else the target)' }),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  status: z.int().min(100).max(599).default(200).meta({ description: 'Status the check must return' }),
  bodyMatches: z
    .string()
    .refine((text) => isValidRegExp(text), { message: 'expected a valid regular expression' })
    .optional()
    .meta({ description: 'Regular expression the response body must match, e.g. "\\"instances\\":0"' }),
});

const waitFor = z
  .strictObject({
    command: nonEmptyString.optional().meta({ description: 'Shell command that must exit 0' }),
    http: httpCheck.optional(),
    timeout: positiveDuration().prefault('5m'),
    interval: positiveDuration().prefault('1s'),
  })
  .refine((w) => (w.command === undefined) !== (w.http === undefined), {
    message: 'waitFor takes exactly one of command or http',
  });

const trigger = z.strictObject({
  idle: duration().optional().meta({ description: 'Wait this long since the last request to the target (scale-to-zero idle timeout plus margin)' }),
  command: nonEmptyString.optional().meta({ description: 'Shell command run before each sample; COLDBENCH_ROUND and COLDBENCH_TARGET are set' }),
  timeout: positiveDuration().prefault('5m').meta({ description: 'Limit for the trigger command' }),
  waitFor: waitFor.optional(),
});

const identity = z.strictObject({
  instanceIdHeader: nonEmptyString.default('x-instance-id'),
  requestCountHeader: nonEmptyString.default('x-req-count'),
  uptimeHeader: nonEmptyString.default('x-uptime-ms'),
  coldStartHeader: nonEmptyString.default('x-keda-http-cold-start'),
  coldUptime: positiveDuration().prefault('30s').meta({ description: 'An instance younger than this at the request counts as cold' }),
  body: z
    .strictObject({
      instanceId: nonEmptyString.optional(),
      requestCount: nonEmptyString.optional(),
      uptimeMs: nonEmptyString.optional(),
      cold: nonEmptyString.optional(),
    })
    .optional()
    .meta({ description: 'Dotted paths of identity fields in a JSON response body' }),
  coldLatency: positiveDuration().optional().meta({ description: 'Last resort: a first request slower than this counts as cold' }),
});

const target = z.strictObject({
  url: httpUrl,
  headers: headers.optional(),
  timeout: positiveDuration().prefault('60s').meta({ description: 'Limit for one request, connection included' }),
  insecureSkipTLSVerify: z.boolean().default(false).meta({ description: 'Accept any TLS certificate (self-signed test deployments)' }),
  http: z
    .strictObject({
      version: z
        .union([z.literal(1.1), z.literal(2)], { error: 'expected version 1.1 or 2' })
        .default(1.1)
        .meta({
          description: '2: HTTP/2, by ALPN over TLS (falling back to HTTP/1.1 if the server offers only that) or by prior knowledge (h2c) over http://',
        }),
      maxConcurrentStreams: positiveInt.default(100).meta({ description: 'HTTP/2 streams (requests) at once on one connection' }),
    })
    .prefault({}),
  identity: identity.prefault({}),
  coldStart: z.strictObject({ trigger: trigger.prefault({}) }).optional(),
  lanes: z
    .union([
      z.array(httpUrl).min(1, { error: 'name at least one lane URL' }),
      z.strictObject({
        template: httpUrl.refine((text) => text.includes('{lane}'), { message: 'the template needs {lane}, e.g. https://api-{lane}.example.com' }),
        count: positiveInt.max(100, { error: 'expected at most 100 lanes' }),
        from: nonNegativeInt.default(1).meta({ description: 'The first lane number' }),
      }),
    ])
    .optional()
    .meta({
      description:
        'Interchangeable copies of this service for the cold-start probe, sampled concurrently (each waits its own idle): a list of URLs, or a template with {lane} and a count',
    }),
});

const request = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  path: z
    .string()
    .startsWith('/', { error: 'expected a path starting with /' })
    .regex(/^\S*$/, { message: 'a path cannot hold spaces or line breaks (encode them, e.g. %20)' })
    .default('/'),
  headers: headers.optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], { error: 'expected a string or a JSON object' }).optional(),
});

const rate = parsed(parseRate, 'a rate like 20/s, 1200/m or 50/h', 'Requests per unit of time: 20/s, 1200/m, 50/h');

function comparison(what: string, example: string, ops: readonly Comparison[], parseValue: (text: string) => number | undefined) {
  const parse = (text: string) => {
    const result = parseComparison(text, parseValue);
    return result && ops.includes(result.op) ? result : undefined;
  };
  return parsed(parse, `${what} like "${example}" (${ops.join(' or ')})`, `${what}, e.g. "${example}"`);
}

const latencyLimit = () => comparison('a latency limit', '< 800ms', ['<', '<='], parseDuration);

export const slo = z
  .strictObject({
    successRate: comparison('a success-rate floor', '>= 99.9%', ['>', '>='], parsePercent).optional(),
    p50: latencyLimit().optional(),
    p75: latencyLimit().optional(),
    p90: latencyLimit().optional(),
    p95: latencyLimit().optional(),
    p99: latencyLimit().optional(),
    p999: latencyLimit().optional(),
  })
  .meta({ description: 'Service-level objectives per target and stage; latencies are corrected (from the intended send time)' });

const stage = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'stage names use letters, digits, ., - and _' }),
    rate: rate.optional().meta({ description: 'Constant arrival rate for the whole stage' }),
    rampTo: rate.optional().meta({ description: "Ramp linearly from the previous stage's rate (0 for the first stage) to this rate" }),
    duration: positiveDuration(),
  })
  .refine((s) => (s.rate === undefined) !== (s.rampTo === undefined), { message: 'a stage takes exactly one of rate or rampTo' });

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'variable names start with a letter or _ and use letters, digits and _' });

export const JSON_PATH = /^\$(\.[A-Za-z_$][\w$-]*|\[\d+\])*$/;
const jsonPath = z.string().regex(JSON_PATH, { message: 'expected a JSON path like $.conversation.id or $.items[0].id' });

const extract = z.union(
  [
    jsonPath.transform((path) => ({ from: 'json' as const, path })),
    z.strictObject({ header: nonEmptyString }).transform(({ header }) => ({ from: 'header' as const, name: header.toLowerCase() })),
    z
      .strictObject({
        event: nonEmptyString.optional().meta({ description: 'SSE: the last event of this type (default: the last event); NDJSON: the last line' }),
        path: jsonPath.optional().meta({ description: "A JSON path into the event's data (default: the data as text)" }),
      })
      .transform(({ event, path }) => ({ from: 'event' as const, ...(event !== undefined && { event }), ...(path !== undefined && { path }) })),
  ],
  { error: 'expected a JSON path like $.token, { header: name } or { event: name, path: $.field }' },
);

export const parseThink = (text: string): ThinkTime | undefined => {
  const fixed = parseDuration(text);
  if (fixed !== undefined) return { kind: 'fixed', ms: fixed };
  const uniform = /^uniform\(\s*([^,\s]+)\s*,\s*([^)\s]+)\s*\)$/.exec(text.trim());
  if (uniform) {
    const [min, max] = [parseDuration(uniform[1]!), parseDuration(uniform[2]!)];
    return min !== undefined && max !== undefined && min <= max ? { kind: 'uniform', minMs: min, maxMs: max } : undefined;
  }
  const exponential = /^exponential\(\s*(?:mean\s+)?([^)\s]+)\s*\)$/.exec(text.trim());
  const mean = exponential ? parseDuration(exponential[1]!) : undefined;
  return mean !== undefined && mean > 0 ? { kind: 'exponential', meanMs: mean } : undefined;
};

/** A pause drawn per flow: fixed, uniform between two durations, or exponential around a mean (capped at 10× the mean). */
export type ThinkTime = { kind: 'fixed'; ms: number } | { kind: 'uniform'; minMs: number; maxMs: number } | { kind: 'exponential'; meanMs: number };

const think = parsed(
  parseThink,
  'a think time like 2s, uniform(1s, 3s) or exponential(mean 2s)',
  'Pause after the step: a duration, uniform(min, max) or exponential(mean M) (draws capped at 10× the mean)',
);

const statusCode = z.int().min(100).max(599);

const flowStep = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'step names use letters, digits, ., - and _' }),
  request: request.prefault({}),
  stream: z
    .enum(['sse', 'ndjson', 'websocket'], { error: 'expected stream sse, ndjson or websocket' })
    .optional()
    .meta({ description: 'Read the response as a stream of events to its end (extract from an event); websocket: open a WebSocket, send, read until' }),
  send: z.array(z.string()).optional().meta({ description: 'WebSocket steps: messages sent in order once open (${…} filled in)' }),
  until: nonEmptyString
    .optional()
    .meta({ description: 'WebSocket steps: the step ends at the first message containing this text (default: when the server closes)' }),
  check: z
    .strictObject({
      status: z
        .union([statusCode, z.array(statusCode).min(1)])
        .optional()
        .meta({ description: 'Status (or statuses) the step must get; default: below 400' }),
      bodyContains: z.string().optional(),
      json: z.record(jsonPath, z.unknown()).optional().meta({ description: 'JSON paths and the values they must hold' }),
    })
    .optional(),
  extract: z.record(variableName, extract).optional().meta({ description: "Variables for later steps' ${…}, from the JSON body, a header or a stream event" }),
  think: think.optional(),
  slo: slo.optional(),
});

const coldstartProbe = z.strictObject({
  kind: z.literal('coldstart'),
  name: nonEmptyString.optional(),
  request: request.prefault({}),
  steps: z.array(flowStep).min(1, { error: 'name at least one step' }).optional().meta({
    description:
      'A user journey instead of one request: its first step is the cold request, and the whole journey is timed from it (each warm follow-up runs the journey again)',
  }),
  samples: positiveInt,
  warmFollowUps: nonNegativeInt.default(10),
  targets: z.array(nonEmptyString).min(1).optional().meta({ description: 'Targets to probe; all when omitted' }),
});

const capacitySearch = z
  .strictObject({
    from: rate.meta({ description: 'The first step’s rate' }),
    maxRate: rate.meta({ description: 'The search never asks more than this' }),
    growth: z
      .number()
      .gt(1, { error: 'expected a factor above 1' })
      .default(2)
      .meta({ description: 'Each held step multiplies the rate by this, until one breaks' }),
    precision: percent
      .refine((share) => share > 0, { message: 'expected a precision above 0%' })
      .prefault('10%')
      .meta({ description: 'Then the search bisects until the broken rate is within this share above the held one' }),
    step: positiveDuration().prefault('10s').meta({ description: 'How long each rate is held' }),
    warmUp: duration()
      .prefault('0s')
      .meta({ description: 'Sent at each step’s rate before it, not judged: a scale-to-zero platform starts its instances here' }),
    pause: duration().prefault('2s').meta({ description: "Quiet time between steps, so one step's backlog is not the next one's" }),
    budget: positiveDuration().prefault('5m').meta({ description: 'No step starts that would end after this, from the first step' }),
  })
  .meta({
    description:
      'Capacity search: per target, raise the arrival rate step by step, then bisect, until the SLO breaks; the highest rate that held, with its instances (rps per instance)',
  });

const loadProbe = z.strictObject({
  kind: z.literal('load'),
  name: nonEmptyString.optional(),
  request: request.prefault({}),
  stages: z.array(stage).min(1, { error: 'name at least one stage' }).optional().meta({ description: 'The schedule; a probe takes stages or search' }),
  search: capacitySearch.optional(),
  maxInFlight: connectionCount.default(1000).meta({ description: 'Requests in flight per target; a request due beyond it is counted as dropped' }),
  connections: connectionCount
    .optional()
    .meta({ description: 'Connections per target (default: maxInFlight); requests beyond them queue before the socket write' }),
  timeout: positiveDuration().optional().meta({ description: 'Limit for one request (default: the target timeout)' }),
  client: z.enum(['lean', 'undici']).default('lean').meta({
    description:
      "HTTP/1.1 client: lean writes the fixed request as one pre-encoded buffer and reads only the response's framing (the fastest); undici uses undici's pool (the reference)",
  }),
  slo: slo.optional(),
  abort: z
    .strictObject({
      errorRate: comparison('an error-rate ceiling', '> 20%', ['>', '>='], parsePercent),
      window: positiveDuration().prefault('10s'),
      after: duration().prefault('10s').meta({ description: 'Grace period from the probe start before the rule applies' }),
    })
    .optional()
    .meta({ description: 'Stop the probe early when the error rate over the window crosses the ceiling' }),
  targets: z.array(nonEmptyString).min(1).optional(),
});

const capacityProbe = z.strictObject({
  kind: z.literal('capacity'),
  name: nonEmptyString.optional(),
  request: request.prefault({}),
  connections: connectionCount.default(50),
  pipelining: positiveInt.default(1),
  duration: positiveDuration().prefault('10s'),
  timeout: positiveDuration().prefault('10s'),
  targets: z.array(nonEmptyString).min(1).optional(),
});

const streamProbe = z.strictObject({
  kind: z.literal('stream'),
  name: nonEmptyString.optional(),
  protocol: z.enum(['sse', 'ndjson', 'websocket'], { error: 'expected protocol sse, ndjson or websocket' }),
  before: z
    .array(flowStep)
    .min(1, { error: 'name at least one step' })
    .optional()
    .meta({ description: "Flow steps run before each stream opens (sign in, open a conversation): the stream's request may use what they extract" }),
  request: request.prefault({}),
  connections: connectionCount.meta({ description: 'Streams held concurrently per target' }),
  openRate: rate.prefault('10/s').meta({ description: 'How fast the streams are opened' }),
  hold: positiveDuration().meta({ description: 'How long each stream should live; the client closes it then' }),
  checkpoint: positiveDuration()
    .prefault('5s')
    .meta({ description: 'How often an open stream writes its progress (events, gaps so far), so a crash loses at most this much' }),
  timeout: positiveDuration().optional().meta({ description: 'Limit for connecting and the response headers (default: the target timeout)' }),
  idleTimeout: positiveDuration()
    .optional()
    .meta({ description: 'A stream with no byte for this long has stalled (default: 10 × expect.eventEvery, else 30s)' }),
  reconnect: z
    .strictObject({
      enabled: z.boolean().default(false),
      maxAttempts: nonNegativeInt.default(5),
      delay: duration().prefault('0ms').meta({ description: 'Wait before reconnecting (an SSE retry field overrides it)' }),
    })
    .prefault({})
    .meta({ description: 'Reopen a dropped stream within the hold; SSE resumes with Last-Event-ID' }),
  expect: z
    .strictObject({
      eventEvery: positiveDuration().optional().meta({ description: 'The cadence the server promises' }),
      sequenceField: nonEmptyString.optional().meta({ description: 'JSON field with a message number, to count lost messages (SSE ids count too)' }),
    })
    .prefault({}),
  maxMessageBytes: positiveInt
    .default(1024 * 1024)
    .meta({ description: 'A line, event or message longer than this ends the stream as malformed (bounded memory on a hostile stream)' }),
  send: z
    .strictObject({ every: positiveDuration(), message: z.string() })
    .optional()
    .meta({ description: 'WebSocket only: application messages to send, e.g. to check an echo' }),
  slo: z
    .strictObject({
      survival: comparison('a survival floor', '>= 99.9%', ['>', '>='], parsePercent).optional(),
      gapP99: latencyLimit().optional(),
      timeToFirstEventP95: latencyLimit().optional(),
    })
    .optional(),
  targets: z.array(nonEmptyString).min(1).optional(),
});

/** A name a step's `${…}` can refer to: an extract, a data column, a scenario var. */
const flowProbe = z.strictObject({
  kind: z.literal('flow'),
  name: nonEmptyString.optional(),
  stages: z.array(stage).min(1, { error: 'name at least one stage' }).meta({ description: 'Arrival rate of flow starts (open model)' }),
  maxInFlight: connectionCount.default(1000).meta({ description: 'Flows running per target; a flow due beyond it is counted as dropped' }),
  timeout: positiveDuration().optional().meta({ description: 'Limit for one step (default: the target timeout)' }),
  data: z
    .union([
      nonEmptyString.transform((file) => ({ file, mode: 'cycle' as const })),
      z.strictObject({ file: nonEmptyString, mode: z.enum(['cycle', 'unique']).default('cycle') }),
    ])
    .optional()
    .meta({ description: 'A CSV (with a header line) or JSON (a list of objects) file, relative to the scenario: one row per flow, cycled or each used once' }),
  steps: z.array(flowStep).min(1, { error: 'name at least one step' }).optional().meta({ description: 'The flow as steps (or give a script)' }),
  script: nonEmptyString
    .optional()
    .meta({ description: 'The flow as a TypeScript or JavaScript file, relative to the scenario, exporting default async function (ctx: FlowContext)' }),
  slo: slo.optional().meta({ description: 'SLOs of the whole flow (latency from its intended start, think time excluded)' }),
  targets: z.array(nonEmptyString).min(1).optional(),
});

const idleSweepProbe = z.strictObject({
  kind: z.literal('idleSweep'),
  name: nonEmptyString.optional(),
  request: request.prefault({}),
  gaps: z
    .array(positiveDuration())
    .min(2, { error: 'name at least two gaps: the sweep is a curve' })
    .meta({ description: 'Quiet times before a request, e.g. [1m, 5m, 10m, 15m, 20m, 30m]' }),
  samples: positiveInt.meta({ description: 'Requests per gap, per target (spread over its lanes)' }),
  seed: nonNegativeInt.optional().meta({ description: 'Seed of the shuffled gap order (default: drawn and recorded)' }),
  targets: z.array(nonEmptyString).min(1).optional().meta({ description: 'Targets to sweep; all when omitted' }),
});

const probe = z.discriminatedUnion('kind', [coldstartProbe, loadProbe, capacityProbe, streamProbe, flowProbe, idleSweepProbe], {
  error: 'expected a probe with kind: coldstart, load, capacity, stream, flow or idleSweep',
});

const coldStartReduction = z.strictObject({
  baseline: nonEmptyString,
  candidate: nonEmptyString,
  metric: z.enum(['p50', 'p90', 'p95', 'p99', 'mean']).default('p50'),
  measure: z.enum(['latency', 'ttfb']).default('latency'),
  population: z.enum(['first', 'cold']).default('first').meta({
    description: 'first: every successful first request after the trigger (what a user meets after idle); cold: only samples classified cold',
  }),
  atLeast: percent,
  confidence: percent.prefault('90%'),
  resamples: z.int().min(1000).default(10_000),
  seed: z.int().default(1),
});

const loadMultiplier = z.strictObject({
  target: nonEmptyString,
  stage: nonEmptyString.meta({ description: 'The stage that must hold, e.g. 10x' }),
  baselineStage: nonEmptyString.meta({ description: "Today's load" }),
  atLeast: z.number({ error: 'expected a multiplier like 10' }).positive({ error: 'expected a positive multiplier' }),
});

const sloVerdict = z.strictObject({ target: nonEmptyString, stage: nonEmptyString });

const streamSurvival = z.strictObject({
  target: nonEmptyString.meta({ description: 'The target that must keep its streams' }),
  baseline: nonEmptyString.optional().meta({ description: 'Shown alongside for comparison' }),
  atLeast: percent.meta({ description: 'Share of streams alive at the end of the hold, e.g. 99.9%' }),
  maxLostMessages: nonNegativeInt.default(0),
});

/** Each verdict kind's schema by its key: a kind model/verdict-specs.ts names and this map lacks fails the build. */
const verdictSchemas = {
  coldStartReduction,
  loadMultiplier,
  slo: sloVerdict.meta({ description: "A load stage's SLOs on one target" }),
  streamSurvival,
  flowSlo: z
    .strictObject({ target: nonEmptyString, flow: nonEmptyString.meta({ description: "The flow probe's name" }), step: nonEmptyString.optional() })
    .meta({ description: "A flow's SLOs on one target (the flow's and every step's), or one step's" }),
  coldShareAt: z
    .strictObject({
      target: nonEmptyString,
      gap: positiveDuration().meta({ description: "One of the idle sweep's gaps, e.g. 15m" }),
      atMost: percent.meta({ description: 'The cold share allowed after that quiet time, e.g. 5%' }),
    })
    .meta({
      description: 'How often a request after `gap` of quiet meets a cold start on one target: passes when the 95% Wilson upper bound is at most `atMost`',
    }),
  capacityAtLeast: z
    .strictObject({
      target: nonEmptyString,
      atLeast: rate.meta({ description: 'The rate it must hold within its SLO, e.g. 200/s (10x today’s 20/s)' }),
      perInstance: z.boolean().default(false).meta({ description: 'Judge what one instance held (held rate ÷ its instances)' }),
    })
    .meta({
      description:
        'What a target holds within its SLO, from its capacity search: passes when a step at or above `atLeast` held, fails when one at or below it broke',
    }),
} satisfies { [K in VerdictKind]: z.ZodType<VerdictSpecs[K], unknown> };

export const verdict = z
  .strictObject(optionalFields(verdictSchemas))
  .refine((v) => Object.keys(v).length === 1, { message: 'each verdict names exactly one check, e.g. coldStartReduction' });

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string({ error: 'expected a scenario name' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: 'scenario names use letters, digits, ., - and _',
  }),
  description: z.string().optional(),
  targets: z
    .record(targetName, target, { error: 'expected a map of target names to targets' })
    .refine((t) => Object.keys(t).length > 0, { message: 'name at least one target' }),
  vars: z
    .record(variableName, z.union([z.string(), z.number(), z.boolean()]).transform(String), { error: 'expected a map of variable names to values' })
    .default({})
    .meta({ description: "Values a flow step's ${…} can use" }),
  probes: z.array(probe, { error: 'expected a list of probes' }).min(1, { error: 'name at least one probe' }),
  verdicts: z.array(verdict).default([]),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type Target = Scenario['targets'][string];
export type Identity = Target['identity'];
export type Trigger = NonNullable<Target['coldStart']>['trigger'];
export type WaitFor = NonNullable<Trigger['waitFor']>;
export type Probe = Scenario['probes'][number];
export type ColdstartProbe = Extract<Probe, { kind: 'coldstart' }>;
export type RequestSpec = ColdstartProbe['request'];
export type LoadProbe = Extract<Probe, { kind: 'load' }>;
export type CapacityProbe = Extract<Probe, { kind: 'capacity' }>;
export type Stage = FlowProbe['stages'][number];
export type StreamProbe = Extract<Probe, { kind: 'stream' }>;
export type IdleSweepProbe = Extract<Probe, { kind: 'idleSweep' }>;
export type FlowProbe = Extract<Probe, { kind: 'flow' }>;
export type FlowStep = NonNullable<FlowProbe['steps']>[number];
export type ExtractSpec = NonNullable<FlowStep['extract']>[string];

/** The schema parses probe kinds and verdicts into the stored types of model/verdict-specs.ts: a drift between the two fails the build. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const verdictsMatchTheModel: Same<Scenario['verdicts'][number], VerdictSpec> = true;
const probeKindsMatchTheModel: Same<Probe['kind'], ProbeKind> = true;
void verdictsMatchTheModel;
void probeKindsMatchTheModel;

function optionalFields<T extends Record<string, z.ZodType>>(shape: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(shape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
}

function isValidRegExp(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

export function scenarioJsonSchema(): object {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}

/**
 * SLOs given on a command line (`--slo p95='< 800ms' --slo successRate='>= 99.9%'`), for a
 * run that has no scenario (an import): checked as a scenario's `slo:` is, every problem at once.
 */
export function parseSloFlags(flags: readonly string[]): z.output<typeof slo> {
  const entries = flags.map((flag) => {
    const at = flag.indexOf('=');
    return at > 0 ? [flag.slice(0, at).trim(), flag.slice(at + 1).trim()] : [flag, undefined];
  });
  const parsedSlo = slo.safeParse(Object.fromEntries(entries));
  if (parsedSlo.success) return parsedSlo.data;
  const problems = parsedSlo.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown SLO ${issue.keys.join(', ')} (successRate, p50, p75, p90, p95, p99, p999)`
      : `${issue.path.join('.')}: ${issue.message}`,
  );
  throw new CbError('CB_USAGE', `--slo ${problems.join('; ')}; write each as NAME=LIMIT, e.g. --slo "p95=< 800ms" --slo "successRate=>= 99.9%"`);
}
