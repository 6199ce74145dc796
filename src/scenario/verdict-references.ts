/**
 * What each verdict kind names elsewhere (targets, load stages, a probe it needs), as data:
 * the scenario's cross-checks and a criteria file's name checks both read it, so a new
 * verdict kind states its references once.
 */
import type { ProbeKind } from '../model/probe-kinds.js';
import type { VerdictKind, VerdictSpecs } from '../model/verdict-specs.js';
import type { Path } from './interpolate.js';
import type { RawIssue } from './yaml-document.js';

type Key<K extends VerdictKind> = keyof VerdictSpecs[K] & string;

interface VerdictReferences<K extends VerdictKind> {
  targets: Key<K>[];
  stages?: Key<K>[];
  /** Two target keys that must name different targets. */
  distinct?: [Key<K>, Key<K>];
  /** The probe kind whose results it judges. */
  needsProbe?: ProbeKind;
  /** The stage it names must belong to a load probe with an slo. */
  stageNeedsSlo?: Key<K>;
}

const VERDICT_REFERENCES: { [K in VerdictKind]: VerdictReferences<K> } = {
  coldStartReduction: { targets: ['baseline', 'candidate'], distinct: ['baseline', 'candidate'], needsProbe: 'coldstart' },
  loadMultiplier: { targets: ['target'], stages: ['stage', 'baselineStage'] },
  slo: { targets: ['target'], stages: ['stage'], stageNeedsSlo: 'stage' },
  streamSurvival: { targets: ['target', 'baseline'], needsProbe: 'stream' },
  flowSlo: { targets: ['target'], needsProbe: 'flow' },
  coldShareAt: { targets: ['target'], needsProbe: 'idleSweep' },
  capacityAtLeast: { targets: ['target'], needsProbe: 'load' },
};

/** What the names of a verdict are checked against. */
export interface KnownNames {
  targets: readonly string[];
  /** Stage name → whether its load probe declares an slo (unknown for a stored run). */
  stages: ReadonlyMap<string, { hasSlo?: boolean }>;
  /** The probe kinds present; unchecked when absent. */
  probeKinds?: ReadonlySet<string>;
  unknownTarget(name: string): string;
  unknownStage(name: string): string;
}

/** Every reference of every verdict that does not resolve, each at its path. */
export function verdictReferenceIssues(verdicts: unknown, known: KnownNames): RawIssue[] {
  const issues: RawIssue[] = [];
  (Array.isArray(verdicts) ? verdicts : []).forEach((entry, i) => {
    for (const [kind, value] of Object.entries(asRecord(entry))) {
      const references = VERDICT_REFERENCES[kind as VerdictKind] as VerdictReferences<VerdictKind> | undefined;
      const spec = asRecord(value);
      if (!references || Object.keys(spec).length === 0) continue;
      const base: Path = ['verdicts', i, kind];
      for (const key of references.targets) {
        const name = spec[key];
        if (typeof name === 'string' && known.targets.length > 0 && !known.targets.includes(name))
          issues.push({ path: [...base, key], message: known.unknownTarget(name) });
      }
      for (const key of references.stages ?? []) {
        const name = spec[key];
        if (typeof name === 'string' && !known.stages.has(name)) issues.push({ path: [...base, key], message: known.unknownStage(name) });
      }
      const sloStage = references.stageNeedsSlo && spec[references.stageNeedsSlo];
      if (typeof sloStage === 'string' && known.stages.get(sloStage)?.hasSlo === false) {
        issues.push({ path: [...base, references.stageNeedsSlo!], message: `the load probe of stage "${sloStage}" has no slo to judge` });
      }
      if (references.distinct) {
        const [a, b] = references.distinct;
        if (spec[a] !== undefined && spec[a] === spec[b]) issues.push({ path: [...base, b], message: `${b} and ${a} must be different targets` });
      }
      if (references.needsProbe && known.probeKinds && !known.probeKinds.has(references.needsProbe)) {
        issues.push({ path: base, message: `${kind} needs a probe of kind ${references.needsProbe}` });
      }
    }
  });
  return issues;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
