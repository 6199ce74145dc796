/**
 * Nothing secret is written to disk or printed: every record is redacted once, where the
 * runner's records fan out to the run writer and the progress display, and so are the
 * manifest, reports and error messages.
 *
 * Secrets are the values of secret-named variables (substituted into the scenario, or in
 * coldbench's environment, where a trigger's shell finds them), every value under a
 * secret-looking header or key name, URL passwords and secret-looking query parameters.
 * Scrubbing runs in linear time: a multi-megabyte scenario or evidence string must not hang.
 */
import type { RunRecord } from './records.js';

const REDACTED = '[redacted]';

export const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|password|api-?key|subscription-key/i;
const SECRET_VARIABLE = /token|secret|password|passwd|key|auth|credential|cookie|session/i;
const SECRET_QUERY_KEY = /token|key|secret|password|passwd|signature|sig$|auth|credential|^code$/i;
/** Environment values shorter than this are too likely to occur by chance to be scrubbed everywhere. */
const MIN_ENV_SECRET = 8;

/** Whether a variable's name says it holds a secret (API_TOKEN, DB_PASSWORD, …). */
export const isSecretVariable = (name: string): boolean => SECRET_VARIABLE.test(name);

/** The secret strings to scrub: secret-named substitutions, and secret-named variables of the environment. */
function secretsOf(substitutions: Record<string, string>, env: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>();
  for (const [name, secret] of Object.entries(substitutions)) if (SECRET_VARIABLE.test(name) && secret.length >= 4) found.add(secret);
  for (const [name, secret] of Object.entries(env)) if (secret && SECRET_VARIABLE.test(name) && secret.length >= MIN_ENV_SECRET) found.add(secret);
  return [...found].sort((a, b) => b.length - a.length);
}

export function redact<T>(value: T, substitutions: Record<string, string> = {}, env: NodeJS.ProcessEnv = process.env): T {
  return walk(value, secretsOf(substitutions, env), false) as T;
}

/**
 * A redactor for runner records: only the fields that carry text from outside (error
 * messages, evidence bytes, abort reasons) are scrubbed, so the hot path copies nothing
 * for a plain sample.
 */
export function recordRedactor(substitutions: Record<string, string>, env: NodeJS.ProcessEnv = process.env): (record: RunRecord) => RunRecord {
  const secrets = secretsOf(substitutions, env);
  return (record) => {
    const error = 'error' in record ? record.error : undefined;
    const evidence = 'evidence' in record ? record.evidence : undefined;
    const reason = 'reason' in record ? record.reason : undefined;
    if (error === undefined && evidence === undefined && reason === undefined) return record;
    return {
      ...record,
      ...(error !== undefined && { error: { ...error, message: scrub(error.message, secrets) } }),
      ...(evidence !== undefined && { evidence: scrub(evidence, secrets) }),
      ...(reason !== undefined && { reason: scrub(reason, secrets) }),
    } as RunRecord;
  };
}

function walk(value: unknown, secrets: string[], underSecretKey: boolean): unknown {
  if (typeof value === 'string') return underSecretKey ? REDACTED : scrub(value, secrets);
  if (Array.isArray(value)) return value.map((item) => walk(item, secrets, underSecretKey));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, secrets, underSecretKey || SECRET_HEADER.test(key))]));
  }
  return value;
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = scrubQuery(scrubUrlPasswords(text));
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

const URL_END = /[\s/?#@]/;

/** `scheme://user:password@host` → `scheme://user:[redacted]@host`, scanning once from each `://`. */
function scrubUrlPasswords(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', at + 3)) {
    const start = at + 3;
    let end = start;
    while (end < text.length && !URL_END.test(text[end]!)) end++;
    if (text[end] !== '@') continue;
    const colon = text.indexOf(':', start);
    if (colon < 0 || colon >= end) continue;
    out += text.slice(from, colon + 1) + REDACTED;
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

const QUERY_KEY_END = /[=&#\s]/;
const QUERY_VALUE_END = /[&#\s"'<>]/;

/** `?api_key=…` and `&token=…` → `…=[redacted]`: each key read once from its `?` or `&`. */
function scrubQuery(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '?' && c !== '&') continue;
    let keyEnd = i + 1;
    while (keyEnd < text.length && !QUERY_KEY_END.test(text[keyEnd]!)) keyEnd++;
    if (text[keyEnd] !== '=' || !SECRET_QUERY_KEY.test(text.slice(i + 1, keyEnd))) {
      i = keyEnd - 1;
      continue;
    }
    let valueEnd = keyEnd + 1;
    while (valueEnd < text.length && !QUERY_VALUE_END.test(text[valueEnd]!)) valueEnd++;
    if (valueEnd > keyEnd + 1) {
      out += text.slice(from, keyEnd + 1) + REDACTED;
      from = valueEnd;
    }
    i = valueEnd - 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
