/**
 * List+watch of one resource into a Store, on client-node's raw `Watch` (its `makeInformer`
 * stops for good on most errors). LIST (paginated) -> WATCH from the list's resourceVersion
 * with bookmarks -> on a clean end re-watch from the last RV; on 410 Gone relist; on any error
 * retry with jittered exponential backoff; a silence watchdog restarts a watch that went quiet.
 * Handlers run synchronously and should only enqueue keys; a throwing handler is logged.
 */
import { httpStatusOf } from './api-errors.js';
import { KubeConfig, Watch } from './client-node.js';
import { Backoff, BackoffOptions, EndOfWatch, openWatch, relaxClientTimeout, WatchConnection } from './informer-watch.js';
import { listAll } from './list-request.js';
import { Logger, nullLogger } from './logger.js';
import { RestClient } from './rest-client.js';
import { InterruptibleSleep } from './sleep.js';
import { isNotOlder, KubeObject, objectKey, Store } from './store.js';

export type { BackoffOptions } from './informer-watch.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface InformerStats {
  readonly synced: boolean;
  /** Completed LISTs, the first one included. */
  readonly lists: number;
  /** LIST requests (pages) made. */
  readonly pages: number;
  /** LISTs after the first (410 Gone). */
  readonly relists: number;
  /** Watches started again without a LIST (clean end, timeout, silence, error). */
  readonly restarts: number;
  /** Failed LIST or WATCH requests. */
  readonly errors: number;
  readonly events: Readonly<Record<WatchEventType, number>>;
  /** Where the next watch starts. */
  readonly resourceVersion?: string;
}

export interface InformerOptions<T extends KubeObject> {
  /** Names the informer in logs and metrics, e.g. `tasks`. */
  readonly name: string;
  readonly kc: KubeConfig;
  /** e.g. `/api/v1/pods`, `/apis/kubeopencode.io/v1alpha1/tasks`, `/api/v1/namespaces/x/configmaps`. */
  readonly listPath: string;
  /** @default listPath */
  readonly watchPath?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** @default 500 */
  readonly pageSize?: number;
  /** Calls onResync for every cached object this often; undefined or 0: never. */
  readonly resyncPeriodMs?: number;
  /**
   * Restart a watch that delivered no event and no bookmark for this long. The API server
   * sends a bookmark about every minute. @default 150000
   */
  readonly silenceTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  readonly logger?: Logger;
  /** Store to fill, e.g. one with indexes added. @default a new Store */
  readonly store?: Store<T>;
}

export class Informer<T extends KubeObject> {
  public readonly name: string;
  public readonly store: Store<T>;

  private readonly addHandlers: ((obj: T) => void)[] = [];
  private readonly updateHandlers: ((oldObj: T, newObj: T) => void)[] = [];
  private readonly deleteHandlers: ((obj: T) => void)[] = [];
  private readonly resyncHandlers: ((obj: T) => void)[] = [];
  private readonly log: Logger;
  private readonly rest: RestClient;
  private readonly watcher: Watch;
  private readonly silenceMs: number;
  private readonly counters = { lists: 0, pages: 0, relists: 0, restarts: 0, errors: 0 };
  private readonly events: Record<WatchEventType, number> = { ADDED: 0, MODIFIED: 0, DELETED: 0, BOOKMARK: 0, ERROR: 0 };

