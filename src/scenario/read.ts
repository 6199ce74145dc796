/**
 * scenario file → validated Plan. Every problem is collected and reported at once,
 * each with file, line and path.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { CbError } from '../model/errors.js';
import { referencedVariables, type Path } from './interpolate.js';
import { PROBE_KINDS } from '../model/probe-kinds.js';
import { PROBE_PLANS, type Plan } from './plan.js';
import { asRecord, verdictReferenceIssues } from './verdict-references.js';
import { basicCredentials } from './request.js';
import { scenarioJsonSchema, scenarioSchema, type Scenario } from './schema.js';
import { parseValidated, type RawIssue } from './yaml-document.js';
import { formatMs, formatRate, parseDuration, parseRate } from '../model/units.js';

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
  const substitutions = Object.fromEntries([...referencedVariables(raw)].flatMap((name) => (env[name] ? [[name, env[name]] as const] : [])));
  return { file, source, scenario: data, substitutions: { ...substitutions, ...urlCredentials(data) } };
}

/**
 * A target URL's password, and the Basic credential sent for it, are secrets like any
 * substituted token: named here so that the redactor scrubs them wherever they are echoed.
 */
function urlCredentials(scenario: Scenario): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, target] of Object.entries(scenario.targets)) {
    const { username, password } = new URL(target.url);
    if (!username && !password) continue;
    // A user with no password is a token (https://ghp_…@host), as secret as a password.
    out[`${name} url password`] = decodeURIComponent(password || username);
    const basic = basicCredentials(target.url);
    if (basic) out[`${name} url basic auth`] = basic;
  }
  return out;
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
  // One summary section per probe kind and target keeps verdicts unambiguous.
  for (const kind of PROBE_KINDS.filter((k) => PROBE_PLANS[k].onePerScenario)) {
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
  const probeKinds = new Set(probes.map((p) => asRecord(p).kind).filter((kind): kind is string => typeof kind === 'string'));
  issues.push(
    ...verdictReferenceIssues(doc.verdicts, {
      targets: targetNames,
      stages,
      probeKinds,
      unknownTarget: (name) => `unknown target "${name}" (targets: ${known})`,
      unknownStage: (name) => `no load stage named "${name}" (stages: ${[...stages.keys()].join(', ') || 'none'})`,
    }),
  );
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

function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
