/**
 * The shape of summary.json: the types analysis produces and the JSON Schema published in
 * schema/summary.schema.json, from one definition.
 */
import { z } from 'zod';

const distribution = z
  .object({
    count: z.int().nonnegative().meta({ description: 'Samples behind these figures' }),
    p50: z.number(),
    p90: z.number(),
    p95: z.number(),
    p99: z.number(),
    max: z.number(),
    mean: z.number(),
  })
  .nullable()
  .meta({ description: 'Milliseconds; null when there were no samples (no data is not zero)' });

const coldStart = z.object({
  probe: z.string(),
  samples: z.int().nonnegative().meta({ description: 'Rounds attempted: first requests sent or failed to send' }),
  cold: z.int().nonnegative().meta({ description: 'First requests classified cold' }),
  warm: z.int().nonnegative().meta({ description: 'First requests that met an already warm instance' }),
  unknown: z.int().nonnegative(),
  errors: z.int().nonnegative(),
  errorsByCode: z.record(z.string(), z.int().nonnegative()),
  latencyMs: distribution.meta({ description: 'Successful first requests: intended start to complete body' }),
  ttfbMs: distribution.meta({ description: 'Successful first requests: intended start to response headers' }),
  coldLatencyMs: distribution.meta({ description: 'First requests classified cold' }),
  warmLatencyMs: distribution.meta({ description: 'Follow-up requests on the warm connection' }),
  warmTtfbMs: distribution,
  coldOverheadMs: z
    .object({ value: z.number(), coldSamples: z.int(), warmSamples: z.int() })
    .nullable()
    .meta({ description: 'Median TTFB of cold first requests minus median TTFB of warm follow-ups; null without cold samples' }),
  phasesMs: z
    .object({
      count: z.int().nonnegative(),
      dns: z.number().nullable(),
      connect: z.number().nullable(),
      tls: z.number().nullable(),
      ttfb: z.number().nullable(),
    })
    .meta({ description: 'Medians over successful first requests' }),
  journey: z
    .object({
      steps: z.array(z.string()),
      journeys: z.int().nonnegative().meta({ description: 'First journeys whose first request was answered' }),
      errors: z.int().nonnegative().meta({ description: 'Of those, journeys a later step (or a check of the first) ended early' }),
      errorsByStep: z.record(z.string(), z.int().nonnegative()),
      firstMs: distribution.meta({
        description: "Whole journeys after the trigger: from the first request's intended start to the last step's end, think time excluded",
      }),
      coldMs: distribution.meta({ description: 'Whole journeys whose first request was classified cold' }),
      warmMs: distribution.meta({ description: 'Warm follow-up journeys on the same connection' }),
    })
    .optional()
    .meta({ description: 'A probe with steps: the whole user journey whose first step is the cold request' }),
  lanes: z
    .array(
      z.object({
        lane: z.int(),
        samples: z.int().nonnegative().meta({ description: 'Rounds of this lane counted in the figures above' }),
        dropped: z.string().nullable().meta({ description: 'Why the lane was left out from then on (shared instances, never answered); null if kept' }),
      }),
    )
    .optional()
    .meta({ description: 'A target with lanes: each copy of the service the probe sampled' }),
});

const verdictStatus = z.enum(['pass', 'fail', 'inconclusive', 'insufficient', 'invalid', 'no-data']);

const sloCheck = z.object({
  metric: z.string().meta({ description: 'successRate, p50, p95, p99, …' }),
  limit: z.string().meta({ description: 'As written in the scenario, e.g. ">= 99.9%" or "< 800ms"' }),
  status: verdictStatus,
  observed: z.number().nullable(),
  bound: z.number().nullable().meta({ description: 'The 95% one-sided confidence bound the pass decision used' }),
  samples: z.int().nonnegative(),
  detail: z.string(),
  uncorrected: z
    .literal(true)
    .optional()
    .meta({ description: 'A latency check judged on latency from the send: the run (an import) holds no intended send time' }),
});

