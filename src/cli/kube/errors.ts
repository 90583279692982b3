/**
 * Errors worded as kubectl words them (its cmdutil.StandardErrorMessage and the Invalid case
 * of CheckErr), so that people read the same lines whichever tool they used: one line, no
 * stack trace; an invalid object lists one field per line.
 */
import { ApiError, ApiStatus, NetworkError } from '../../reconciler/runtime/api-errors.js';
import { PlainError } from '../lib/cli.js';

/** The kubectl wording of an API or connection error; undefined for anything else. */
export function kubectlMessage(e: unknown): string | undefined {
  if (e instanceof ApiError) return apiErrorMessage(e);
  if (e instanceof NetworkError) return connectionMessage(e);
  return undefined;
}

function apiErrorMessage(e: ApiError): string {
  const status = e.status;
  if (!status) {
    // Not a Status: e.g. "404 page not found" when a path (or a CRD) does not exist.
    if (e.code === 404) return 'Error from server (NotFound): the server could not find the requested resource';
    return `Error from server: ${oneLine(e.message)}`;
  }
  if (status.reason === 'Unauthorized') return `error: You must be logged in to the server (${status.message ?? 'Unauthorized'})`;
  if (status.reason === 'Invalid') return invalidMessage(status);
  const message = oneLine(status.message ?? `HTTP ${e.code}`);
  return status.reason ? `Error from server (${status.reason}): ${message}` : `Error from server: ${message}`;
}

/** `The Task "x" is invalid: FIELD: MESSAGE`, one line per field when there are several. */
function invalidMessage(status: ApiStatus): string {
  const details = status.details;
  const head = details?.kind ? `The ${details.kind}${details.name ? ` "${details.name}"` : ''} is invalid` : 'The request is invalid';
  const causes = (details?.causes ?? []).map((c) => (c.field ? `${c.field}: ${oneLine(c.message ?? '')}` : oneLine(c.message ?? '')));
  if (!causes.length) return `${head}: ${oneLine(status.message ?? '')}`;
  if (causes.length === 1) return `${head}: ${causes[0]}`;
  return `${head}:\n${causes.map((c) => `* ${c}`).join('\n')}`;
}

function connectionMessage(e: NetworkError): string {
  const host = (() => {
    try {
      return new URL(e.server).host;
    } catch {
      return e.server;
    }
  })();
  const cause = e.cause as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  // The system error (ECONNREFUSED, ...) itself from a plain request, or wrapped by fetch ("fetch failed").
  const system = typeof cause?.code === 'string' ? cause : cause?.cause;
  if (system?.code === 'ECONNREFUSED') return `The connection to the server ${host} was refused - did you specify the right host or port?`;
  if (cause?.name === 'TimeoutError') return `Unable to connect to the server: no answer from ${host} within 30s`;
  return `Unable to connect to the server: ${oneLine(system?.message ?? cause?.message ?? String(cause))}`;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, '; ').trim();

/** Turns API and connection errors into errors printed as they are, exit code 1. */
export function asPlainError(e: unknown): unknown {
  const message = kubectlMessage(e);
  return message === undefined ? e : new PlainError(message, 1);
}
