/** What every probe runner is handed: its slice of the plan, where to emit, and when to stop. */
import type { Emit } from '../model/records.js';
import type { Segment } from '../model/segment.js';
import type { LoadedFlowScript } from '../model/flow-script.js';
import type { DataRow } from '../scenario/flow-data.js';
import type { Target } from '../scenario/schema.js';
import type { Rehearsal } from './warm-up.js';

export interface ProbeContext<P> {
  probe: P;
  probeName: string;
  targets: ReadonlyArray<readonly [string, Target]>;
  emit: Emit;
  signal: AbortSignal;
  /** This runner's share of the schedule; a request or stream keeps its number in the whole schedule. */
  segment: Segment;
  /** A fresh rehearsal for the warm-up's records. */
  rehearse(): Promise<Rehearsal>;
  /** Called when the warm-up is over and the measured schedule starts. */
  warmedUp(): void;
  /** What a flow's `${…}` reads besides its extracts: the scenario's vars and the probe's data rows. */
  inputs: FlowInputs;
}

export interface FlowInputs {
  vars: Readonly<Record<string, string>>;
  rows: readonly DataRow[] | undefined;
  mode: 'cycle' | 'unique';
  /** A flow written as a script (scenario/flow-script-loader.ts), instead of steps. */
  script?: LoadedFlowScript;
}