const loadStage = z.object({
  probe: z.string(),
  targetRate: z.number().meta({ description: 'Mean scheduled arrival rate, requests per second' }),
  achievedRate: z.number().meta({ description: 'Requests sent (not dropped) per second of the stage' }),
  durationMs: z.number(),
  requests: z.int().nonnegative().meta({ description: 'Requests sent: successes plus errors' }),
  successes: z.int().nonnegative(),
  errors: z.int().nonnegative(),
  errorsByClass: z.record(z.string(), z.int().nonnegative()),
  dropped: z.int().nonnegative().meta({ description: 'Due while maxInFlight requests were in flight: never sent' }),
  latencyMs: distribution.meta({ description: 'Corrected: from the intended send time (successful requests)' }),
  uncorrectedLatencyMs: distribution.meta({ description: 'From the socket write, as closed-model tools report (successful requests)' }),
  ttfbMs: distribution,
  scheduleLagMs: distribution.meta({ description: 'Socket write minus intended send time' }),
  eventLoopDelayMs: distribution.meta({ description: "coldbench's own event-loop delay during the stage" }),
  billable: z
    .object({
      instances: z.int().nonnegative().meta({ description: 'Instances (identity header) that answered in the stage' }),
      requests: z.int().nonnegative().meta({ description: 'Requests with an instance id and a measured span' }),
      busySeconds: z
        .number()
        .meta({ description: "Union over each instance of its requests' spans (socket write to response end, client-side: an upper bound)" }),
      requestBilledSeconds: z.number().meta({ description: 'Busy time with each busy period rounded up to 100 ms: request-based billing (Cloud Run)' }),
      lifetimeSeconds: z.number().meta({ description: "Each instance's first request to its last response, summed: instance-based billing, Kubernetes pods" }),
      idleSeconds: z.number().meta({ description: 'Lifetime not busy: instances kept warm between requests' }),
      perThousandRequests: z.object({ requestBilledSeconds: z.number(), lifetimeSeconds: z.number() }),
    })
    .nullable()
    .meta({ description: "Instance time the stage's requests used, measured from instance identities; null without them" }),
  peakInstances: z.int().nonnegative().nullable().meta({ description: 'Most distinct instance ids answering within one second' }),
  firstNewInstanceAfterMs: z.number().nullable().meta({ description: 'From the stage start to the first answer by an instance not seen before it' }),
  valid: z.boolean().meta({ description: 'False when the load generator, not the server, was the limit' }),
  invalidReason: z.string().nullable(),
  aborted: z.string().nullable().meta({ description: 'Why an abort rule stopped the probe during this stage' }),
  slo: z.array(sloCheck),
});

const searchStep = z.object({
  stage: z.string().meta({ description: 'The step’s load stage (step-1, step-2, …), in the order taken' }),
  rate: z.number().meta({ description: 'The rate asked, requests per second' }),
  achievedRate: z.number(),
  requests: z.int().nonnegative(),
  errors: z.int().nonnegative(),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  instances: z.int().nonnegative().nullable().meta({ description: 'Distinct instance ids that answered in the step' }),
  backlog: z.boolean().meta({ description: 'Its median latency rose by half and 25 ms from its first second to its last: a queue grew' }),
  outcome: z.enum(['held', 'broke', 'invalid']).meta({
    description:
      'held: no SLO failed and no backlog grew; broke: an SLO failed or a backlog grew; invalid: the load generator, not the server, may have caused the result',
  }),
});

const capacitySearch = z.object({
  probe: z.string(),
  steps: z.array(searchStep),
  heldRate: z.number().nullable().meta({ description: 'The highest rate a step held the SLO at; null when none did' }),
  heldStage: z.string().nullable(),
  brokenRate: z.number().nullable().meta({ description: 'The lowest rate above heldRate at which a step broke or was invalid' }),
  limit: z.enum(['slo', 'client', 'maxRate', 'budget', 'none-held']).meta({
    description:
      'What ended the search: the SLO broke above heldRate; the client lagged above it (heldRate is a lower bound); maxRate held; the time budget ran out first; or no step held',
  }),
  instances: z.int().nonnegative().nullable().meta({ description: 'Instances seen at heldRate (identity header)' }),
  rpsPerInstance: z.number().nullable().meta({ description: 'Achieved rate at heldRate ÷ its instances: what one instance holds within the SLO' }),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  kneeRate: z
    .number()
    .nullable()
    .meta({ description: 'The highest rate before p99 first doubles over its value at the lowest rate: where queueing starts; null when it never did' }),
});

const stream = z.object({
  probe: z.string(),
  protocol: z.string(),
  holdMs: z.number(),
  connections: z.int().nonnegative().meta({ description: 'Streams opened (interrupted ones excluded)' }),
  survived: z.int().nonnegative().meta({ description: 'Held to the end of the hold, or ended properly by the server, without a drop' }),
  interrupted: z
    .int()
    .nonnegative()
    .meta({ description: 'Streams the run stopped, or a crash left open (known from their checkpoints), before the hold ended: neither kept nor dropped' }),
  dropped: z.int().nonnegative().meta({ description: 'Streams with at least one drop' }),
  droppedByCause: z.record(z.string(), z.int().nonnegative()).meta({ description: 'Every dropped connection, by cause' }),
  survival: z.number().nullable().meta({ description: 'survived ÷ connections; null without connections' }),
  survivalLowerBound: z.number().nullable().meta({ description: 'One-sided 95% Clopper–Pearson lower bound of survival' }),
  survivalCurve: z.array(z.object({ atMs: z.number(), alive: z.number() })).meta({ description: 'Share of streams not yet dropped, by time since open' }),
  lostMessages: z.int().nonnegative(),
  duplicates: z.int().nonnegative(),
  malformed: z.int().nonnegative(),
  reconnects: z.int().nonnegative(),
  reconnectsToNewInstance: z.int().nonnegative(),
  events: z.int().nonnegative(),
  connectMs: distribution,
  ttfbMs: distribution,
  timeToFirstEventMs: distribution,
  gapMs: distribution,
  reconnectMs: distribution,
  peakConcurrent: z.int().nonnegative().nullable(),
  instances: z.int().nonnegative().meta({ description: 'Distinct instances that carried streams' }),
  slo: z.array(sloCheck),
});

