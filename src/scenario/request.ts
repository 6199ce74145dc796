/** A scenario request plus a target's headers → what goes on the wire. */
import type { RequestSpec, Target } from './schema.js';
import type { HttpRequestSpec } from '../model/request.js';

export function buildRequest(request: RequestSpec, target: Target): HttpRequestSpec {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...target.headers, ...request.headers })) headers[name.toLowerCase()] = value;
  // Credentials in the URL are sent as Basic auth, as curl does, unless the scenario sets its own.
  const credentials = basicCredentials(target.url);
  if (credentials !== undefined && headers.authorization === undefined) headers.authorization = `Basic ${credentials}`;
  let body: string | undefined;
  if (typeof request.body === 'string') body = request.body;
  else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  const { pathname, search } = new URL(target.url);
  return { method: request.method, path: withQuery(joinPath(pathname, request.path), search), headers, body };
}

/** A target URL's query (https://host/api?key=…) goes with every request, after the request's own. */
function withQuery(path: string, search: string): string {
  if (!search) return path;
  return path + (path.includes('?') ? '&' : '?') + search.slice(1);
}

/** A target URL may carry a base path (https://host/api); the request path goes under it. */
function joinPath(base: string, path: string): string {
  return base === '/' ? path : base.replace(/\/$/, '') + path;
}

/** The Basic credential (base64 of user:password) a URL carries, as curl sends it; undefined without a user. */
export function basicCredentials(url: string): string | undefined {
  const { username, password } = new URL(url);
  return username ? Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64') : undefined;
}
