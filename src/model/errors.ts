/**
 * Errors that reach a user carry a stable code (like undici's UND_ERR_*), so a CI log
 * and a test can match them without depending on the wording.
 */
export type ErrorCode =
  | 'CB_SCENARIO_NOT_FOUND'
  | 'CB_SCENARIO_SYNTAX'
  | 'CB_SCENARIO_INVALID'
  | 'CB_USAGE'
  | 'CB_RUN_DIR_INVALID'
  | 'CB_RUN_FORMAT'
  | 'CB_INFLUX_WRITE'
  | 'CB_MERGE_MISMATCH'
  | 'CB_IMPORT_EMPTY'
  | 'CB_IMPORT_UNREADABLE'
  | 'CB_IMPORT_TOO_MANY'
  | 'CB_IMPORT_UNORDERED'
  | 'CB_COMPARE_MISMATCH'
  | 'CB_RUN_INCOMPLETE'
  | 'CB_SAMPLES_DAMAGED'
  | 'CB_OUTPUT_UNWRITABLE'
  | 'CB_OUTPUT_FULL'
  | 'CB_DATA_NOT_FOUND'
  | 'CB_DATA_MALFORMED'
  | 'CB_SCRIPT_NOT_FOUND'
  | 'CB_SCRIPT_COMPILE'
  | 'CB_SCRIPT_IMPORT'
  | 'CB_SCRIPT_NO_FUNCTION'
  | 'CB_PRICES_NOT_FOUND'
  | 'CB_PRICES_SYNTAX'
  | 'CB_PRICES_INVALID'
  | 'CB_COST_UNMEASURED';

const RUN_FAILURES: readonly ErrorCode[] = ['CB_RUN_INCOMPLETE', 'CB_SAMPLES_DAMAGED', 'CB_INFLUX_WRITE', 'CB_OUTPUT_FULL'];

export class CbError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CbError';
  }

  /** Bad input is 3; a run that did not complete, or whose results could not be delivered, is 4. */
  get exitCode(): number {
    return RUN_FAILURES.includes(this.code) ? ExitCode.runFailed : ExitCode.badInput;
  }
}

/** The codes a validated YAML file's problems carry: a scenario's (and a criteria file's), or a price sheet's. */
export type YamlErrorCode = 'CB_SCENARIO_SYNTAX' | 'CB_SCENARIO_INVALID' | 'CB_PRICES_SYNTAX' | 'CB_PRICES_INVALID';

/** One problem found in a scenario file, located as precisely as the YAML allows. */
export interface ScenarioIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path into the document, e.g. `probes[0].samples`. */
  path: string;
  message: string;
}

function formatScenarioIssue(issue: ScenarioIssue): string {
  const where = issue.path ? ` ${issue.path}:` : '';
  return `${issue.file}:${issue.line}${where} ${issue.message}`;
}

export class ScenarioError extends CbError {
  constructor(
    code: YamlErrorCode,
    readonly issues: readonly ScenarioIssue[],
  ) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(code, `scenario has ${count}`, issues.map(formatScenarioIssue));
    this.name = 'ScenarioError';
  }
}

/** Exit codes, documented in README.md. */
export const ExitCode = {
  pass: 0,
  fail: 1,
  inconclusive: 2,
  badInput: 3,
  runFailed: 4,
  /** coldbench itself broke (a bug, or an error nothing expected): never read as a verdict. */
  crashed: 5,
} as const;
