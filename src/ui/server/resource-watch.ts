/**
 * One resource (Tasks or Agents) watched for one user: a single cluster-wide informer when
 * the user may list and watch in every namespace, else one informer per namespace the user
 * (or the server's flags) named and may list. Every browser tab of that user shares it.
 */
import { mayI } from './kube.js';
import { forbiddenMessage } from './problems.js';
import { ApiError } from '../../reconciler/runtime/api-errors.js';
import { Informer } from '../../reconciler/runtime/informer.js';
import { Logger } from '../../reconciler/runtime/logger.js';
import { RestClient } from '../../reconciler/runtime/rest-client.js';
import { KubeObject, objectKey } from '../../reconciler/runtime/store.js';
import type { WatchScope } from '../shared/types.js';

export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** In messages: "list Tasks". */
  readonly title: string;
}

/** Called with the object's key and the object, or undefined when it was deleted. */
export type ChangeListener<T> = (key: string, obj: T | undefined) => void;

const CLUSTER = '';
const SYNC_TIMEOUT_MS = 30_000;
const FORBIDDEN_RECHECK_MS = 60_000;

export class ResourceWatch<T extends KubeObject> {
  private clusterWide = false;
  private readonly informers = new Map<string, Informer<T>>();
  private readonly pending = new Map<string, Promise<void>>();
  /** Namespace -> why not, and when that was found (asked again after FORBIDDEN_RECHECK_MS: RBAC changes). */
  private readonly forbidden = new Map<string, { message: string; at: number }>();
  private readonly listeners = new Set<ChangeListener<T>>();
  private stopped = false;
  private starting?: Promise<void>;

  constructor(private readonly client: RestClient, private readonly def: ResourceDef, private readonly log: Logger) {}

  /**
   * Decides cluster-wide or per namespace, and starts watching; resolves once the first lists
   * are in. Calling it again after it succeeded does nothing; after a failure it tries again.
   */
  public start(namespaces: readonly string[]): Promise<void> {
    if (!this.starting) {
      this.starting = this.begin(namespaces);
      this.starting.catch(() => (this.starting = undefined));
    }
    return this.starting;
  }

  private async begin(namespaces: readonly string[]): Promise<void> {
    const attrs = { group: this.def.group, resource: this.def.plural };
    const [list, watch] = await Promise.all([mayI(this.client, { ...attrs, verb: 'list' }), mayI(this.client, { ...attrs, verb: 'watch' })]);
    if (list && watch) {
      this.clusterWide = true;
      await this.startInformer(CLUSTER);
      return;
    }
    await this.addNamespaces(namespaces);
  }

  /** Watches these namespaces too (nothing to do when cluster-wide); forbidden ones are remembered. */
  public async addNamespaces(namespaces: readonly string[]): Promise<void> {
    if (this.clusterWide) return;
    const now = Date.now();
    const worthAsking = (ns: string) => now - (this.forbidden.get(ns)?.at ?? 0) > FORBIDDEN_RECHECK_MS;
    await Promise.all(namespaces.filter((ns) => ns && worthAsking(ns)).map((ns) => this.addNamespace(ns)));
  }

  private addNamespace(ns: string): Promise<void> {
    if (this.informers.has(ns)) return Promise.resolve();
    let p = this.pending.get(ns);
    if (!p) {
      p = (async () => {
        const attrs = { group: this.def.group, resource: this.def.plural, namespace: ns };
        const [list, watch] = await Promise.all([mayI(this.client, { ...attrs, verb: 'list' }), mayI(this.client, { ...attrs, verb: 'watch' })]);
        if (!list || !watch) {
          this.forbidden.set(ns, { message: forbiddenMessage({ action: `${list ? 'watch' : 'list'} ${this.def.title}`, namespace: ns }), at: Date.now() });
          return;
        }
        this.forbidden.delete(ns);
        await this.startInformer(ns);
      })().finally(() => this.pending.delete(ns));
      this.pending.set(ns, p);
    }
    return p;
  }

  private async startInformer(ns: string): Promise<void> {
    if (this.stopped) return;
    const base = `/apis/${this.def.group}/${this.def.version}`;
    const informer = new Informer<T>({
      name: `${this.def.plural}${ns ? `/${ns}` : ''}`,
      kc: this.client.kc,
      listPath: `${base}${ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${this.def.plural}`,
      logger: this.log,
    });
    informer.onAdd((o) => this.emit(objectKey(o), o));
    informer.onUpdate((_old, o) => this.emit(objectKey(o), o));
    informer.onDelete((o) => this.emit(objectKey(o), undefined));
    this.informers.set(ns, informer);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`listing ${this.def.title} took longer than ${SYNC_TIMEOUT_MS / 1000} s`)), SYNC_TIMEOUT_MS);
    });
    try {
      await Promise.race([informer.start(), timeout]);
    } catch (e) {
      // A list that never succeeds must not keep retrying for a page that gave up on it.
      this.informers.delete(ns);
      await informer.stop();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private emit(key: string, obj: T | undefined): void {
    for (const l of this.listeners) {
      try {
        l(key, obj);
      } catch (err) {
        this.log.error('change listener threw', { err: err as Error });
      }
    }
  }

  public on(listener: ChangeListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Watches open against the API server: 1 when cluster-wide, else one per namespace. */
  public get watchCount(): number {
    return this.informers.size;
  }

  /** Whether objects of `ns` are watched. */
  public covers(ns: string): boolean {
    return this.clusterWide || this.informers.has(ns);
  }

  /** The message for a namespace the user may not list, if it is one. */
  public forbiddenIn(ns: string): string | undefined {
    return this.forbidden.get(ns)?.message;
  }

  public get(namespace: string, name: string): T | undefined {
    const informer = this.informers.get(this.clusterWide ? CLUSTER : namespace);
    return informer?.store.get(`${namespace}/${name}`);
  }

  public list(): T[] {
    return [...this.informers.values()].flatMap((i) => i.store.list());
  }

  public scope(): WatchScope {
    return {
      clusterWide: this.clusterWide,
      namespaces: this.clusterWide ? [] : [...this.informers.keys()].sort(),
      forbidden: [...this.forbidden].map(([namespace, f]) => ({ namespace, message: f.message })),
    };
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.informers.clear();
  }
}

export const isForbidden = (e: unknown): boolean => e instanceof ApiError && e.code === 403;
