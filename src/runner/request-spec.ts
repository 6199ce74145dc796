/** A scenario request plus a target's headers → what goes on the wire. */
import { basicCredentials } from '../scenario/load.js';
import type { RequestSpec, Target } from '../scenario/schema.js';
import type { HttpRequestSpec } from './http.js';

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
  return { method: request.method, path: joinPath(new URL(target.url).pathname, request.path), headers, body };
}

/** A target URL may carry a base path (https://host/api); the request path goes under it. */
function joinPath(base: string, path: string): string {
  return base === '/' ? path : base.replace(/\/$/, '') + path;
}
