/**
 * API server answers -> what the page shows: one sentence a person understands (a 403 says
 * who may not do what where), and for a refused Task the field paths of the Status causes
 * mapped to the New Task form's fields.
 */
import { ApiError, ApiStatus, NetworkError } from '../../reconciler/runtime/api-errors.js';
import type { ProblemBody } from '../shared/types.js';

/** What the user tried, for the message: "stop Tasks", "read the logs of Pods", ... */
export interface Attempt {
  readonly action: string;
  readonly namespace?: string;
}

export class Problem extends Error {
  constructor(public readonly body: ProblemBody) {
    super(body.message);
    this.name = 'Problem';
  }
}

export function problem(code: number, reason: string, message: string, fieldErrors?: ProblemBody['fieldErrors']): Problem {
  return new Problem({ code, reason, message, ...(fieldErrors ? { fieldErrors } : {}) });
}

const where = (a: Attempt) => (a.namespace ? ` in namespace ${a.namespace}` : ' in every namespace');

export function forbiddenMessage(a: Attempt): string {
  return `You may not ${a.action}${where(a)} (Forbidden)`;
}

/** Turns any error of an API call into a Problem; other errors are returned as they are. */
export function toProblem(e: unknown, a: Attempt): unknown {
  if (e instanceof Problem) return e;
  if (e instanceof NetworkError) return problem(502, 'ServiceUnavailable', e.message);
  if (!(e instanceof ApiError)) return e;
  const status = e.status;
  const reason = status?.reason ?? httpReason(e.code);
  if (e.code === 403) return problem(403, 'Forbidden', forbiddenMessage(a));
  if (e.code === 401) return problem(401, 'Unauthorized', 'The API server did not accept your credentials (Unauthorized): sign in again');
  if (e.code === 422 && status) return problem(422, reason, invalidHeadline(status), fieldErrorsOf(status));
  if (e.code === 409 && reason === 'AlreadyExists') return problem(409, reason, oneLine(e.message), { name: [oneLine(e.message)] });
  if (e.code === 404 && /namespaces? "[^"]+" not found/.test(e.message)) return problem(404, reason, oneLine(e.message), { namespace: [oneLine(e.message)] });
  return problem(e.code, reason, `${oneLine(e.message)} (${reason})`);
}

function httpReason(code: number): string {
  return ({ 400: 'BadRequest', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' } as Record<number, string>)[code] ?? `HTTP${code}`;
}

function invalidHeadline(status: ApiStatus): string {
  const kind = status.details?.kind ?? 'object';
  const n = status.details?.causes?.length ?? 0;
  return `The ${kind} is invalid${n ? `: ${n} field${n > 1 ? 's' : ''} to fix` : `: ${oneLine(status.message ?? '')}`}`;
}

/**
 * A field path of a Status cause -> the form field it belongs to: `metadata.name` -> `name`,
 * `spec.contexts[0].git.repository` -> `contexts[0].git.repository`; anything the form has no
 * field for -> `''` (the form as a whole). The page shows a message at the nearest field it has.
 */
export function formField(path: string | undefined): string {
  if (!path) return '';
  const p = path.replace(/^\.+/, '');
  if (/^metadata\.(name|generateName)\b/.test(p)) return 'name';
  if (/^metadata\.namespace\b/.test(p)) return 'namespace';
  if (/^metadata\.labels\b/.test(p)) return 'labels';
  if (/^spec\.description\b/.test(p)) return 'description';
  if (/^spec\.agentRef\b/.test(p)) return 'agent';
  if (/^spec\.timeoutSeconds\b/.test(p)) return 'timeoutSeconds';
  const ctx = /^spec\.contexts(\[\d+\](?:\.[A-Za-z]+)*)/.exec(p);
  if (ctx) return `contexts${ctx[1]}`;
  if (/^spec\.contexts\b/.test(p)) return 'contexts';
  return '';
}

/** The cause's message without the noise of a CEL rule's `Invalid value: "object": `. */
export function causeMessage(message: string | undefined): string {
  return oneLine((message ?? '').replace(/^Invalid value: "(object|string|integer|array|number|boolean)": /, ''));
}

export function fieldErrorsOf(status: ApiStatus): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const cause of status.details?.causes ?? []) {
    const key = formField(cause.field);
    const message = causeMessage(cause.message);
    (out[key] ??= []).push(key === '' && cause.field ? `${cause.field}: ${message}` : message);
  }
  if (!Object.keys(out).length) out[''] = [oneLine(status.message ?? 'invalid')];
  return out;
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, '; ').trim();
