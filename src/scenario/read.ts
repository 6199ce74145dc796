/**
 * scenario file → validated Plan. Every problem is collected and reported at once,
 * each with file, line and path.
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { CbError } from '../model/errors.js';
import { formatPath, referencedVariables, type Path, type RuntimeVariables } from './interpolate.js';
import { laneCountOf } from './lanes.js';
import { readFlowData, type FlowData } from './flow-data.js';
import { loadFlowScripts } from './flow-script-loader.js';
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
  /** Where data files named in the scenario are found (default: the current directory). */
  baseDir?: string;
}

export async function loadScenarioFile(file: string, options: LoadOptions = {}): Promise<Plan> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CbError('CB_SCENARIO_NOT_FOUND', `cannot read scenario ${file}: ${reason}`);
  }
  const plan = parseScenario(source, displayName(file), { baseDir: dirname(file), ...options });
  return loadFlowScripts(plan, dirname(file));
}

export function parseScenario(source: string, file: string, options: LoadOptions = {}): Plan {
  const env = options.env ?? process.env;
  const data = new Map<number, FlowData>();
  let dataError: unknown;
  const { data: scenario, raw } = parseValidated(source, file, scenarioSchema, scenarioJsonSchema(), {
    env,
    crossCheck: (document) => crossReferenceIssues(document, options.maxRate),
    runtimeVariables: (document) => {
      try {
        for (const [index, name] of flowDataFiles(document)) data.set(index, readFlowData(name, options.baseDir ?? '.'));
      } catch (error) {
        dataError = error;
      }
      return flowVariables(document, data, dataError !== undefined);
    },
  });
  if (dataError) throw dataError;
  const substitutions = Object.fromEntries([...referencedVariables(raw)].flatMap((name) => (env[name] ? [[name, env[name]] as const] : [])));
  return {
    file,
    source,
    scenario,
    substitutions: { ...substitutions, ...urlCredentials(scenario), ...secretDataCells(data) },
    flowData: new Map([...data].map(([index, { rows }]) => [index, rows])),
  };
}

/** The data file each flow probe names, by probe index. */
function flowDataFiles(document: unknown): Array<[number, string]> {
  const probes = asRecord(document).probes;
  return (Array.isArray(probes) ? probes : []).flatMap((probe, index) => {
    const { kind, data } = asRecord(probe);
    const name = typeof data === 'string' ? data : asRecord(data).file;
    return kind === 'flow' && typeof name === 'string' && name ? [[index, name] as [number, string]] : [];
  });
}

/**
 * What a flow step's `${…}` may name: an extract of an earlier step, a column of the flow's
 * data file, a scenario var (else the environment, resolved now). Unreadable data accepts any
 * name, so that the data file's own error is the one reported. Steps are a flow's, a cold-start
 * probe's, or those a stream probe runs before its stream (whose request may use them all).
 */
function flowVariables(document: unknown, data: ReadonlyMap<number, FlowData>, dataUnreadable: boolean): RuntimeVariables {
  const doc = asRecord(document);
  const vars = Object.keys(asRecord(doc.vars));
  const probes = Array.isArray(doc.probes) ? doc.probes : [];
  const stepsAt = (path: Path) => {
    const [root, i, field, j] = path;
    if (root !== 'probes' || typeof i !== 'number') return undefined;
    const probe = asRecord(probes[i]);
    const steps = probe[probe.kind === 'stream' ? 'before' : 'steps'];
    if (!Array.isArray(steps) || !['flow', 'coldstart', 'stream'].includes(probe.kind as string)) return undefined;
    if (field === (probe.kind === 'stream' ? 'before' : 'steps') && typeof j === 'number') {
      return { i, steps: steps as unknown[], j, where: `step "${asRecord(steps[j]).name}"`, rest: path.slice(4) };
    }
    if (probe.kind === 'stream' && field === 'request')
      return { i, steps: steps as unknown[], j: steps.length, where: "the stream's request", rest: path.slice(3) };
    return undefined;
  };
  return {
    at(path) {
      const at = stepsAt(path);
      if (!at) return undefined;
      const extracted = at.steps.slice(0, at.j).flatMap((step) => Object.keys(asRecord(asRecord(step).extract)));
      const columns = data.get(at.i)?.columns ?? [];
      const known = new Set([...extracted, ...columns, ...vars]);
      return (name) => dataUnreadable || known.has(name);
    },
    missing(path, name) {
      const at = stepsAt(path)!;
      const later = at.steps.slice(at.j).some((s) => name in asRecord(asRecord(s).extract));
      const hint = later ? ` (${at.where} or a later one extracts it: only earlier steps' extracts are known here)` : '';
      return `unknown variable \${${name}} in ${at.where} (${formatPath(at.rest)}): not an extract of an earlier step, a data column, a scenario var or a set environment variable${hint}`;
    },
  };
}