const flowStep = z.object({
  name: z.string(),
  requests: z.int().nonnegative().meta({ description: 'Times the step ran: successes plus errors' }),
  successes: z.int().nonnegative(),
  errors: z.int().nonnegative(),
  errorsByClass: z.record(z.string(), z.int().nonnegative()).meta({ description: 'extract, check, timeout, status-5xx, …' }),
  latencyMs: distribution.meta({ description: "Corrected: from the flow's intended start plus the think time before the step, to the step's end" }),
  uncorrectedLatencyMs: distribution.meta({ description: "The step's own request, from its send" }),
  ttfbMs: distribution,
  startsAfterMs: z
    .number()
    .nullable()
    .meta({ description: "Median time from the flow's intended start to the step's send (think time included): the waterfall" }),
  slo: z.array(sloCheck),
});

const flow = z.object({
  probe: z.string(),
  targetRate: z.number().meta({ description: 'Mean scheduled rate of flow starts over the stages, per second' }),
  achievedRate: z.number().meta({ description: 'Flows started (not dropped) per second of the stages' }),
  flows: z.int().nonnegative().meta({ description: 'Flows started: successes plus errors' }),
  successes: z.int().nonnegative().meta({ description: 'Flows whose every step succeeded' }),
  errors: z.int().nonnegative(),
  dropped: z.int().nonnegative().meta({ description: 'Due while maxInFlight flows were running: never started' }),
  latencyMs: distribution.meta({
    description: "Whole flow, corrected: its last step's latency (from the flow's intended start plus the think time before that step, to its end)",
  }),
  meanThinkMs: z.number().nullable().meta({ description: 'Mean think time of the flows that ended (not in latencyMs)' }),
  eventLoopDelayMs: distribution.meta({ description: "coldbench's own event-loop delay during the flow's stages (worst stage)" }),
  valid: z.boolean().meta({ description: 'False when the load generator, not the server, was the limit' }),
  invalidReason: z.string().nullable(),
  steps: z.array(flowStep),
  slo: z.array(sloCheck),
});

const idleSweepGap = z.object({
  gapMs: z.number().meta({ description: 'The quiet time asked for before each request' }),
  requests: z.int().nonnegative().meta({ description: 'Requests sent after this gap' }),
  cold: z.int().nonnegative(),
  warm: z.int().nonnegative(),
  unknown: z.int().nonnegative().meta({ description: 'Answered, but no evidence said cold or warm' }),
  errors: z.int().nonnegative(),
  coldShare: z.number().nullable().meta({ description: 'cold ÷ (cold + warm); null when none was classified' }),
  coldShareLow: z.number().nullable().meta({ description: 'Lower end of the 95% Wilson interval of coldShare' }),
  coldShareHigh: z.number().nullable().meta({ description: 'Upper end of the 95% Wilson interval of coldShare' }),
  quietMsP50: z.number().nullable().meta({ description: "Median quiet time the requests got (the gap plus the client's own delay)" }),
  coldLatencyMs: distribution.meta({ description: 'Requests classified cold: from the intended send to the complete body' }),
  warmLatencyMs: distribution.meta({ description: 'Requests classified warm' }),
});

const idleSweep = z.object({
  probe: z.string(),
  gaps: z.array(idleSweepGap).meta({ description: 'In increasing gap order' }),
});

const capacity = z.object({
  probe: z.string(),
  connections: z.int(),
  pipelining: z.int(),
  durationMs: z.number(),
  requests: z.int().nonnegative(),
  successes: z.int().nonnegative(),
  errors: z.int().nonnegative(),
  timeouts: z.int().nonnegative(),
  non2xx: z.int().nonnegative(),
  requestsPerSecond: z.number().meta({ description: 'Maximum throughput found (closed model)' }),
  latencyMs: distribution.meta({ description: "autocannon's latency of 2xx responses (closed model: uncorrected, whole ms)" }),
  reportedLatencyMs: z
    .object({
      count: z.int().nonnegative(),
      mean: z.number(),
      max: z.number(),
      p50: z.number(),
      p75: z.number(),
      p90: z.number(),
      p97_5: z.number(),
      p99: z.number(),
      p99_9: z.number(),
    })
    .optional()
    .meta({
      description:
        "An import of autocannon's JSON result: the percentiles autocannon reported (ms, closed model, uncorrected); it keeps no samples and no histogram, so latencyMs is null",
    }),
});

