/** Nothing secret is written to disk: run files and reports pass through here. */

export const REDACTED = '[redacted]';

const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token)$|token|secret|password/i;
const SECRET_VARIABLE = /token|secret|password|passwd|key|auth|credential|cookie|session/i;

/**
 * Values of secret-looking environment variables, wherever they appear, and every value
 * under a secret-looking header name are replaced; so is the password part of a URL.
 */
export function redact<T>(value: T, substitutions: Record<string, string> = {}): T {
  const secrets = Object.entries(substitutions)
    .filter(([name, secret]) => SECRET_VARIABLE.test(name) && secret.length >= 4)
    .map(([, secret]) => secret)
    .sort((a, b) => b.length - a.length);
  return walk(value, secrets, false) as T;
}

function walk(value: unknown, secrets: string[], underSecretKey: boolean): unknown {
  if (typeof value === 'string') return underSecretKey ? REDACTED : scrub(value, secrets);
  if (Array.isArray(value)) return value.map((item) => walk(item, secrets, underSecretKey));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, secrets, underSecretKey || SECRET_HEADER.test(key))]));
  }
  return value;
}

function scrub(text: string, secrets: string[]): string {
  let out = text.replace(/(\w+:\/\/[^:/@\s]+:)[^@\s]+@/g, `$1${REDACTED}@`);
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out;
}
