/**
 * A YAML file validated against a zod schema, with every problem reported at once and
 * located by file, line and path: shared by scenario files and criteria files.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ScenarioError, type ScenarioIssue, type YamlErrorCode } from '../model/errors.js';
import { formatPath, interpolate, type Path, type RuntimeVariables } from './interpolate.js';
import { allowedKeys, closest } from './suggest.js';

/** A problem found outside the schema (a cross-reference), before it is located in the file. */
export interface RawIssue {
  path: Path;
  message: string;
}

export interface ValidateOptions {
  env: NodeJS.ProcessEnv;
  /** Checks that name other parts of the document; runs on the raw data even when the schema fails. */
  crossCheck?: (document: unknown) => RawIssue[];
  /** The document's own variables, left for the runner (a flow step's `${token}`). */
  runtimeVariables?: (document: unknown) => RuntimeVariables;
  /** The error codes its problems carry (default: a scenario's). */
  codes?: { syntax: YamlErrorCode; invalid: YamlErrorCode };
}

export function parseValidated<S extends z.ZodType>(
  source: string,
  file: string,
  schema: S,
  jsonSchema: object,
  options: ValidateOptions,
): { data: z.output<S>; raw: unknown } {
  const codes = options.codes ?? { syntax: 'CB_SCENARIO_SYNTAX', invalid: 'CB_SCENARIO_INVALID' };
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      codes.syntax,
      doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { file, line, column: col, path: '', message: `YAML syntax error at column ${col}: ${firstLine(error.message)}` };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // The yaml package refuses an alias bomb ("Excessive alias count …") while building the value.
    throw new ScenarioError(codes.syntax, [
      { file, line: 1, column: 1, path: '', message: `the YAML cannot be expanded: ${firstLine((error as Error).message)}` },
    ]);
  }
  const issue = (path: Path, message: string, atKey = false): ScenarioIssue => ({
    file,
    ...locateNode(doc, lines, path, atKey),
    path: formatPath(path),
    message,
  });

  const interpolated = interpolate(raw, options.env, options.runtimeVariables?.(raw));
  const issues: ScenarioIssue[] = interpolated.issues.map((i) => issue(i.path, i.message));
  const unset = new Set(issues.map((i) => i.path));
  const parsed = schema.safeParse(interpolated.value, { reportInput: true });
  if (!parsed.success) {
    // A value left empty by an unset variable fails the schema too; the variable is the one problem to name.
    const fromSchema = parsed.error.issues.flatMap((i) => schemaIssues(i, interpolated.value, raw, jsonSchema, issue));
    issues.push(...fromSchema.filter((i) => !unset.has(i.path)));
  }
  issues.push(...(options.crossCheck?.(interpolated.value) ?? []).map((i) => issue(i.path, i.message)));

  if (issues.length > 0 || !parsed.success) {
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ScenarioError(codes.invalid, dedupe(issues));
  }
  return { data: parsed.data, raw };
}

function schemaIssues(
  zodIssue: z.core.$ZodIssue,
  document: unknown,
  /** The document as written: a value built from variables is shown as written, so a secret in one is never printed. */
  written: unknown,
  jsonSchema: object,
  issue: (path: Path, message: string, atKey?: boolean) => ScenarioIssue,
): ScenarioIssue[] {
  const path = zodIssue.path as Path;
  if (zodIssue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(jsonSchema, document, path);
    return zodIssue.keys.map((key) => {
      const suggestion = closest(key, allowed);
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
      return issue([...path, key], `unknown key "${key}"${hint}`, true);
    });
  }
  if (zodIssue.code === 'invalid_union' && 'note' in zodIssue && zodIssue.note === 'No matching discriminator') {
    return [issue(path, `${zodIssue.message}, got ${describe(valueAt(document, path))}`)];
  }
  const input = 'input' in zodIssue ? zodIssue.input : undefined;
  if (input === undefined && zodIssue.code === 'invalid_type') {
    return [issue(path, `missing required key; ${plainMessage(zodIssue)}`)];
  }
  // Text is shown as written (a parsed duration as "721h", not its milliseconds); with variables in it, as written and no further.
  const asWritten = valueAt(written, path);
  const shown =
    typeof asWritten === 'string' ? `${describe(asWritten)}${asWritten.includes('${') ? ' once its variables are substituted' : ''}` : describe(input);
  const got = input !== undefined && (typeof input !== 'object' || input === null) ? `, got ${shown}` : '';
  return [issue(path, `${plainMessage(zodIssue)}${got}`)];
}

/** The validator's own wording for a type it expected, instead of zod's "expected object, received null". */
const EXPECTED: Record<string, string> = {
  object: 'expected a map of keys to values',
  array: 'expected a list',
  string: 'expected a string',
  number: 'expected a number',
  boolean: 'expected true or false',
};

function plainMessage(zodIssue: z.core.$ZodIssue): string {
  if (zodIssue.code === 'invalid_type' && /received /.test(zodIssue.message)) return EXPECTED[zodIssue.expected] ?? `expected ${zodIssue.expected}`;
  return zodIssue.message.replace(/^Invalid input: /, '');
}

export function locateNode(doc: Document, lines: LineCounter, path: Path, atKey: boolean): { line: number; column: number } {
  // Walk as deep as the document goes; a missing key is reported at its parent.
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      if (!pair) break;
      const key = pair.key as Node;
      offset = key.range?.[0] ?? offset;
      if (atKey && part === path[path.length - 1]) break;
      node = pair.value;
      if (!isScalar(node) || node.range) offset = (node as Node | null)?.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof part === 'number' && node.items[part] !== undefined) {
      node = node.items[part];
      offset = (node as Node).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function valueAt(document: unknown, path: Path): unknown {
  let value = document;
  for (const part of path) value = (value as Record<string | number, unknown> | undefined)?.[part];
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.path}:${i.message}`;
    return !seen.has(key) && (seen.add(key), true);
  });
}
