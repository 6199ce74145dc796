/**
 * scenario file → validated Plan. Every problem is collected and reported at once,
 * each with file, line and path.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { CbError, ScenarioError, type ScenarioIssue } from '../errors.js';
import { formatPath, interpolate, referencedVariables, type Path } from './interpolate.js';
import { scenarioJsonSchema, scenarioSchema, type Scenario } from './schema.js';
import { allowedKeys, closest } from './suggest.js';
import { formatMs, formatRate, parseDuration, parseRate } from './units.js';

export interface Plan {
  /** Path of the scenario file as given. */
  file: string;
  /** The file's text as written, before interpolation (so it holds `${TOKEN}`, not the token). */
  source: string;
  scenario: Scenario;
  /** The environment variables the file refers to and their values, so that secrets among them can be redacted. */
  substitutions: Record<string, string>;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Hard cap on any arrival rate, in requests per second per target (the CLI's --max-rate). */
  maxRate?: number;
}

export async function loadScenarioFile(file: string, options: LoadOptions = {}): Promise<Plan> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CbError('CB_SCENARIO_NOT_FOUND', `cannot read scenario ${file}: ${reason}`);
  }
  return parseScenario(source, displayName(file), options);
}

export function parseScenario(source: string, file: string, options: LoadOptions = {}): Plan {
  const env = options.env ?? process.env;
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      'CB_SCENARIO_SYNTAX',
      doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { file, line, column: col, path: '', message: `YAML syntax error at column ${col}: ${firstLine(error.message)}` };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  const locate = (path: Path, atKey = false) => locateNode(doc, lines, path, atKey);
  const issue = (path: Path, message: string, atKey = false): ScenarioIssue => ({
    file,
    ...locate(path, atKey),
    path: formatPath(path),
    message,
  });

  const interpolated = interpolate(raw, env);
  const issues: ScenarioIssue[] = interpolated.issues.map((i) => issue(i.path, i.message));
  const parsed = scenarioSchema.safeParse(interpolated.value, { reportInput: true });
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap((i) => schemaIssues(i, interpolated.value, issue)));
  issues.push(...crossReferenceIssues(interpolated.value, options.maxRate).map((i) => issue(i.path, i.message)));

  if (issues.length > 0 || !parsed.success) {
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ScenarioError('CB_SCENARIO_INVALID', dedupe(issues));
  }
  const substitutions = Object.fromEntries(
    [...referencedVariables(raw)].flatMap((name) => (env[name] ? [[name, env[name]] as const] : [])),
  );
  return { file, source, scenario: parsed.data, substitutions };
}

function schemaIssues(
  zodIssue: z.core.$ZodIssue,
  document: unknown,
  issue: (path: Path, message: string, atKey?: boolean) => ScenarioIssue,
): ScenarioIssue[] {
  const path = zodIssue.path as Path;
  if (zodIssue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(scenarioJsonSchema(), document, path);
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
    return [issue(path, `missing required key; ${zodIssue.message.replace(/^Invalid input: /, '')}`)];
  }
  const got = input !== undefined && (typeof input !== 'object' || input === null) ? `, got ${describe(input)}` : '';
  return [issue(path, `${zodIssue.message.replace(/^Invalid input: /, '')}${got}`)];
}

interface RawIssue {
  path: Path;
  message: string;
}

