/**
 * scenario file → validated Plan. Every problem is collected and reported at once,
 * each with file, line and path.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { CbError } from '../model/errors.js';
import { referencedVariables, type Path } from './interpolate.js';
import { scenarioJsonSchema, scenarioSchema, type Scenario } from './schema.js';
import { parseValidated, type RawIssue } from './yaml-document.js';
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
  const { data, raw } = parseValidated(source, file, scenarioSchema, scenarioJsonSchema(), {
    env,
    crossCheck: (document) => crossReferenceIssues(document, options.maxRate),
  });
  const substitutions = Object.fromEntries(
    [...referencedVariables(raw)].flatMap((name) => (env[name] ? [[name, env[name]] as const] : [])),
  );
  return { file, source, scenario: data, substitutions: { ...substitutions, ...urlCredentials(data) } };
}

/**
 * A target URL's password, and the Basic credential sent for it, are secrets like any
 * substituted token: named here so that the redactor scrubs them wherever they are echoed.
 */
function urlCredentials(scenario: Scenario): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, target] of Object.entries(scenario.targets)) {
    const { password } = new URL(target.url);
    if (!password) continue;
    out[`${name} url password`] = decodeURIComponent(password);
    out[`${name} url basic auth`] = basicCredentials(target.url)!;
  }
  return out;
}

/** The Basic credential (base64 of user:password) a URL carries, as curl sends it; undefined without a user. */
export function basicCredentials(url: string): string | undefined {
  const { username, password } = new URL(url);
  return username ? Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64') : undefined;
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
  for (const kind of ['coldstart', 'capacity', 'stream']) {
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

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}




function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
