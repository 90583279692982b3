/**
 * The control plane the Jest global setup starts behaves like a cluster where it matters
 * to kubeopencode: CRDs installed, namespaces that finish terminating, and cascading
 * deletion through ownerReferences (both need kube-controller-manager).
 */
import { ApiextensionsV1Api, CoreV1Api, KubernetesObject, KubernetesObjectApi, V1ConfigMap } from '@kubernetes/client-node';
import { applyYaml, createTestNamespace, deleteNamespace, isApiError, loadKubeConfig } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';

const FIELD_MANAGER = 'kubeopencode-tests';
const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

/** Resolves true once reading the object gives 404. */
const isGone = (read: () => Promise<unknown>) => async () => {
  try {
    await read();
    return false;
  } catch (e) {
    if (isApiError(e, 404)) return true;
    throw e;
  }
};

describe('kubeopencode CRDs', () => {
  test.each([
    ['tasks.kubeopencode.io', 'tk'],
    ['agents.kubeopencode.io', 'ag'],
    ['kubeopencodeconfigs.kubeopencode.io', 'koc'],
    ['crontasks.kubeopencode.io', 'ct'],
  ])('%s is Established with short name %s', async (name, shortName) => {
    const crd = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
    expect(crd.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    expect(crd.spec.names.shortNames).toContain(shortName);
  });

  test('a Task can be server-side applied and read back', async () => {
    const namespace = await createTestNamespace('crd-apply');
    const task = { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: 'hello' }, spec: { description: 'say hello' } };
    const [applied] = await applyYaml([task], { fieldManager: FIELD_MANAGER, namespace });
    expect(applied.metadata?.namespace).toBe(namespace);
    const read = await KubernetesObjectApi.makeApiClient(kc).read<KubernetesObject & { spec: { description: string } }>(
      { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: 'hello', namespace } });
    expect(read.spec.description).toBe('say hello');
    await deleteNamespace(namespace);
  });
});

describe('namespace controller', () => {
  test('a deleted namespace, with objects in it, disappears', async () => {
    const namespace = await createTestNamespace('ns-delete');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'inside' }, data: { a: 'b' } } });
    await deleteNamespace(namespace, { wait: true, timeoutMs: 60_000 });
    await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
  }, 90_000);
});

describe('garbage collector', () => {
  let namespace: string;
  beforeAll(async () => { namespace = await createTestNamespace('gc'); });
  afterAll(async () => { await deleteNamespace(namespace); });

  const dependentOf = (owner: KubernetesObject, name: string): V1ConfigMap => ({
    metadata: {
      name,
      ownerReferences: [{ apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata!.name!, uid: owner.metadata!.uid! }],
    },
  });

  test('a ConfigMap owned by a deleted ConfigMap is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({ namespace, body: dependentOf({ ...owner, apiVersion: 'v1', kind: 'ConfigMap' }, 'dependent') });
    await core.deleteNamespacedConfigMap({ namespace, name: 'owner' });
    await waitFor(isGone(() => core.readNamespacedConfigMap({ namespace, name: 'dependent' })),
      { timeoutMs: 60_000, description: 'the dependent ConfigMap to be garbage-collected' });
  }, 90_000);

  test('a ConfigMap owned by a deleted Task is deleted (the collector knows the CRDs)', async () => {
    const [task] = await applyYaml([{ apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name: 'owner-task' }, spec: { description: 'x' } }],
      { fieldManager: FIELD_MANAGER, namespace });
    await core.createNamespacedConfigMap({ namespace, body: dependentOf(task, 'task-output') });
    await KubernetesObjectApi.makeApiClient(kc).delete(task);
    await waitFor(isGone(() => core.readNamespacedConfigMap({ namespace, name: 'task-output' })),
      { timeoutMs: 60_000, description: 'the ConfigMap owned by the Task to be garbage-collected' });
  }, 90_000);
});