const verdict = z.object({
  id: z.string().meta({ description: 'Stable id of the check, e.g. cold-start-reduction' }),
  title: z.string(),
  claim: z.string().meta({ description: 'The claim in a few words, e.g. "≥50% lower"' }),
  metric: z.string().meta({ description: 'What was compared, e.g. "cold start p50"' }),
  status: verdictStatus,
  observed: z.number().nullable(),
  threshold: z.number(),
  ci: z.object({ low: z.number(), high: z.number(), confidence: z.number() }).nullable(),
  samples: z.record(z.string(), z.int().nonnegative()).meta({ description: 'Samples behind the verdict, per target' }),
  values: z.record(z.string(), z.number().nullable()).meta({ description: 'The compared statistic per target, in `unit`' }),
  unit: z.enum(['ms', 'share', 'per-second']).meta({ description: 'Unit of `values`' }),
  observedUnit: z.enum(['ratio', 'multiplier', 'per-second', 'share', 'cold-share']).meta({
    description:
      'Unit of `observed` and `threshold`: ratio (candidate ÷ baseline), multiplier (stage rate ÷ baseline stage rate), per-second (achieved rate), share (judged on its lower bound), cold-share (judged on its interval)',
  }),
  detail: z.string(),
});

const summarySchema = z.object({
  schemaVersion: z.literal(1),
  runId: z.string(),
  scenario: z.string(),
  status: z.enum(['running', 'completed', 'interrupted', 'failed']),
  interrupted: z.boolean(),
  incomplete: z.array(z.string()).meta({ description: 'Why the data may be partial; empty when whole' }),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  targets: z.record(
    z.string(),
    z.object({
      coldStart: coldStart.optional(),
      load: z.record(z.string(), loadStage).optional().meta({ description: 'Per stage name' }),
      capacity: capacity.optional(),
      capacitySearch: capacitySearch
        .optional()
        .meta({ description: 'A load probe with search: the highest rate its SLO held at, per instance, and the steps that found it' }),
      stream: stream.optional(),
      flow: z.record(z.string(), flow).optional().meta({ description: 'Per flow probe name' }),
      idleSweep: idleSweep.optional().meta({ description: 'The cold share after each quiet time: how often a user meets a cold start' }),
      http2: z
        .object({
          connections: z.int().nonnegative(),
          h2: z.int().nonnegative().meta({ description: 'Connections that spoke HTTP/2' }),
          http1: z.int().nonnegative().meta({ description: 'Connections that fell back to HTTP/1.1 (the server offered only that)' }),
        })
        .optional()
        .meta({ description: 'A target that asked for HTTP/2 (http.version 2): what its connections spoke, as ALPN settled it, not as configured' }),
    }),
  ),
  client: z
    .record(z.string(), z.record(z.string(), distribution))
    .meta({ description: "coldbench's own event-loop delay, per probe and stage (a load stage's name, else the probe's kind)" }),
  sinks: z
    .array(
      z.object({
        name: z.string(),
        delivered: z.int().nonnegative(),
        dropped: z.int().nonnegative(),
        failed: z.int().nonnegative(),
        error: z.string().optional(),
        note: z.string().optional(),
      }),
    )
    .meta({
      description: 'Where the records went as the run went (run directory, progress, InfluxDB): delivered, dropped, failed, and what each said at the end',
    }),
  verdicts: z.array(verdict),
  unjudgedSlos: z.array(z.string()).meta({
    description: 'Probe SLOs (target probe/stage) that no verdict judges: declared but not judged. Empty when the verdicts were derived from the SLOs',
  }),
});

export type Summary = z.infer<typeof summarySchema>;
export type ColdStartSummary = z.infer<typeof coldStart>;
export type VerdictResult = z.infer<typeof verdict>;
export type VerdictStatus = z.infer<typeof verdictStatus>;
export type LoadStageSummary = z.infer<typeof loadStage>;
export type SloCheck = z.infer<typeof sloCheck>;
export type CapacitySummary = z.infer<typeof capacity>;
export type StreamSummary = z.infer<typeof stream>;
export type FlowSummary = z.infer<typeof flow>;
export type IdleSweepSummary = z.infer<typeof idleSweep>;
export type CapacitySearchSummary = z.infer<typeof capacitySearch>;
export type FlowStepSummary = z.infer<typeof flowStep>;
export type Distribution = z.infer<typeof distribution>;

export function summaryJsonSchema(): object {
  return z.toJSONSchema(summarySchema);
}
