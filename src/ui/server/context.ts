/** What every route gets: the request, the answer, its URL parameters and the user's session. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { problem } from './problems.js';
import { Session } from './session.js';
import { Logger } from '../../reconciler/runtime/logger.js';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The route pattern's groups, URL-decoded. */
  readonly params: readonly string[];
  /** Namespaces watched when the user may not list cluster-wide (flags, kubeconfig context). */
  readonly defaultNamespaces: readonly string[];
  readonly log: Logger;
  /** The session of the request's credentials (made on first use). */
  session(): Promise<Session>;
}

export type Handler = (ctx: RouteContext) => Promise<void>;

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** A namespace from the URL; anything else is a 400, so that no odd string reaches a path. */
export function namespaceParam(value: string | undefined): string {
  if (!value || !DNS_LABEL.test(value)) throw problem(400, 'BadRequest', `"${value ?? ''}" is not a namespace name`);
  return value;
}

export function nameParam(value: string | undefined): string {
  if (!value || !DNS_SUBDOMAIN.test(value)) throw problem(400, 'BadRequest', `"${value ?? ''}" is not an object name`);
  return value;
}

/** `a,b,c` -> valid namespace names only (at most 50). */
export function namespaceList(value: string | null): string[] {
  return [...new Set((value ?? '').split(',').map((s) => s.trim()).filter((s) => DNS_LABEL.test(s)))].slice(0, 50);
}
