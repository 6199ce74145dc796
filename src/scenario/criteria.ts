/**
 * Criteria files: a CI pipeline's gate kept next to the pipeline. The same verdicts a
 * scenario takes, plus criteria relative to a baseline run ("p95 no more than 10% worse
 * than main"). Names are checked against the run being gated, with file and line.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CbError } from '../model/errors.js';
import type { Criteria } from '../model/verdict-specs.js';
import { nonEmptyString, percent, verdict } from './schema.js';
import { verdictReferenceIssues } from './verdict-references.js';
import { parseValidated, type RawIssue } from './yaml-document.js';

const relative = z.strictObject({
  target: nonEmptyString,
  metric: nonEmptyString.meta({ description: 'e.g. coldStart.latency.p50, load.10x.latency.p95, stream.gap.p99' }),
  maxIncrease: percent.meta({ description: 'How much worse than the baseline run it may be, e.g. 10%' }),
  confidence: percent.prefault('90%'),
});

const criteriaSchema = z.strictObject({
  $schema: z.string().optional(),
  verdicts: z.array(verdict).default([]),
  relative: z.array(relative).default([]),
}) satisfies z.ZodType<Criteria>;

/** Published as schema/criteria.schema.json for editors. */
export function criteriaJsonSchema(): object {
  return z.toJSONSchema(criteriaSchema, { io: 'input', unrepresentable: 'any' });
}

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

function parseCriteria(source: string, file: string, known: KnownNames, env: NodeJS.ProcessEnv = process.env): Criteria {
  return parseValidated(source, file, criteriaSchema, criteriaJsonSchema(), {
    env,
    crossCheck: (document) => unknownNames(document, known),
  }).data;
}

function unknownNames(document: unknown, known: KnownNames): RawIssue[] {
  const unknown = (what: string, names: readonly string[]) => (value: string) => `unknown ${what} "${value}" (this run has: ${names.join(', ') || 'none'})`;
  const doc = (document ?? {}) as { verdicts?: unknown; relative?: unknown };
  const issues = verdictReferenceIssues(doc.verdicts, {
    targets: known.targets,
    stages: new Map(known.stages.map((stage) => [stage, {}])),
    unknownTarget: unknown('target', known.targets),
    unknownStage: unknown('stage', known.stages),
  });
  (Array.isArray(doc.relative) ? doc.relative : []).forEach((entry, i) => {
    const spec = (entry ?? {}) as Record<string, unknown>;
    if (typeof spec.target === 'string' && !known.targets.includes(spec.target))
      issues.push({ path: ['relative', i, 'target'], message: unknown('target', known.targets)(spec.target) });
    if (typeof spec.metric === 'string' && !known.metrics.includes(spec.metric))
      issues.push({ path: ['relative', i, 'metric'], message: unknown('metric', known.metrics)(spec.metric) });
  });
  return issues;
}
