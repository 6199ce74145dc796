/**
 * Criteria files: a CI pipeline's gate kept next to the pipeline. The same verdicts a
 * scenario takes, plus criteria relative to a baseline run ("p95 no more than 10% worse
 * than main"). Names are checked against the run being gated, with file and line.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CbError } from '../model/errors.js';
import type { Path } from './interpolate.js';
import { nonEmptyString, percent, verdict } from './schema.js';
import { parseValidated, type RawIssue } from './yaml-document.js';

const relative = z.strictObject({
  target: nonEmptyString,
  metric: nonEmptyString.meta({ description: 'e.g. coldStart.latency.p50, load.10x.latency.p95, stream.gap.p99' }),
  maxIncrease: percent.meta({ description: 'How much worse than the baseline run it may be, e.g. 10%' }),
  confidence: percent.prefault('90%'),
});

export const criteriaSchema = z.strictObject({
  $schema: z.string().optional(),
  verdicts: z.array(verdict).default([]),
  relative: z.array(relative).default([]),
});

export type Criteria = z.output<typeof criteriaSchema>;

/** Published as schema/criteria.schema.json for editors. */
export function criteriaJsonSchema(): object {
  return z.toJSONSchema(criteriaSchema, { io: 'input', unrepresentable: 'any' });
}
export type RelativeCriterion = Criteria['relative'][number];

/** What the gated run offers, to check the names a criteria file uses. */
export interface KnownNames {
  targets: string[];
  stages: string[];
  metrics: string[];
}

export async function loadCriteriaFile(file: string, known: KnownNames, env: NodeJS.ProcessEnv = process.env): Promise<Criteria> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new CbError('CB_SCENARIO_NOT_FOUND', `cannot read criteria ${file}: ${(error as Error).message}`);
  }
  return parseCriteria(source, file, known, env);
}

export function parseCriteria(source: string, file: string, known: KnownNames, env: NodeJS.ProcessEnv = process.env): Criteria {
  return parseValidated(source, file, criteriaSchema, criteriaJsonSchema(), {
    env,
    crossCheck: (document) => unknownNames(document, known),
  }).data;
}

function unknownNames(document: unknown, known: KnownNames): RawIssue[] {
  const issues: RawIssue[] = [];
  const check = (value: unknown, names: string[], what: string, path: Path) => {
    if (typeof value === 'string' && !names.includes(value)) {
      issues.push({ path, message: `unknown ${what} "${value}" (this run has: ${names.join(', ') || 'none'})` });
    }
  };
  const doc = (document ?? {}) as { verdicts?: unknown; relative?: unknown };
  (Array.isArray(doc.verdicts) ? doc.verdicts : []).forEach((entry, i) => {
    for (const [kind, spec] of Object.entries((entry ?? {}) as Record<string, Record<string, unknown>>)) {
      const base: Path = ['verdicts', i, kind];
      for (const key of ['target', 'baseline', 'candidate']) check(spec?.[key], known.targets, 'target', [...base, key]);
      for (const key of ['stage', 'baselineStage']) check(spec?.[key], known.stages, 'stage', [...base, key]);
    }
  });
  (Array.isArray(doc.relative) ? doc.relative : []).forEach((entry, i) => {
    const spec = (entry ?? {}) as Record<string, unknown>;
    check(spec.target, known.targets, 'target', ['relative', i, 'target']);
    check(spec.metric, known.metrics, 'metric', ['relative', i, 'metric']);
  });
  return issues;
}
