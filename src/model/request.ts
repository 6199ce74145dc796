/** A request as it goes on the wire: a scenario's request under its target, headers lower-cased. */
export interface HttpRequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
