/**
 * The page's requests: JSON with the CSRF token on every change, problems as ApiProblem
 * (the server's one-sentence message, and field errors for a form), and Server-Sent Event
 * streams that say when they broke.
 */
import { CSRF_HEADER, CSRF_META, type ProblemBody } from '../shared/types.js';

export class ApiProblem extends Error {
  constructor(public readonly body: ProblemBody) {
    super(body.message);
  }
}

const csrfToken = (): string => document.querySelector<HTMLMetaElement>(`meta[name="${CSRF_META}"]`)?.content ?? '';

/** A request to the UI server (paths are relative: the UI may live under a proxy's prefix). */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { Accept: 'application/json', ...(method === 'GET' ? {} : { [CSRF_HEADER]: csrfToken() }), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiProblem({ code: 0, reason: 'NetworkError', message: 'The UI server did not answer: is `kubeopencode ui` still running?' });
  }
  const text = await res.text();
  const parsed = text ? JSON.parse(text) as unknown : undefined;
  if (!res.ok) {
    const p = parsed as Partial<ProblemBody> | undefined;
    throw new ApiProblem({ code: res.status, reason: p?.reason ?? String(res.status), message: p?.message ?? `HTTP ${res.status}`, fieldErrors: p?.fieldErrors });
  }
  return parsed as T;
}

export type StreamHandlers = Record<string, (data: any) => void>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Stream {
  close(): void;
}

/**
 * An EventSource with handlers by event name. The browser reconnects a dropped stream by
 * itself; a refused one (an answer that is not a stream, e.g. 403) is read once for its
 * message, reported through `onState`, and tried again after `retryMs`. A tab that stays
 * hidden for `idleMs` lets go of its stream (browsers allow 6 connections per server over
 * HTTP/1.1, for all tabs together) and opens it again, from a fresh snapshot, when shown.
 */
export function openStream(path: string, handlers: StreamHandlers, onState: (s: 'live' | 'reconnecting' | ProblemBody) => void, retryMs = 5000, idleMs = 10_000): Stream {
  let es: EventSource | undefined;
  let timer: number | undefined;
  let idle: number | undefined;
  let closed = false;
  const connect = () => {
    if (closed || document.hidden) return;
    es = new EventSource(path);
    es.onopen = () => onState('live');
    for (const [event, fn] of Object.entries(handlers)) es.addEventListener(event, (e) => fn(JSON.parse((e as MessageEvent<string>).data)));
    es.onerror = () => {
      if (closed || !es) return;
      if (es.readyState !== EventSource.CLOSED) {
        onState('reconnecting');
        return;
      }
      es = undefined;
      void api('GET', path).then(() => undefined, (p: unknown) => {
        if (!closed) onState(p instanceof ApiProblem ? p.body : { code: 0, reason: 'Error', message: String(p) });
      });
      timer = window.setTimeout(connect, retryMs);
    };
  };
  const onVisibility = () => {
    window.clearTimeout(idle);
    if (document.hidden) {
      idle = window.setTimeout(() => {
        es?.close();
        es = undefined;
      }, idleMs);
    } else if (!es) {
      window.clearTimeout(timer);
      connect();
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  connect();
  return {
    close: () => {
      closed = true;
      window.clearTimeout(timer);
      window.clearTimeout(idle);
      document.removeEventListener('visibilitychange', onVisibility);
      es?.close();
    },
  };
}