/** Data cells of columns named like secrets (password, token, secret, key) are redacted wherever they are echoed. */
function secretDataCells(data: ReadonlyMap<number, FlowData>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { file, columns, rows } of data.values()) {
    for (const column of columns.filter((c) => /pass|secret|token|key|auth/i.test(c))) {
      rows.forEach((row, index) => {
        if (row[column]) out[`${file} row ${index + 1} ${column}`] = row[column]!;
      });
    }
  }
  return out;
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
  issues.push(...laneIssues(asRecord(doc.targets), probes));
  const stages = loadStageIssues(probes, maxRate, issues);
  probes.forEach((probe, i) => flowStepIssues(asRecord(probe), i, issues));
  probes.forEach((probe, i) => capacitySearchIssues(asRecord(probe), i, maxRate, issues));
  issues.push(...searchTargetIssues(probes, targetNames));
  issues.push(...flowVerdictIssues(doc.verdicts, probes), ...coldShareIssues(doc.verdicts, probes));
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

/** Lane k of every target is sampled together: the targets of a cold-start probe or an idle sweep need as many lanes each. */
function laneIssues(targets: Record<string, unknown>, probes: unknown[]): RawIssue[] {
  const issues = new Map<string, RawIssue>();
  for (const probe of probes.map(asRecord).filter((p) => p.kind === 'coldstart' || p.kind === 'idleSweep')) {
    const names = Array.isArray(probe.targets) ? probe.targets.filter((name): name is string => name in targets) : Object.keys(targets);
    const counts = names.map((name) => [name, laneCountOf(asRecord(targets[name]).lanes)] as const);
    if (new Set(counts.map(([, count]) => count)).size <= 1) continue;
    const listed = counts.map(([name, count]) => `${name} has ${count}`).join(', ');
    for (const [name] of counts.filter(([name]) => asRecord(targets[name]).lanes !== undefined)) {
      issues.set(name, { path: ['targets', name, 'lanes'], message: `cold-start lanes pair up across targets, so each needs as many: ${listed}` });
    }
  }
  return [...issues.values()];
}

/** A coldShareAt verdict judges one of the idle sweep's gaps. */
function coldShareIssues(verdicts: unknown, probes: unknown[]): RawIssue[] {
  const sweep = probes.map(asRecord).find((p) => p.kind === 'idleSweep');
  const gaps = Array.isArray(sweep?.gaps) ? sweep.gaps.filter((gap): gap is string => typeof gap === 'string') : [];
  if (gaps.length === 0) return [];
  const known = new Set(gaps.map(parseDuration));
  return (Array.isArray(verdicts) ? verdicts : []).flatMap((entry, i) => {
    const gap = asRecord(asRecord(entry).coldShareAt).gap;
    if (typeof gap !== 'string' || parseDuration(gap) === undefined || known.has(parseDuration(gap))) return [];
    return [{ path: ['verdicts', i, 'coldShareAt', 'gap'], message: `the idle sweep has no gap of ${gap} (gaps: ${gaps.join(', ')})` }];
  });
}

/**
 * Stage names must be unique across load probes (summaries and verdicts name stages alone);
 * rates stay under --max-rate; a stage must send at least one request.
 */
