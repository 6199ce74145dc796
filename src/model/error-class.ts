/** Turns whatever a request threw into a stable, countable cause. */
import type { ErrorClass, SampleError } from './records.js';

/** coldbench's own sample error codes, beside `HTTP_<status>` and the codes the OS or a library threw (ECONNREFUSED, UND_ERR_SOCKET, …). */
export type OwnSampleErrorCode =
  | 'CB_REQUEST_TIMEOUT'
  | 'CB_ABORTED'
  | 'CB_UNKNOWN'
  | 'CB_TRIGGER_FAILED'
  | 'CB_TRIGGER_TIMEOUT'
  | 'CB_WAIT_FOR_TIMEOUT'
  | 'CB_CHECK_FAILED'
  | 'CB_EXTRACT_FAILED'
  | 'CB_DATA_EXHAUSTED'
  | 'CB_SCRIPT_ERROR'
  | 'CB_FLOW_TIMEOUT'
  | 'CB_MESSAGE_TOO_LARGE'
  | 'CB_WS_CLOSED';

/** A sample error of coldbench's own: its code is checked where it is made. */
export function ownError(code: OwnSampleErrorCode, errorClass: ErrorClass, message: string): SampleError {
  return { code, class: errorClass, message };
}

const CLASS_BY_CODE: Record<string, ErrorClass> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  CB_REQUEST_TIMEOUT: 'timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  // An HTTP/2 session the server broke: most often a server that does not speak h2, asked by prior knowledge.
  ERR_HTTP2_ERROR: 'malformed',
  ERR_HTTP2_SESSION_ERROR: 'malformed',
  ERR_HTTP2_STREAM_ERROR: 'malformed',
  CB_ABORTED: 'aborted',
  UND_ERR_ABORTED: 'aborted',
  UND_ERR_DESTROYED: 'aborted',
};

/** A response that arrived but is not a success. */
export function statusError(status: number): SampleError {
  const errorClass = status === 429 ? 'status-429' : status >= 500 ? 'status-5xx' : 'status-other';
  return { code: `HTTP_${status}`, class: errorClass, message: `status ${status}` };
}

export function classifyError(error: unknown): SampleError {
  const err = error as (Error & { code?: string; cause?: unknown }) | undefined;
  // DOMException-style errors carry a numeric code (AbortError: 20); only string codes name a cause.
  const ownCode = typeof err?.code === 'string' ? err.code : undefined;
  const fallback: OwnSampleErrorCode = err?.name === 'AbortError' ? 'CB_ABORTED' : 'CB_UNKNOWN';
  const code = ownCode ?? causeCode(err) ?? fallback;
  return { code, class: CLASS_BY_CODE[code] ?? (code.startsWith('ERR_SSL') ? 'tls' : 'other'), message: String(err?.message ?? error) };
}

function causeCode(error: { cause?: unknown } | undefined): string | undefined {
  const cause = error?.cause as { code?: string } | undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

export function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}
