/** A running flow as its body (YAML steps, or a script) drives it: the seam between flow.ts and flow-script.ts. */
import type { SampleError } from '../model/records.js';
import type { DataRow } from '../scenario/flow-data.js';
import type { RequestSpec } from '../scenario/schema.js';
import type { TimedResult } from './http.js';

/** Body kept per step for checks and extracts; a longer body is read to its end and counted, not kept. */
export const KEPT_BODY_BYTES = 4 * 1024 * 1024;

/** A step's request and response as the flow records them; monotonic ms. */
export interface StepOutcome {
  startedAt: number;
  endedAt: number;
  ttfbAt?: number;
  status?: number;
  bytes: number;
  instanceId?: string;
  error?: SampleError;
}

/** One running flow, as its body (YAML steps or a script) drives it. */
export interface FlowRun {
  readonly flow: number;
  readonly target: string;
  readonly row: DataRow | undefined;
  /** The scenario's vars, the data row, then what steps extracted. */
  readonly values: Record<string, string>;
  /** Aborted when the probe ends or the run is interrupted. */
  readonly signal: AbortSignal;
  /** Once the flow is stopped, what it records for the step that was running (a timeout at the probe's end, or the interrupt). */
  stopped(): SampleError | undefined;
  /** Think time drawn so far: a step is due at the flow's intended start plus this. */
  readonly thinkMs: number;
  dueNow(): number;
  /** One request on the flow's connection, its body kept for checks and extracts. */
  send(request: RequestSpec, stream?: 'sse' | 'ndjson'): Promise<TimedResult & { instanceId?: string }>;
  /** Writes a step's sample; its error, if any, is the step's. */
  record(step: string, due: number, outcome: StepOutcome): void;
  think(ms: number): Promise<void>;
}

/** Runs a flow to its end; returns the error that ended it early, if any. */
export type FlowBody = (run: FlowRun) => Promise<SampleError | undefined>;
