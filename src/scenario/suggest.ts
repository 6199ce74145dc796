/** "did you mean" for unknown keys, found from the published JSON Schema. */
import type { Path } from './interpolate.js';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
};

/** The keys the schema allows for the object at `path` of `document`. */
export function allowedKeys(schema: JsonSchema, document: unknown, path: Path): string[] {
  let node: JsonSchema | undefined = schema;
  let value: unknown = document;
  for (const part of path) {
    node = pickVariant(node, value);
    if (!node) return [];
    value = (value as Record<string | number, unknown> | undefined)?.[part];
    if (typeof part === 'number') node = node.items;
    else node = node.properties?.[part] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
  }
  node = pickVariant(node, value);
  return Object.keys(node?.properties ?? {});
}

/** For a union of objects, the variant whose `const` properties match the value (e.g. kind: coldstart). */
function pickVariant(node: JsonSchema | undefined, value: unknown): JsonSchema | undefined {
  const variants = node?.anyOf ?? node?.oneOf;
  if (!variants) return node;
  const record = (value ?? {}) as Record<string, unknown>;
  return (
    variants.find((variant) => Object.entries(variant.properties ?? {}).some(([key, prop]) => prop.const !== undefined && prop.const === record[key])) ??
    variants.find((variant) => variant.properties)
  );
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
