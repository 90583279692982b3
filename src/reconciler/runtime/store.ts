/**
 * An in-memory cache of one kind of object, fed by an Informer and by the reconciler's own
 * writes ("write-through"), so that a reconcile right after a write sees what it wrote.
 */

/** The least an object needs to be cached: a name, maybe a namespace, a resourceVersion. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly managedFields?: unknown;
  };
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`object of kind ${obj.kind ?? '?'} has no metadata.name`);
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

/**
 * Whether `incoming` may replace `current`: true unless both resourceVersions parse as integers
 * (etcd revisions, which is what kube-apiserver hands out) and `incoming`'s is smaller.
 * Equal versions are accepted: the same object written through and then seen on the watch.
 */
export function isNotOlder(incoming: string | undefined, current: string | undefined): boolean {
  const a = parseRv(incoming);
  const b = parseRv(current);
  if (a === undefined || b === undefined) return true;
  return a >= b;
}

function parseRv(rv: string | undefined): bigint | undefined {
  if (rv === undefined || !/^\d+$/.test(rv)) return undefined;
  return BigInt(rv);
}

/** Drops `metadata.managedFields`, which is large and never read by the reconciler. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (!obj.metadata || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata } as T;
}

export type IndexFunc<T> = (obj: T) => string[];

export class Store<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name -> index value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  public get size(): number {
    return this.items.size;
  }

  public get(key: string): T | undefined {
    return this.items.get(key);
  }

  public has(key: string): boolean {
    return this.items.has(key);
  }

  public list(): T[] {
    return [...this.items.values()];
  }

  public keys(): string[] {
    return [...this.items.keys()];
  }

  /**
   * Caches `obj` unless the cached copy is newer. Returns whether the cache changed.
   * managedFields are stripped before caching.
   */
  public upsert(obj: T): boolean {
    const key = objectKey(obj);
    const current = this.items.get(key);
    if (current && !isNotOlder(obj.metadata?.resourceVersion, current.metadata?.resourceVersion)) return false;
    const stored = stripManagedFields(obj);
    if (current) this.unindex(key, current);
    this.items.set(key, stored);
    this.index(key, stored);
    return true;
  }

  /**
   * Forgets `key`. With `resourceVersion`, only when the cached copy is not newer than it
   * (a delete seen for an old version must not drop a newer object written through).
   * Returns the removed object.
   */
  public remove(key: string, resourceVersion?: string): T | undefined {
    const current = this.items.get(key);
    if (!current) return undefined;
    if (resourceVersion !== undefined && !isNotOlder(resourceVersion, current.metadata?.resourceVersion)) {
      return undefined;
    }
    this.items.delete(key);
    this.unindex(key, current);
    return current;
  }

  public clear(): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
  }

  /** Adds a secondary index; existing objects are indexed at once. */
  public addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`index ${name} already exists`);
    this.indexers.set(name, fn);
    this.indices.set(name, new Map());
    for (const [key, obj] of this.items) this.indexOne(name, fn, key, obj);
  }

  public byIndex(name: string, value: string): T[] {
    const idx = this.indices.get(name);
    if (!idx) throw new Error(`no index named ${name}`);
    const keys = idx.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.items.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) this.indexOne(name, fn, key, obj);
  }

  private indexOne(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const idx = this.indices.get(name)!;
    for (const value of new Set(fn(obj))) {
      let keys = idx.get(value);
      if (!keys) {
        keys = new Set();
        idx.set(value, keys);
      }
      keys.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const value of new Set(fn(obj))) {
        const keys = idx.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) idx.delete(value);
      }
    }
  }
}
