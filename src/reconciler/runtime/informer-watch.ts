/**
 * One WATCH connection of an Informer, on client-node's `Watch`, and the backoff between
 * failed attempts. The connection ends exactly once, with the reason the informer acts on.
 */
import { httpStatusOf } from './api-errors.js';
import { Watch } from './client-node.js';

/** How a watch ended: the informer re-watches, relists, or backs off accordingly. */
export type EndOfWatch =
  | { readonly kind: 'closed' | 'gone' | 'silent' | 'stopped' }
  | { readonly kind: 'error'; readonly err: unknown };

export type AbortKind = 'gone' | 'silent' | 'stopped' | 'error';

export interface WatchConnection {
  /** Settles once, when the watch has ended. */
  readonly ended: Promise<EndOfWatch>;
  /** Ends the watch on purpose; the first reason given wins. */
  abort(kind: AbortKind, err?: unknown): void;
  /** Delivers an event as if the server had sent it (test seam). */
  inject(type: string, obj: unknown): void;
}

export interface WatchRequest {
  readonly path: string;
  readonly params: Record<string, string | number | boolean | undefined>;
  /** Ends the watch as `silent` when no event (bookmarks included) arrived for this long. */
  readonly silenceMs: number;
  /** Applies one event; returns how the watch must end if the event demands it (ERROR). */
  readonly onEvent: (type: string, obj: unknown) => EndOfWatch | undefined;
}

const STOP_GRACE_MS = 2_000;

export function openWatch(watcher: Watch, req: WatchRequest): WatchConnection {
  let controller: AbortController | undefined;
  let planned: EndOfWatch | undefined;
  let settled = false;
  let lastActivity = Date.now();
  let watchdog: NodeJS.Timeout | undefined;
  let resolveEnded!: (end: EndOfWatch) => void;
  const ended = new Promise<EndOfWatch>((resolve) => (resolveEnded = resolve));

  const finish = (end: EndOfWatch): void => {
    if (settled) return;
    settled = true;
    clearTimeout(watchdog);
    resolveEnded(end);
  };
  const abort = (kind: AbortKind, err?: unknown): void => {
    planned ??= kind === 'error' ? { kind, err } : { kind };
    controller?.abort();
    if (kind === 'stopped' && !settled) {
      // End once the stream is closed (so nothing of it runs after stop() resolved), but never
      // wait long for a connect still in flight: that request is aborted when it returns.
      clearTimeout(watchdog);
      watchdog = setTimeout(() => finish(planned!), STOP_GRACE_MS);
      watchdog.unref();
    }
  };
  const event = (type: string, obj: unknown): void => {
    if (settled || planned) return; // lines still buffered after an abort
    lastActivity = Date.now();
    const end = req.onEvent(type, obj);
    if (end) abort(end.kind === 'error' ? 'error' : 'gone', end.kind === 'error' ? end.err : undefined);
  };
  const arm = (ms: number): void => {
    watchdog = setTimeout(() => {
      const quiet = Date.now() - lastActivity;
      if (quiet >= req.silenceMs) abort('silent');
      else arm(req.silenceMs - quiet);
    }, ms);
    watchdog.unref();
  };
  arm(req.silenceMs);

  const done = (err: unknown): void => {
    if (planned) finish(planned);
    else if (!err) finish({ kind: 'closed' });
    else if (httpStatusOf(err) === 410) finish({ kind: 'gone' });
    else finish({ kind: 'error', err });
  };
  watcher.watch(req.path, req.params, event, done).then(
    (c) => {
      controller = c;
      if (planned || settled) c.abort();
    },
    (err: unknown) => finish({ kind: 'error', err }),
  );
  return { ended, abort, inject: event };
}

/**
 * client-node aborts a watch after 30 s without data, shorter than the API server's ~60 s
 * bookmark interval: quiet watches would never see a bookmark and their resourceVersion would
 * go stale (then 410 and a relist). The informer's silence watchdog does that job instead, so
 * the library's timer is moved past it. It is a private field: if a release renames it, this
 * does nothing and watches merely restart every 30 s.
 */
export function relaxClientTimeout(watcher: Watch, timeoutMs: number): void {
  const w = watcher as unknown as { requestTimeoutMs?: unknown };
  if (typeof w.requestTimeoutMs === 'number') w.requestTimeoutMs = timeoutMs;
}

export interface BackoffOptions {
  /** @default 500 */
  readonly initialMs?: number;
  /** @default 30000 */
  readonly maxMs?: number;
  /** Fraction of each delay that is random. @default 0.5 */
  readonly jitter?: number;
  /** A failure this long after the previous one starts again from initialMs. @default 60000 */
  readonly resetAfterMs?: number;
}

/** Jittered exponential backoff that forgets old failures after a healthy period. */
export class Backoff {
  private failures = 0;
  private lastFailureAt = 0;

  constructor(private readonly options: BackoffOptions = {}, private readonly now: () => number = Date.now) {}

  /** Delay before the next attempt after a failure now. */
  public next(): number {
    const o = this.options;
    const now = this.now();
    if (now - this.lastFailureAt > (o.resetAfterMs ?? 60_000)) this.failures = 0;
    this.lastFailureAt = now;
    const base = Math.min(o.maxMs ?? 30_000, (o.initialMs ?? 500) * 2 ** this.failures++);
    return Math.round(base * (1 - (o.jitter ?? 0.5) * Math.random()));
  }

  public get consecutiveFailures(): number {
    return this.failures;
  }
}
