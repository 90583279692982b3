/**
 * The Informer against a real kube-apiserver: list, watch, pagination, restarts, relists,
 * resync, RBAC errors. Each test gets a fresh namespace.
 */
import { randomBytes } from 'node:crypto';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import { createTestNamespace, deleteNamespace, isApiError, loadKubeConfig, tokenKubeConfig } from '../../../harness/kube.js';
import { waitFor } from '../../../harness/wait.js';
import { PooledConnection } from '../../../src/reconciler/runtime/connection.js';
import { Informer, InformerOptions } from '../../../src/reconciler/runtime/informer.js';
import { KubeObject } from '../../../src/reconciler/runtime/store.js';

const LABEL = 'kubeopencode.io/informer-test';

interface Recorded {
  added: string[];
  updated: { key: string; oldRv?: string; newRv?: string }[];
  deleted: string[];
  resynced: string[];
}

const keyOf = (o: KubeObject) => `${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

describe('Informer on a real API server', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let ns: string;
  const informers: Informer<KubeObject>[] = [];

  let pool: PooledConnection;

  beforeAll(() => {
    // The test's own API calls share one connection too (closed in afterAll).
    pool = new PooledConnection(loadKubeConfig());
    kc = pool.kubeConfig;
    core = kc.makeApiClient(CoreV1Api);
  });

  afterAll(() => pool.close());

  beforeEach(async () => {
    ns = await createTestNamespace('informer', {}, kc);
  });

  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
    await deleteNamespace(ns, { kc });
  });

  type Made<T extends KubeObject> = { inf: Informer<T>; rec: Recorded };
  function informer<T extends KubeObject = V1ConfigMap & KubeObject>(overrides: Partial<InformerOptions<T>> = {}): Made<T> {
    const rec: Recorded = { added: [], updated: [], deleted: [], resynced: [] };
    const inf = new Informer<T>({
      name: 'configmaps',
      kc,
      listPath: `/api/v1/namespaces/${ns}/configmaps`,
      labelSelector: LABEL,
      backoff: { initialMs: 200, maxMs: 1000 },
      ...overrides,
    });
    inf.onAdd((o) => rec.added.push(keyOf(o)));
    inf.onUpdate((oldObj, newObj) => {
      rec.updated.push({ key: keyOf(newObj), oldRv: oldObj.metadata?.resourceVersion, newRv: newObj.metadata?.resourceVersion });
    });
    inf.onDelete((o) => rec.deleted.push(keyOf(o)));
    inf.onResync((o) => rec.resynced.push(keyOf(o)));
    informers.push(inf as unknown as Informer<KubeObject>);
    return { inf, rec };
  }

  const createCm = (name: string, data: Record<string, string> = { v: '1' }) =>
    core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { [LABEL]: 'yes' } }, data } });
  const updateCm = (name: string, v: string) =>
    core.patchNamespacedConfigMap({ namespace: ns, name, body: [{ op: 'replace', path: '/data/v', value: v }] });
  const deleteCm = (name: string) => core.deleteNamespacedConfigMap({ namespace: ns, name });

  test('lists existing ConfigMaps, then sees add, update and delete', async () => {
    await createCm('a');
    await createCm('b');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'unlabelled' } } });
    const { inf, rec } = informer();
    await inf.start();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.store.keys().sort()).toEqual([`${ns}/a`, `${ns}/b`]);
    expect(rec.added.sort()).toEqual([`${ns}/a`, `${ns}/b`]);

    await createCm('c');
    await waitFor(() => rec.added.includes(`${ns}/c`), { description: 'ADDED c' });
    const updated = await updateCm('a', '2');
    await waitFor(() => inf.store.get(`${ns}/a`)?.data?.v === '2', { description: 'MODIFIED a in the store' });
    const u = rec.updated.find((x) => x.key === `${ns}/a`)!;
    expect(u.newRv).toBe(updated.metadata?.resourceVersion);
    expect(BigInt(u.oldRv!)).toBeLessThan(BigInt(u.newRv!));
    await deleteCm('b');
    await waitFor(() => rec.deleted.includes(`${ns}/b`), { description: 'DELETED b' });
    expect(inf.store.get(`${ns}/b`)).toBeUndefined();
    expect(inf.store.get(`${ns}/a`)?.metadata).not.toHaveProperty('managedFields');

    const s = inf.stats();
    expect(s).toMatchObject({ lists: 1, relists: 0, errors: 0 });
    expect(s.events.ADDED).toBe(1);
    expect(s.events.MODIFIED).toBe(1);
    expect(s.events.DELETED).toBe(1);
  });

  test('paginates the LIST (25 objects, pages of 7)', async () => {
    for (let i = 0; i < 25; i++) await createCm(`cm-${i}`);
    const { inf, rec } = informer({ pageSize: 7 });
    await inf.start();
    expect(inf.store.size).toBe(25);
    expect(rec.added).toHaveLength(25);
    expect(inf.stats()).toMatchObject({ lists: 1, pages: 4 });
    await createCm('after-list');
    await waitFor(() => inf.store.size === 26, { description: 'the watch after a paginated list' });
  });

  test('after a broken watch connection it backs off, resumes from the last resourceVersion and misses nothing', async () => {
    await createCm('keep');
    await createCm('change');
    await createCm('remove');
    const { inf, rec } = informer({ backoff: { initialMs: 1500, maxMs: 1500, jitter: 0 } });
    await inf.start();
    await waitFor(() => inf.simulateConnectionLoss(), { description: 'a watch to break' });
    await createCm('new');
    await updateCm('change', '2');
    await deleteCm('remove');
    // All three changes happened while the informer was still backing off, with no watch open.
    expect(inf.stats().restarts).toBe(0);
    expect(inf.store.get(`${ns}/new`)).toBeUndefined();

    await waitFor(() => inf.store.get(`${ns}/new`) && !inf.store.get(`${ns}/remove`) && inf.store.get(`${ns}/change`)?.data?.v === '2',
      { description: 'the changes made while disconnected' });
    expect(rec.added).toContain(`${ns}/new`);
    expect(rec.updated.map((u) => u.key)).toContain(`${ns}/change`);
    expect(rec.deleted).toEqual([`${ns}/remove`]);
    // Resumed by a watch from the last resourceVersion, not by a relist.
    expect(inf.stats()).toMatchObject({ lists: 1, relists: 0, errors: 1, restarts: 1 });
  });

  test('a 410 Gone ERROR event (injected through the test seam, shaped as the API server sends it) makes it relist and drop vanished objects', async () => {
    await createCm('real');
    const { inf, rec } = informer();
    await inf.start();
    // An object the server does not have (as if its DELETED event had been lost): the relist must drop it.
    inf.store.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'phantom', namespace: ns, resourceVersion: '1' } });
    await waitFor(() => inf.simulateWatchEvent('ERROR', {
      kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version: 1 (2)',
    }), { description: 'a watch to inject into' });
    await waitFor(() => inf.stats().relists === 1, { description: 'a relist' });
    expect(rec.deleted).toEqual([`${ns}/phantom`]);
    expect(inf.store.keys()).toEqual([`${ns}/real`]);
    expect(inf.stats()).toMatchObject({ lists: 2, errors: 0 });
    expect(inf.stats().events.ERROR).toBe(1);

    await createCm('after-relist');
    await waitFor(() => rec.added.includes(`${ns}/after-relist`), { description: 'events after the relist' });
  });

  test('a relist keeps objects written through after its snapshot', async () => {
    const { inf, rec } = informer();
    await inf.start();
    // Written through with a resourceVersion newer than any LIST so far: a relist must not drop it.
    inf.store.upsert({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fresh', namespace: ns, resourceVersion: '999999999999' } });
    await waitFor(() => inf.simulateWatchEvent('ERROR', { kind: 'Status', code: 410, reason: 'Expired' }), { description: 'a watch to inject into' });
    await waitFor(() => inf.stats().relists === 1, { description: 'a relist' });
    expect(inf.store.get(`${ns}/fresh`)).toBeDefined();
    expect(rec.deleted).toEqual([]);
  });

  test('onResync is called for every cached object each period, without relisting', async () => {
    await createCm('x');
    await createCm('y');
    const { inf, rec } = informer({ resyncPeriodMs: 300 });
    await inf.start();
    await waitFor(() => rec.resynced.filter((k) => k === `${ns}/x`).length >= 2 && rec.resynced.includes(`${ns}/y`),
      { description: 'two resyncs' });
    expect(inf.stats().lists).toBe(1);
  });

  test('the silence watchdog restarts a quiet watch from the last resourceVersion', async () => {
    const { inf, rec } = informer({ silenceTimeoutMs: 1000 });
    await inf.start();
    await waitFor(() => inf.stats().restarts >= 2, { description: 'two watchdog restarts' });
    expect(inf.stats()).toMatchObject({ lists: 1, relists: 0, errors: 0 });
    await createCm('late');
    await waitFor(() => rec.added.includes(`${ns}/late`), { description: 'events after the restarts' });
  });

  test('a throwing handler is logged and does not break the stream', async () => {
    const { inf, rec } = informer();
    inf.onAdd(() => {
      throw new Error('handler bug');
    });
    await inf.start();
    await createCm('one');
    await createCm('two');
    await waitFor(() => rec.added.length === 2, { description: 'both ADDED events' });
    expect(inf.stats().errors).toBe(0);
  });

  test('a forbidden LIST is retried with backoff until RBAC allows it', async () => {
    await createCm('secretive');
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
    const saKc = await tokenKubeConfig(ns, 'reader', { kc });
    const { inf } = informer({ kc: saKc, backoff: { initialMs: 100, maxMs: 400 } });
    let synced = false;
    const started = inf.start().then(() => (synced = true));
    await waitFor(() => inf.stats().errors >= 2, { description: 'failed LISTs' });
    expect(synced).toBe(false);

    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: 'cm-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }] },
    });
    await started;
    expect(inf.store.keys()).toEqual([`${ns}/secretive`]);
  });

  test('watches cluster-scoped objects (Namespaces)', async () => {
    const { inf, rec } = informer<V1Namespace & KubeObject>({ name: 'namespaces', listPath: '/api/v1/namespaces', labelSelector: `${LABEL}=${ns}` });
    await inf.start();
    expect(inf.store.size).toBe(0);
    await core.patchNamespace({ name: ns, body: [{ op: 'add', path: '/metadata/labels', value: { [LABEL]: ns } }] });
    await waitFor(() => rec.added.includes(ns), { description: 'the labelled namespace' });
    expect(inf.store.get(ns)?.metadata?.name).toBe(ns);
  });

  test('lists and watches a custom resource', async () => {
    const group = `itest-${randomBytes(3).toString('hex')}.kubeopencode.io`;
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const crdName = `widgets.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
        },
      },
    });
    try {
      const custom = kc.makeApiClient(CustomObjectsApi);
      const create = (name: string) => custom.createNamespacedCustomObject({
        group, version: 'v1', namespace: ns, plural: 'widgets', body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name }, spec: { size: 1 } },
      });
      await waitFor(async () => create('first').then(() => true), { description: 'the CRD to be served' });
      const { inf, rec } = informer({ name: 'widgets', listPath: `/apis/${group}/v1/widgets`, labelSelector: undefined });
      await inf.start();
      expect(rec.added).toEqual([`${ns}/first`]);
      await create('second');
      await waitFor(() => rec.added.includes(`${ns}/second`), { description: 'ADDED widget' });
    } finally {
      await ext.deleteCustomResourceDefinition({ name: crdName }).catch((e) => {
        if (!isApiError(e, 404)) throw e;
      });
    }
  });

  test('stop() before the first LIST completes rejects start() and leaves nothing running', async () => {
    const { inf } = informer();
    const started = expect(inf.start()).rejects.toThrow(/stopped before it synced/);
    await inf.stop();
    await started;
    await expect(inf.start()).rejects.toThrow(/was stopped/);
  });
});
