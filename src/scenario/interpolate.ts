/**
 * `${VAR}` and `${VAR:-default}` in string values, resolved from the environment.
 * Done on parsed values, not on the raw text, so that line numbers stay right and a
 * variable's value can never inject YAML structure.
 */
export type Path = readonly (string | number)[];

export interface InterpolationIssue {
  path: Path;
  message: string;
}

/** Set by the runner for trigger commands; left in place for the shell to expand. */
const RUNTIME_VARIABLES = new Set(['COLDBENCH_ROUND', 'COLDBENCH_TARGET', 'COLDBENCH_LANE', 'COLDBENCH_URL']);

/** A value that is one reference and nothing else (`samples: ${ROUNDS}`) takes the type of what it resolves to. */
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/** Numbers and booleans only: a variable can never bring in YAML structure. */
function scalarOf(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Where a document has variables of its own (a flow step's extracts, data columns, scenario
 * vars), those names are left in place for the runner, and a name that is neither one of them
 * nor set in the environment gets the document's own message.
 */
export interface RuntimeVariables {
  /** Whether a name at this path is resolved when the document runs; undefined: the document has no variables here. */
  at(path: Path): ((name: string) => boolean) | undefined;
  missing(path: Path, name: string): string;
}

export function interpolateString(text: string, env: NodeJS.ProcessEnv, onMissing: (name: string) => void, isRuntime?: (name: string) => boolean): string {
  return text.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$$') return isRuntime ? whole : '$';
    if (RUNTIME_VARIABLES.has(name!) || isRuntime?.(name!)) return whole;
    const value = env[name!];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    onMissing(name!);
    return '';
  });
}

export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  runtime?: RuntimeVariables,
  path: Path = [],
  issues: InterpolationIssue[] = [],
): { value: unknown; issues: InterpolationIssue[] } {
  if (typeof value === 'string') {
    const names = runtime?.at(path);
    const resolved = interpolateString(
      value,
      env,
      (name) =>
        issues.push({
          path,
          message: names ? runtime!.missing(path, name) : `environment variable ${name} is not set (use \${${name}:-default} for a default)`,
        }),
      names,
    );
    return { value: WHOLE_REFERENCE.test(value) && !names ? scalarOf(resolved) : resolved, issues };
  }
  if (Array.isArray(value)) {
    return { value: value.map((item, index) => interpolate(item, env, runtime, [...path, index], issues).value), issues };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, interpolate(item, env, runtime, [...path, key], issues).value]);
    return { value: Object.fromEntries(entries), issues };
  }
  return { value, issues };
}

/** `${name}` in a text resolved when it runs, from `values`; `$$` is a literal `$`. Names were checked when the file was read. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => (whole === '$$' ? '$' : (values[name!] ?? fallback ?? '')));
}

/** Names of the environment variables a value refers to (to redact their values later). */
export function referencedVariables(value: unknown, names = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const match of value.matchAll(REFERENCE)) if (match[1]) names.add(match[1]);
  } else if (Array.isArray(value)) {
    for (const item of value) referencedVariables(item, names);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) referencedVariables(item, names);
  }
  return names;
}

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