  private rv: string | undefined;
  private synced = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private current: WatchConnection | undefined;
  private readonly backoff: Backoff;
  private listAbort = new AbortController();
  private readonly sleeper = new InterruptibleSleep();
  private resyncTimer: NodeJS.Timeout | undefined;
  private syncWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly options: InformerOptions<T>) {
    this.name = options.name;
    this.store = options.store ?? new Store<T>();
    this.log = (options.logger ?? nullLogger).child({ informer: options.name });
    this.silenceMs = options.silenceTimeoutMs ?? 150_000;
    this.rest = new RestClient(options.kc);
    this.watcher = new Watch(this.rest.connection.kubeConfig);
    relaxClientTimeout(this.watcher, this.silenceMs + 5_000);
    this.backoff = new Backoff(options.backoff);
  }

  public onAdd(handler: (obj: T) => void): this {
    this.addHandlers.push(handler);
    return this;
  }

  public onUpdate(handler: (oldObj: T, newObj: T) => void): this {
    this.updateHandlers.push(handler);
    return this;
  }

  public onDelete(handler: (obj: T) => void): this {
    this.deleteHandlers.push(handler);
    return this;
  }

  /** Called for every cached object every resyncPeriodMs (no LIST is made). */
  public onResync(handler: (obj: T) => void): this {
    this.resyncHandlers.push(handler);
    return this;
  }

  /** Starts list+watch; resolves after the first successful LIST, rejects if stopped before. */
  public start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`informer ${this.name} was stopped`));
    const synced = this.synced
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
    if (!this.running) {
      this.running = this.run().catch((err) => this.log.error('informer loop failed', { err: err as Error }));
      const period = this.options.resyncPeriodMs ?? 0;
      if (period > 0) {
        this.resyncTimer = setInterval(() => this.resync(), period);
        this.resyncTimer.unref();
      }
    }
    return synced;
  }

  public hasSynced(): boolean {
    return this.synced;
  }

  /** Aborts the watch and any request in flight, clears timers; resolves once the loop ended. */
  public async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.listAbort.abort();
    this.current?.abort('stopped');
    this.sleeper.wake();
    for (const w of this.syncWaiters.splice(0)) w.reject(new Error(`informer ${this.name} stopped before it synced`));
    await this.running;
    await this.rest.close();
  }

  public stats(): InformerStats {
    return { synced: this.synced, ...this.counters, events: { ...this.events }, resourceVersion: this.rv };
  }

  /**
   * Test seam: breaks the current watch connection as a network failure would (the informer
   * backs off, then re-watches from the last resourceVersion). Returns false if no watch is open.
   * @internal
   */
  public simulateConnectionLoss(): boolean {
    if (!this.current) return false;
    this.current.abort('error', new Error('connection loss simulated by a test'));
    return true;
  }

  /**
   * Test seam: feeds one event into the current watch as if the API server had sent it,
   * e.g. `('ERROR', { kind: 'Status', code: 410, reason: 'Expired' })`.
   * @internal
   */
  public simulateWatchEvent(type: WatchEventType, obj: unknown): boolean {
    if (!this.current) return false;
    this.current.inject(type, obj);
    return true;
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        } else {
          this.counters.restarts++;
        }
        if (this.stopped) break;
        const [openedAt, seen] = [Date.now(), this.eventCount()];
        const end = await this.watchOnce();
        if (end.kind === 'error') throw end.err;
        // A watch the server closes at once, again and again, must not become a hot loop.
        if (end.kind === 'closed' && Date.now() - openedAt < 1000 && this.eventCount() === seen) throw new Error('watch closed right after it opened');
        if (end.kind === 'gone') {
          this.log.info('watch resourceVersion expired (410 Gone); relisting', { resourceVersion: this.rv });
          needList = true;
        } else if (end.kind === 'silent') {
          this.log.warn('watch silent; restarting it on a new connection', { silenceTimeoutMs: this.silenceMs });
          this.rest.reset();
        } else if (end.kind === 'closed') {
          this.log.debug('watch ended; resuming', { resourceVersion: this.rv });
        }
      } catch (err) {
        if (this.stopped) break;
        this.counters.errors++;
        if (httpStatusOf(err) === 410) {
          this.log.info('410 Gone; relisting', { err: err as Error });
          needList = true;
          continue;
        }
        if (httpStatusOf(err) === undefined) this.rest.reset(); // network error: reconnect
        const delayMs = this.backoff.next();
        this.log.warn('list/watch failed; retrying', { err: err as Error, delayMs, failures: this.backoff.consecutiveFailures });
        await this.sleeper.sleep(delayMs);
      }
    }
  }

  private async list(): Promise<void> {
    const o = this.options;
    const seen = new Set<string>();
    const listOptions = { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.pageSize ?? 500, signal: this.listAbort.signal };
    const { resourceVersion: rv, pages } = await listAll<T>(this.rest, o.listPath, listOptions, (obj) => {
      seen.add(objectKey(obj));
      this.apply(obj);
    }, () => {
      this.log.info('continue token expired; listing again without pagination');
      seen.clear();
    });
    this.counters.pages += pages;

    // Objects gone from the server are dropped, unless written through after this snapshot.
    for (const key of this.store.keys()) {
      const cached = this.store.get(key)!;
      if (seen.has(key) || !isNotOlder(rv, cached.metadata?.resourceVersion)) continue;
      this.store.remove(key);
      this.fire(this.deleteHandlers, cached);
    }
    this.rv = rv;
    if (this.counters.lists++ > 0) this.counters.relists++;
    this.log.debug('listed', { objects: this.store.size, resourceVersion: rv });
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
  }

  /** ADDED or MODIFIED (or a listed object): cache it and tell the handlers. */
  private apply(obj: T): void {
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    if (!this.store.upsert(obj)) return; // older than what was written through
    const stored = this.store.get(key)!;
    if (old) this.fire(this.updateHandlers, old, stored);
    else this.fire(this.addHandlers, stored);
  }

  private watchOnce(): Promise<EndOfWatch> {
    const o = this.options;
    const conn = openWatch(this.watcher, {
      path: o.watchPath ?? o.listPath,
      params: {
        allowWatchBookmarks: true,
        resourceVersion: this.rv,
        labelSelector: o.labelSelector,
        fieldSelector: o.fieldSelector,
        // The server ends each watch after 5-10 minutes (as client-go asks), spreading reconnects.
        timeoutSeconds: Math.floor(300 + Math.random() * 300),
      },
      silenceMs: this.silenceMs,
      onEvent: (type, obj) => {
        try {
          return this.handleEvent(type, obj);
        } catch (err) {
          this.log.error('could not apply a watch event', { type, err: err as Error });
          return undefined;
        }
      },
    });
    this.current = conn;
    return conn.ended.finally(() => {
      if (this.current === conn) this.current = undefined;
    });
  }

  /** Applies one watch event; returns how the watch must end if it must. */
  private handleEvent(type: string, raw: unknown): EndOfWatch | undefined {
    if (type in this.events) this.events[type as WatchEventType]++;
    const obj = raw as T;
    const rv = obj?.metadata?.resourceVersion;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.apply(obj);
        break;
      case 'DELETED': {
        const removed = this.store.remove(objectKey(obj), rv);
        if (removed || !this.store.has(objectKey(obj))) this.fire(this.deleteHandlers, removed ?? obj);
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const status = raw as { code?: number; reason?: string; message?: string };
        if (status?.code === 410) return { kind: 'gone' };
        const err = Object.assign(new Error(`watch ERROR event: ${status?.message ?? status?.reason ?? 'unknown'}`), { code: status?.code });
        return { kind: 'error', err };
      }
      default:
        this.log.warn('unknown watch event type', { type });
        return undefined;
    }
    if (rv) this.rv = rv;
    return undefined;
  }

  private fire<A extends unknown[]>(handlers: ((...args: A) => void)[], ...args: A): void {
    for (const h of handlers) {
      try {
        h(...args);
      } catch (err) {
        this.log.error('event handler threw', { err: err as Error });
      }
    }
  }

  private eventCount(): number {
    return Object.values(this.events).reduce((a, b) => a + b, 0);
  }

  private resync(): void {
    if (!this.synced || this.stopped || this.resyncHandlers.length === 0) return;
    for (const obj of this.store.list()) this.fire(this.resyncHandlers, obj);
  }
}