function loadStageIssues(probes: unknown[], maxRate: number | undefined, issues: RawIssue[]): Map<string, { hasSlo: boolean }> {
  const stages = new Map<string, { hasSlo: boolean }>();
  probes.forEach((probe, i) => {
    const record = asRecord(probe);
    if ((record.kind !== 'load' && record.kind !== 'flow') || !Array.isArray(record.stages)) return;
    // A flow's stages are its own (its summary is per flow); load stages are named alone by verdicts.
    const names = record.kind === 'load' ? stages : new Map<string, { hasSlo: boolean }>();
    let previousRate = 0;
    record.stages.forEach((stage, j) => {
      const s = asRecord(stage);
      const path: Path = ['probes', i, 'stages', j];
      if (typeof s.name === 'string') {
        if (names.has(s.name)) issues.push({ path: [...path, 'name'], message: `stage name "${s.name}" is used twice` });
        names.set(s.name, { hasSlo: record.slo !== undefined });
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

/** A load probe takes stages or a capacity search; a search needs the SLO it holds, and rates it may ask. */
function capacitySearchIssues(probe: Record<string, unknown>, index: number, maxRate: number | undefined, issues: RawIssue[]): void {
  if (probe.kind !== 'load') return;
  const path: Path = ['probes', index];
  if ((probe.stages === undefined) === (probe.search === undefined)) {
    issues.push({ path, message: 'a load probe takes exactly one of stages or search' });
  }
  if (probe.search === undefined) return;
  if (probe.slo === undefined) issues.push({ path, message: 'a capacity search needs an slo: it finds the highest rate the slo holds at' });
  if (probe.abort !== undefined)
    issues.push({ path: [...path, 'abort'], message: 'a capacity search stops raising the rate at its first broken step: abort does not apply' });
  const search = asRecord(probe.search);
  const rateOf = (key: string) => (typeof search[key] === 'string' ? parseRate(search[key]) : undefined);
  const [from, max] = [rateOf('from'), rateOf('maxRate')];
  if (from !== undefined && max !== undefined && from > max)
    issues.push({ path: [...path, 'search', 'from'], message: `from ${search.from} is above maxRate ${search.maxRate}` });
  if (from === 0) issues.push({ path: [...path, 'search', 'from'], message: 'a search starts at a rate above 0' });
  if (maxRate !== undefined && max !== undefined && max > maxRate) {
    issues.push({ path: [...path, 'search', 'maxRate'], message: `${search.maxRate} exceeds --max-rate ${formatRate(maxRate)}` });
  }
}

/** A search's steps are stages named step-1, step-2, … in each of its targets' load summary: two searches may not share a target. */
function searchTargetIssues(probes: unknown[], targetNames: string[]): RawIssue[] {
  const searchedBy = new Map<string, number>();
  return probes.flatMap((probe, i) => {
    const p = asRecord(probe);
    if (p.kind !== 'load' || p.search === undefined) return [];
    const names = Array.isArray(p.targets) ? p.targets.filter((name): name is string => typeof name === 'string') : targetNames;
    const shared = names.filter((name) => searchedBy.has(name));
    const earlier = shared.length ? searchedBy.get(shared[0]!) : undefined;
    for (const name of names) searchedBy.set(name, i);
    return shared.length
      ? [{ path: ['probes', i, 'search'], message: `probes[${earlier}] searches ${shared.join(', ')} already: one capacity search per target` }]
      : [];
  });
}

/** Step names are unique in a flow and apart from its stages and the flow itself (they share the histogram's stage field); events come from streams. */
function flowStepIssues(probe: Record<string, unknown>, index: number, issues: RawIssue[]): void {
  if (probe.kind === 'flow' && (probe.steps === undefined) === (probe.script === undefined)) {
    issues.push({ path: ['probes', index], message: 'a flow takes exactly one of steps or script' });
  }
  if (probe.kind === 'coldstart' && probe.steps !== undefined && probe.request !== undefined) {
    issues.push({ path: ['probes', index, 'request'], message: 'a cold-start probe takes request or steps, not both: the first step is the cold request' });
  }
  const field = probe.kind === 'stream' ? 'before' : 'steps';
  const steps = probe[field];
  if (!['flow', 'coldstart', 'stream'].includes(probe.kind as string) || !Array.isArray(steps)) return;
  const stageNames = new Set((Array.isArray(probe.stages) ? probe.stages : []).map((stage) => asRecord(stage).name));
  const seen = new Set<unknown>();
  steps.forEach((step, j) => {
    const s = asRecord(step);
    const path: Path = ['probes', index, field, j];
    if (seen.has(s.name)) issues.push({ path: [...path, 'name'], message: `step name "${s.name}" is used twice` });
    else if (s.name === 'flow' || stageNames.has(s.name)) {
      issues.push({
        path: [...path, 'name'],
        message: `"${s.name}" names ${s.name === 'flow' ? 'the whole flow' : 'a stage of this flow'}: pick another step name`,
      });
    }
    seen.add(s.name);
    for (const [name, spec] of Object.entries(asRecord(s.extract))) {
      if ('event' in asRecord(spec) || 'path' in asRecord(spec)) {
        if (s.stream === undefined)
          issues.push({
            path: [...path, 'extract', name],
            message: 'an extract from an event needs the step to read a stream (stream: sse, ndjson or websocket)',
          });
        else if (s.stream === 'websocket' && 'event' in asRecord(spec))
          issues.push({ path: [...path, 'extract', name, 'event'], message: 'WebSocket messages have no event type: extract { path } from the last message' });
      }
    }
    for (const field of ['send', 'until'] as const) {
      if (s[field] !== undefined && s.stream !== 'websocket') {
        issues.push({ path: [...path, field], message: `${field} is for WebSocket steps (stream: websocket)` });
      }
    }
  });
}

/** A flowSlo verdict names a flow probe (its name, else flow or flow-N) and one of its steps. */
function flowVerdictIssues(verdicts: unknown, probes: unknown[]): RawIssue[] {
  const flows = new Map<string, unknown[]>();
  const flowCount = probes.filter((p) => asRecord(p).kind === 'flow').length;
  probes.forEach((probe, i) => {
    const p = asRecord(probe);
    if (p.kind !== 'flow') return;
    const name = typeof p.name === 'string' ? p.name : flowCount > 1 ? `flow-${i + 1}` : 'flow';
    flows.set(
      name,
      (Array.isArray(p.steps) ? p.steps : []).map((step) => asRecord(step).name),
    );
  });
  return (Array.isArray(verdicts) ? verdicts : []).flatMap((entry, i) => {
    const spec = asRecord(asRecord(entry).flowSlo);
    const steps = typeof spec.flow === 'string' ? flows.get(spec.flow) : undefined;
    if (typeof spec.flow === 'string' && flows.size > 0 && !steps) {
      return [{ path: ['verdicts', i, 'flowSlo', 'flow'], message: `no flow probe named "${spec.flow}" (flows: ${[...flows.keys()].join(', ')})` }];
    }
    if (steps && spec.step !== undefined && !steps.includes(spec.step)) {
      return [{ path: ['verdicts', i, 'flowSlo', 'step'], message: `flow "${spec.flow}" has no step "${String(spec.step)}" (steps: ${steps.join(', ')})` }];
    }
    return [];
  });
}

function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
