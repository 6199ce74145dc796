/**
 * A flow written as a script: `export default async function (ctx: FlowContext)`. The
 * context's clients go through the flow's own connection and recording (flow.ts), so a
 * script's steps are timed, classified and redacted as a YAML flow's are. A step that throws
 * is that step's error, with the script's message and line; the flow then counts as failed
 * even if the script catches it and goes on.
 */
import { ownError } from '../model/error-class.js';
import type { FlowContext, FlowRequest, FlowResponse, FlowStreamResponse, LoadedFlowScript } from '../model/flow-script.js';
import type { SampleError } from '../model/records.js';
import type { RequestSpec } from '../scenario/schema.js';
import { KEPT_BODY_BYTES, type FlowBody } from './flow-run.js';
import { streamMessages } from './flow-step.js';
import { now, type TimedResult } from './http.js';

/** Thrown through a script to end the current step with a recorded error. */
class StepFailure extends Error {
  constructor(readonly sampleError: SampleError) {
    super(sampleError.message);
  }
}

export function scriptBody(script: LoadedFlowScript): FlowBody {
  return async (run) => {
    let failure: SampleError | undefined;
    let current: { status?: number; bytes: number; instanceId?: string; ttfbAt?: number } | undefined;
    const request = async <R extends TimedResult & { instanceId?: string }>(exchange: () => Promise<R>): Promise<R> => {
      if (run.stopped()) return parked();
      const result = await exchange();
      if (current) {
        current.bytes += result.bytes;
        if (result.status !== undefined) current.status = result.status;
        if (result.instanceId !== undefined) current.instanceId = result.instanceId;
        if (result.phases.ttfb !== undefined) current.ttfbAt ??= result.startedAt + result.phases.ttfb;
      }
      if (result.error) throw new StepFailure(result.error);
      return result;
    };
    const withEvents = (result: TimedResult, format: 'sse' | 'ndjson'): FlowStreamResponse => ({
      ...response(result),
      events: streamMessages(result.body ?? '', format).map(({ event, data, id }) => ({
        data,
        ...(event !== undefined && { event }),
        ...(id !== undefined && { id }),
      })),
    });
    const ctx: FlowContext = {
      vars: run.values,
      data: run.row,
      flow: run.flow,
      target: run.target,
      signal: run.signal,
      http: async (given) => response(await request(() => run.send(toRequestSpec(given)))),
      sse: async (given) => withEvents(await request(() => run.send(toRequestSpec(given), 'sse')), 'sse'),
      ndjson: async (given) => withEvents(await request(() => run.send(toRequestSpec(given), 'ndjson')), 'ndjson'),
      async ws({ send = [], until, ...given }) {
        const result = await request(() => run.websocket(toRequestSpec(given), { send, ...(until !== undefined && { until }) }));
        return { status: result.status ?? 0, headers: result.headers, messages: result.messages };
      },
      async step(name, fn) {
        if (current) throw new StepFailure(ownError('CB_SCRIPT_ERROR', 'script', `ctx.step("${name}") inside another step: steps do not nest`));
        const due = run.dueNow();
        const startedAt = now();
        current = { bytes: 0 };
        try {
          const value = await fn();
          run.record(name, due, { startedAt, endedAt: now(), ...current });
          return value;
        } catch (thrown) {
          const error = run.stopped() ?? (thrown instanceof StepFailure ? thrown.sampleError : scriptError(thrown, script.file));
          run.record(name, due, { startedAt, endedAt: now(), ...current, error });
          failure ??= { ...error, message: `step ${name}: ${error.message}` };
          throw thrown;
        } finally {
          current = undefined;
        }
      },
      check(condition, message) {
        if (!condition) throw new StepFailure(ownError('CB_CHECK_FAILED', 'check', message));
      },
      think: (ms) => (run.stopped() ? parked() : run.think(ms)),
    };
    try {
      await script.run(ctx);
    } catch (thrown) {
      return failure ?? run.stopped() ?? (thrown instanceof StepFailure ? thrown.sampleError : scriptError(thrown, script.file));
    }
    return failure;
  };
}

/**
 * What a stopped flow's script gets from its next call: a promise that never settles. A script
 * that catches every error and loops would otherwise spin on rejections and hold the event
 * loop (and the run) forever; parked, it is let go and collected.
 */
const parked = <T>(): Promise<T> => new Promise<T>(() => undefined);

function toRequestSpec(request: FlowRequest): RequestSpec {
  return {
    method: request.method ?? 'GET',
    path: request.path,
    ...(request.headers && { headers: request.headers }),
    ...(request.body !== undefined && { body: request.body as RequestSpec['body'] }),
  };
}

function response(result: TimedResult): FlowResponse {
  const body = result.body ?? '';
  return {
    status: result.status ?? 0,
    headers: result.headers,
    body,
    json<T>() {
      if (result.bytes > KEPT_BODY_BYTES) throw new Error(`the body is longer than the ${KEPT_BODY_BYTES} bytes kept`);
      return JSON.parse(body) as T;
    },
  };
}

/**
 * What a script threw, as a step error: its message and where in the script (the first
 * stack frame in the script's file; source maps put a TypeScript script's own lines there).
 */
export function scriptError(thrown: unknown, file: string): SampleError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const name = file.split('/').at(-1)!;
  const frame = error.stack?.split('\n').find((line) => line.includes(name));
  const at = frame && /([^\s(]+):(\d+):(\d+)\)?$/.exec(frame);
  const where = at ? ` (${name}:${at[2]})` : '';
  return ownError('CB_SCRIPT_ERROR', 'script', `${error.message}${where}`);
}
