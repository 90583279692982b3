import { isNotOlder, objectKey, Store } from '../../../src/reconciler/runtime/store.js';

interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; managedFields?: unknown[] };
  spec?: { agent?: string; tags?: string[] };
}

const obj = (name: string, rv: string | undefined, extra: Partial<Obj> = {}, namespace: string | undefined = 'ns'): Obj => ({
  ...extra,
  metadata: { name, namespace, resourceVersion: rv, ...extra.metadata },
});

describe('Store', () => {
  test('keys objects by namespace/name, cluster-scoped ones by name', () => {
    expect(objectKey(obj('a', '1'))).toBe('ns/a');
    expect(objectKey({ kind: 'Node', metadata: { name: 'node-1', resourceVersion: '1' } })).toBe('node-1');
    expect(() => objectKey({ kind: 'Pod', metadata: {} })).toThrow(/no metadata.name/);
  });

  test('get, list, size, keys after upserts', () => {
    const s = new Store<Obj>();
    expect(s.upsert(obj('a', '1'))).toBe(true);
    expect(s.upsert(obj('b', '2', {}, 'other'))).toBe(true);
    expect(s.size).toBe(2);
    expect(s.get('ns/a')?.metadata.resourceVersion).toBe('1');
    expect(s.get('other/b')).toBeDefined();
    expect(s.get('ns/b')).toBeUndefined();
    expect(s.keys().sort()).toEqual(['ns/a', 'other/b']);
    expect(s.list().map((o) => o.metadata.name).sort()).toEqual(['a', 'b']);
  });

  test('a newer resourceVersion replaces the cached object, an older one does not', () => {
    const s = new Store<Obj>();
    s.upsert(obj('a', '10', { spec: { agent: 'x' } }));
    expect(s.upsert(obj('a', '9', { spec: { agent: 'stale' } }))).toBe(false);
    expect(s.get('ns/a')?.spec?.agent).toBe('x');
    expect(s.upsert(obj('a', '11', { spec: { agent: 'y' } }))).toBe(true);
    expect(s.get('ns/a')?.spec?.agent).toBe('y');
  });

  test('an equal resourceVersion is accepted (a write-through seen again on the watch)', () => {
    const s = new Store<Obj>();
    s.upsert(obj('a', '10'));
    expect(s.upsert(obj('a', '10', { spec: { agent: 'same' } }))).toBe(true);
  });

  test('compares resourceVersions as integers, not as strings', () => {
    const s = new Store<Obj>();
    s.upsert(obj('a', '9'));
    expect(s.upsert(obj('a', '10'))).toBe(true); // "10" < "9" as strings
    expect(s.upsert(obj('a', '99999999999999999998'))).toBe(true); // beyond Number precision
    expect(s.upsert(obj('a', '99999999999999999997'))).toBe(false);
  });

  test('accepts anything when a resourceVersion is missing or not an integer', () => {
    expect(isNotOlder(undefined, '5')).toBe(true);
    expect(isNotOlder('5', undefined)).toBe(true);
    expect(isNotOlder('abc', '5')).toBe(true);
    expect(isNotOlder('4', 'x7')).toBe(true);
    expect(isNotOlder('4', '5')).toBe(false);
  });

  test('strips metadata.managedFields but keeps the rest of metadata', () => {
    const s = new Store<Obj>();
    const input = obj('a', '1', { metadata: { name: 'a', labels: { l: 'v' }, managedFields: [{ manager: 'kubectl' }] } });
    s.upsert(input);
    const cached = s.get('ns/a')!;
    expect(cached.metadata).not.toHaveProperty('managedFields');
    expect(cached.metadata.labels).toEqual({ l: 'v' });
    expect(cached.metadata.resourceVersion).toBe('1');
    expect(input.metadata.managedFields).toHaveLength(1); // the caller's object is not mutated
  });

  test('remove forgets an object; with a resourceVersion only if the cache is not newer', () => {
    const s = new Store<Obj>();
    s.upsert(obj('a', '10'));
    expect(s.remove('ns/a', '9')).toBeUndefined();
    expect(s.get('ns/a')).toBeDefined();
    expect(s.remove('ns/a', '12')?.metadata.name).toBe('a');
    expect(s.size).toBe(0);
    s.upsert(obj('b', '3'));
    expect(s.remove('ns/b')?.metadata.name).toBe('b');
    expect(s.remove('ns/missing')).toBeUndefined();
  });

  test('secondary indexes follow upserts, changed values and removals', () => {
    const s = new Store<Obj>();
    s.upsert(obj('before-index', '1', { spec: { agent: 'a1' } }));
    s.addIndex('byAgent', (o) => (o.spec?.agent ? [o.spec.agent] : []));
    s.addIndex('byTag', (o) => o.spec?.tags ?? []);
    expect(s.byIndex('byAgent', 'a1').map((o) => o.metadata.name)).toEqual(['before-index']);

    s.upsert(obj('t1', '2', { spec: { agent: 'a1', tags: ['x', 'y', 'x'] } }));
    s.upsert(obj('t2', '3', { spec: { agent: 'a2', tags: ['y'] } }));
    expect(s.byIndex('byAgent', 'a1').map((o) => o.metadata.name).sort()).toEqual(['before-index', 't1']);
    expect(s.byIndex('byTag', 'x').map((o) => o.metadata.name)).toEqual(['t1']);
    expect(s.byIndex('byTag', 'y').map((o) => o.metadata.name).sort()).toEqual(['t1', 't2']);

    // t1 moves to agent a2: it leaves a1's bucket
    s.upsert(obj('t1', '4', { spec: { agent: 'a2', tags: [] } }));
    expect(s.byIndex('byAgent', 'a1').map((o) => o.metadata.name)).toEqual(['before-index']);
    expect(s.byIndex('byAgent', 'a2').map((o) => o.metadata.name).sort()).toEqual(['t1', 't2']);
    expect(s.byIndex('byTag', 'x')).toEqual([]);

    // a refused (older) upsert leaves the index alone
    s.upsert(obj('t1', '3', { spec: { agent: 'a1' } }));
    expect(s.byIndex('byAgent', 'a1').map((o) => o.metadata.name)).toEqual(['before-index']);

    s.remove('ns/t2');
    expect(s.byIndex('byAgent', 'a2').map((o) => o.metadata.name)).toEqual(['t1']);
    expect(s.byIndex('byAgent', 'nobody')).toEqual([]);
    expect(() => s.byIndex('nope', 'x')).toThrow(/no index named nope/);
    expect(() => s.addIndex('byAgent', () => [])).toThrow(/already exists/);
  });

  test('strips managedFields from every one of 10,000 cached objects (the memory budget relies on it)', () => {
    const s = new Store<Obj>();
    const managedFields = Array.from({ length: 4 }, (_, i) => ({ manager: `m${i}`, fieldsV1: { f: 'x'.repeat(2000) } }));
    for (let i = 0; i < 10_000; i++) {
      s.upsert(obj(`task-${i}`, String(i + 1), { metadata: { name: `task-${i}`, managedFields }, spec: { agent: 'a', tags: ['t'] } }));
    }
    expect(s.size).toBe(10_000);
    expect(s.list().every((o) => !('managedFields' in o.metadata))).toBe(true);
  });
});
