/**
 * The test control plane enforces what a real cluster enforces on kubeopencode's Pods and
 * its reconciler: RBAC for ServiceAccount tokens, and Pod Security admission.
 */
import { CoreV1Api, RbacAuthorizationV1Api, V1Pod } from '@kubernetes/client-node';
import { applyYaml, createTestNamespace, deleteNamespace, isApiError, loadKubeConfig, tokenKubeConfig } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

/** The API error a promise rejects with, or a failure if it resolves. */
async function apiErrorOf(promise: Promise<unknown>): Promise<{ code: number; text: string }> {
  try {
    await promise;
  } catch (e) {
    if (isApiError(e)) return { code: e.code, text: `${e.message} ${String(e.body)}` };
    throw e;
  }
  throw new Error('expected the API server to reject the request');
}

describe('RBAC', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createTestNamespace('rbac');
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });
  });
  afterAll(async () => { await deleteNamespace(namespace); });

  test('a ServiceAccount without bindings is authenticated but may not list Pods', async () => {
    const asNobody = (await tokenKubeConfig(namespace, 'nobody')).makeApiClient(CoreV1Api);
    const error = await apiErrorOf(asNobody.listNamespacedPod({ namespace }));
    expect(error.code).toBe(403); // 401 would mean the token itself was refused
    expect(error.text).toContain(`system:serviceaccount:${namespace}:nobody`);
  });

  test('the same ServiceAccount may list Pods once a RoleBinding allows it', async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'nobody-reads-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace }],
      },
    });
    const asNobody = (await tokenKubeConfig(namespace, 'nobody')).makeApiClient(CoreV1Api);
    // The authorizer sees new bindings through an informer: allow it a moment.
    const pods = await waitFor(() => asNobody.listNamespacedPod({ namespace }), { timeoutMs: 30_000, description: 'the RoleBinding to take effect' });
    expect(pods.items).toEqual([]);
  }, 60_000);
});

describe('Pod Security admission', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createTestNamespace('psa', { 'pod-security.kubernetes.io/enforce': 'restricted' });
  });
  afterAll(async () => { await deleteNamespace(namespace); });

  const pod = (name: string, container: Record<string, unknown>, podSecurity: Record<string, unknown> = {}): V1Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { securityContext: podSecurity, containers: [{ name: 'main', image: 'busybox', ...container }] },
  });

  test('a privileged Pod is rejected in a namespace that enforces the restricted policy', async () => {
    const privileged = pod('privileged', { securityContext: { privileged: true } });
    const error = await apiErrorOf(core.createNamespacedPod({ namespace, body: privileged }));
    expect(error.code).toBe(403);
    expect(error.text).toMatch(/violates PodSecurity \\?"restricted:latest\\?"/);
    expect(error.text).toContain('privileged');
  });

  test('a Pod that meets the restricted policy is admitted (server-side dry run)', async () => {
    const restricted = pod('restricted', {
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    }, { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    const [admitted] = await applyYaml([restricted], { fieldManager: 'kubeopencode-tests', namespace, dryRun: true });
    expect(admitted.metadata?.namespace).toBe(namespace);
    await expect(core.readNamespacedPod({ namespace, name: 'restricted' })).rejects.toMatchObject({ code: 404 });
  });
});
