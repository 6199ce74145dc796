/**
 * coldbench as a library: the scenario reader, the runner and the k6 generator, and the
 * types a flow script is written against (`import type { FlowContext } from 'coldbench'`).
 */
export type {
  FlowContext,
  FlowEvent,
  FlowRequest,
  FlowResponse,
  FlowScript,
  FlowStreamResponse,
  FlowWebSocketRequest,
  FlowWebSocketResponse,
} from './model/flow-script.js';
export type { Summary } from './model/summary.js';
export { generateK6 } from './k6/script.js';
export { runScenario, type RunOutcome, type RunScenarioOptions } from './run-scenario.js';
export { loadScenarioFile, parseScenario } from './scenario/read.js';