/** Checks that name other parts of the scenario; done on raw data so they run even when other parts are malformed. */
function crossReferenceIssues(document: unknown, maxRate: number | undefined): RawIssue[] {
  const doc = asRecord(document);
  const targetNames = Object.keys(asRecord(doc.targets));
  const known = targetNames.join(', ') || 'none';
  const issues: RawIssue[] = [];
  const checkTarget = (value: unknown, path: Path) => {
    if (typeof value === 'string' && targetNames.length > 0 && !targetNames.includes(value)) {
      issues.push({ path, message: `unknown target "${value}" (targets: ${known})` });
    }
  };
  const probes = Array.isArray(doc.probes) ? doc.probes : [];
  const coldstartProbes = probes.flatMap((probe, i) => (asRecord(probe).kind === 'coldstart' ? [i] : []));
  // One summary section per probe kind and target keeps verdicts unambiguous.
  for (const kind of ['coldstart', 'stream']) {
    const same = probes.flatMap((probe, i) => (asRecord(probe).kind === kind ? [i] : []));
    for (const i of same.slice(1)) issues.push({ path: ['probes', i, 'kind'], message: `only one ${kind} probe per scenario` });
  }
  probes.forEach((probe, i) => {
    const p = asRecord(probe);
    if (p.kind === 'stream' && p.send !== undefined && p.protocol !== 'websocket') {
      issues.push({ path: ['probes', i, 'send'], message: 'send is for protocol websocket' });
    }
  });
  probes.forEach((probe, i) => {
    const selected = asRecord(probe).targets;
    if (Array.isArray(selected)) selected.forEach((name, j) => checkTarget(name, ['probes', i, 'targets', j]));
  });
  const stages = loadStageIssues(probes, maxRate, issues);
  const verdicts = Array.isArray(doc.verdicts) ? doc.verdicts : [];
  verdicts.forEach((verdict, i) => {
    const survival = asRecord(asRecord(verdict).streamSurvival);
    if (Object.keys(survival).length > 0) {
      const base: Path = ['verdicts', i, 'streamSurvival'];
      checkTarget(survival.target, [...base, 'target']);
      checkTarget(survival.baseline, [...base, 'baseline']);
      if (!probes.some((p) => asRecord(p).kind === 'stream')) issues.push({ path: base, message: 'streamSurvival needs a probe of kind stream' });
    }
    for (const check of ['loadMultiplier', 'slo'] as const) {
      const spec = asRecord(asRecord(verdict)[check]);
      if (Object.keys(spec).length === 0) continue;
      const base: Path = ['verdicts', i, check];
      checkTarget(spec.target, [...base, 'target']);
      for (const key of ['stage', 'baselineStage']) {
        const name = spec[key];
        if (typeof name === 'string' && !stages.has(name)) {
          issues.push({ path: [...base, key], message: `no load stage named "${name}" (stages: ${[...stages.keys()].join(', ') || 'none'})` });
        }
      }
      if (check === 'slo' && typeof spec.stage === 'string' && stages.has(spec.stage) && !stages.get(spec.stage)!.hasSlo) {
        issues.push({ path: [...base, 'stage'], message: `the load probe of stage "${spec.stage}" has no slo to judge` });
      }
    }
    const reduction = asRecord(asRecord(verdict).coldStartReduction);
    if (Object.keys(reduction).length === 0) return;
    const base: Path = ['verdicts', i, 'coldStartReduction'];
    checkTarget(reduction.baseline, [...base, 'baseline']);
    checkTarget(reduction.candidate, [...base, 'candidate']);
    if (reduction.baseline !== undefined && reduction.baseline === reduction.candidate) {
      issues.push({ path: [...base, 'candidate'], message: 'candidate and baseline must be different targets' });
    }
    if (coldstartProbes.length === 0) issues.push({ path: base, message: 'coldStartReduction needs a probe of kind coldstart' });
  });
  return issues;
}

/**
 * Stage names must be unique across load probes (summaries and verdicts name stages alone);
 * rates stay under --max-rate; a stage must send at least one request.
 */
function loadStageIssues(probes: unknown[], maxRate: number | undefined, issues: RawIssue[]): Map<string, { hasSlo: boolean }> {
  const stages = new Map<string, { hasSlo: boolean }>();
  probes.forEach((probe, i) => {
    const record = asRecord(probe);
    if (record.kind !== 'load' || !Array.isArray(record.stages)) return;
    let previousRate = 0;
    record.stages.forEach((stage, j) => {
      const s = asRecord(stage);
      const path: Path = ['probes', i, 'stages', j];
      if (typeof s.name === 'string') {
        if (stages.has(s.name)) issues.push({ path: [...path, 'name'], message: `stage name "${s.name}" is used twice` });
        stages.set(s.name, { hasSlo: record.slo !== undefined });
      }
      const key = s.rate !== undefined ? 'rate' : 'rampTo';
      const rate = typeof s[key] === 'string' ? parseRate(s[key]) : undefined;
      const duration = typeof s.duration === 'string' ? parseDuration(s.duration) : undefined;
      if (rate === undefined) return;
      if (maxRate !== undefined && rate > maxRate) {
        issues.push({ path: [...path, key], message: `${s[key]} exceeds --max-rate ${formatRate(maxRate)}` });
      }
      if (key === 'rate' && rate === 0) issues.push({ path: [...path, key], message: 'a constant stage needs a rate above 0' });
      const mean = key === 'rate' ? rate : (previousRate + rate) / 2;
      if (duration !== undefined && duration > 0 && (mean * duration) / 1000 < 1) {
        issues.push({ path: [...path, 'duration'], message: `this stage would send no request (${formatRate(mean)} for ${formatMs(duration)})` });
      }
      previousRate = rate;
    });
  });
  return stages;
}

function locateNode(doc: Document, lines: LineCounter, path: Path, atKey: boolean): { line: number; column: number } {
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

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
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

function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
