/**
 * What an error from the API server means, whatever produced it: a typed client call
 * (ApiException or RestClient's ApiError, `.code`), a LIST or WATCH (`.statusCode`), or the network.
 */

/** The HTTP status of an error from LIST, WATCH or a typed API call, if it has one. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (e: unknown): boolean => httpStatusOf(e) === 404;
export const isConflict = (e: unknown): boolean => httpStatusOf(e) === 409;

/** No answer at all: the request timed out, or the connection failed (refused, reset, DNS). */
export function isNetworkError(e: unknown): boolean {
  // Duck-typed: an abort is a DOMException, which is not an Error of every realm.
  if (typeof e !== 'object' || e === null) return false;
  const { name, message, cause } = e as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  if (name === 'NetworkError' || name === 'TimeoutError' || name === 'AbortError') return true;
  // undici: TypeError('fetch failed') with the system error (ECONNRESET, ...) as its cause.
  return message === 'fetch failed' || typeof cause?.code === 'string';
}

/** The body of an API error, parsed when it is a JSON Status. */
function statusBody(e: unknown): { message?: string } | undefined {
  const body = (e as { body?: unknown }).body;
  if (typeof body === 'object' && body !== null) return body as { message?: string };
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body) as { message?: string };
  } catch {
    return undefined;
  }
}

/** The message the API server gave, without the client's wrapping. */
export function apiMessage(e: unknown): string {
  const code = httpStatusOf(e);
  if (code !== undefined && typeof e === 'object' && e !== null && 'body' in e) {
    const message = statusBody(e)?.message;
    if (message) return `${message} (HTTP ${code})`;
    return `HTTP ${code}: ${String((e as { body: unknown }).body).slice(0, 500)}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** metav1.Status, as the API server words a refusal. */
export interface ApiStatus {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
  };
}

/** The API server refused a RestClient request: its HTTP status, its Status when it sent one, and the raw body. */
export class ApiError extends Error {
  constructor(public readonly code: number, public readonly status: ApiStatus | undefined, public readonly body: string) {
    super(status?.message ?? (body.trim().slice(0, 500) || `HTTP ${code}`));
    this.name = 'ApiError';
  }
}

/** A RestClient request got no answer: refused, unreachable, TLS failure, timeout. */
export class NetworkError extends Error {
  constructor(public readonly server: string, public readonly cause: unknown) {
    super(`cannot reach the API server ${server}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'NetworkError';
  }
}

/** The ApiError of an answer with status `code` and body `text`. */
export function apiErrorOf(code: number, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    if (parsed && parsed.kind === 'Status') return new ApiError(code, parsed, text);
  } catch {
    // not JSON: a proxy's or the server's plain-text answer
  }
  return new ApiError(code, undefined, text);
}
