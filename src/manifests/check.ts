/**
 * Kubernetes manifests checked against the schemas a cluster applies, before anyone runs
 * `kubectl apply`: core objects (Job, Deployment, Service, HorizontalPodAutoscaler, …) with
 * kubernetes-models (the Kubernetes OpenAPI schema), Knative Services and KEDA objects with
 * its @kubernetes-models/knative and /keda siblings, and k6-operator's TestRun with ajv
 * against the TestRun CRD's openAPIV3Schema. Every problem of every document at once, each
 * with its file, line, object and JSON path.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseAllDocuments, parse } from 'yaml';
import { formatPath, type Path } from '../scenario/interpolate.js';
import { locateNode } from '../scenario/yaml-document.js';

export interface ManifestProblem {
  file: string;
  line: number;
  /** `Kind/name` of the object, or `document N` when it has neither. */
  object: string;
  /** Dotted path into the object, e.g. `spec.template.spec.containers[0].name`. */
  path: string;
  message: string;
}

export function formatManifestProblem(problem: ManifestProblem): string {
  return `${problem.file}:${problem.line} ${problem.object}${problem.path ? ` ${problem.path}` : ''}: ${problem.message}`;
}

/** Which package holds the schema of an API group: Knative's and KEDA's groups, else Kubernetes' own. */
const MODEL_PACKAGES: ReadonlyArray<{ group: RegExp; module: string }> = [
  { group: /\.knative\.dev$/, module: '@kubernetes-models/knative' },
  { group: /(^|\.)keda\.sh$/, module: '@kubernetes-models/keda' },
  { group: /^([a-z0-9-]+|[a-z0-9.-]+\.k8s\.io)?$/, module: 'kubernetes-models' },
];

const TEST_RUN_CRD = new URL('../../../schema/k6-operator/k6.io_testruns.yaml', import.meta.url);

type Validate = (object: unknown) => Array<{ path: Path; message: string }>;

export async function checkManifestFiles(files: readonly string[]): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  for (const file of files) problems.push(...(await checkManifests(readFileSync(file, 'utf8'), file)));
  return problems;
}

export async function checkManifests(source: string, file: string): Promise<ManifestProblem[]> {
  const lines = new LineCounter();
  const documents = parseAllDocuments(source, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(documents)) return [];
  const problems: ManifestProblem[] = [];
  for (const [index, doc] of documents.entries()) {
    const at = (path: Path, object: string, message: string) =>
      problems.push({ file, ...pick(locateNode(doc, lines, path, false)), object, path: formatPath(path), message });
    if (doc.errors.length > 0) {
      for (const error of doc.errors)
        problems.push({
          file,
          line: lines.linePos(error.pos[0]).line,
          object: `document ${index + 1}`,
          path: '',
          message: `YAML syntax error: ${error.message.split('\n')[0]}`,
        });
      continue;
    }
    const object = doc.toJS() as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } } | null;
    if (object === null || object === undefined) continue;
    const name = typeof object.kind === 'string' ? `${object.kind}/${String(object.metadata?.name ?? '(no name)')}` : `document ${index + 1}`;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      at([], name, 'not a Kubernetes object: apiVersion and kind are required');
      continue;
    }
    const validate = await validatorFor(object.apiVersion, object.kind);
    if (!validate) {
      at(['kind'], name, `no schema here for ${object.apiVersion} ${object.kind} (checked: Kubernetes core objects, Knative, KEDA, k6-operator TestRun)`);
      continue;
    }
    for (const problem of validate(object)) at(problem.path, name, problem.message);
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

const pick = ({ line }: { line: number }) => ({ line });

const validators = new Map<string, Validate | undefined>();

async function validatorFor(apiVersion: string, kind: string): Promise<Validate | undefined> {
  const key = `${apiVersion}/${kind}`;
  if (!validators.has(key))
    validators.set(key, apiVersion === 'k6.io/v1alpha1' && kind === 'TestRun' ? testRunValidator() : await modelValidator(apiVersion, kind));
  return validators.get(key);
}

/** kubernetes-models' class for the object, whose validate() throws ajv's errors. */
async function modelValidator(apiVersion: string, kind: string): Promise<Validate | undefined> {
  // Only names a module path can hold: a manifest never picks what is imported beyond its package's objects.
  if (!/^[a-z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const home = MODEL_PACKAGES.find((p) => p.group.test(group));
  if (!home) return undefined;
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = ((await import(`${home.module}/${apiVersion}/${kind}`)) as Record<string, typeof Model>)[kind]!;
  } catch {
    return undefined;
  }
  if (typeof Model !== 'function') return undefined;
  return (object) => {
    try {
      new Model(object).validate();
      return [];
    } catch (error) {
      const errors = (error as { errors?: ErrorObject[] }).errors;
      if (!errors) throw error;
      return errors.map(fromAjv);
    }
  };
}

/**
 * The TestRun CRD's schema as the API server applies it: a field it does not know is an
 * error (kubectl's default, strict field validation), except under
 * x-kubernetes-preserve-unknown-fields; int-or-string is either.
 */
function testRunValidator(): Validate {
  const crd = parse(readFileSync(TEST_RUN_CRD, 'utf8')) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> } };
  const schema = crd.spec.versions.find((v) => v.name === 'v1alpha1')!.schema.openAPIV3Schema;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const validate: ValidateFunction = ajv.compile(asStrictJsonSchema(schema));
  return (object) => (validate(object) ? [] : (validate.errors ?? []).map(fromAjv));
}

type Schema = { [key: string]: unknown; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean };

function asStrictJsonSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, asStrictJsonSchema(v)]));
    else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) out[key] = asStrictJsonSchema(value as Schema);
    else if ((key === 'anyOf' || key === 'allOf' || key === 'oneOf') && Array.isArray(value)) out[key] = (value as Schema[]).map(asStrictJsonSchema);
    else out[key] = value;
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}

function fromAjv(error: ErrorObject): { path: Path; message: string } {
  const path: Path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  if (error.keyword === 'additionalProperties') {
    const field = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: [...path, field], message: `unknown field "${field}"` };
  }
  if (error.keyword === 'required') {
    const field = (error.params as { missingProperty: string }).missingProperty;
    return { path, message: `missing required field "${field}"` };
  }
  return { path, message: error.message ?? error.keyword };
}
