/**
 * Helpers for work against the harness's control plane: the kubeconfig (found through
 * KUBEOPENCODE_TEST_KUBECONFIG or KUBECONFIG), fresh namespaces, server-side apply, and
 * kubeconfigs for a ServiceAccount's token (to test RBAC).
 */
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
} from '@kubernetes/client-node';
import { waitFor } from './wait.js';
import { httpStatusOf } from '../src/reconciler/runtime/api-errors.js';

/** The kubeconfig of the test control plane. */
export function kubeconfigPath(): string {
  const path = process.env.KUBEOPENCODE_TEST_KUBECONFIG ?? process.env.KUBECONFIG;
  if (!path) {
    throw new Error('No test control plane: KUBEOPENCODE_TEST_KUBECONFIG is not set. Run the tests with `npm test` '
      + '(the Jest global setup starts one) or start one with `npm run cluster -- up` and export its KUBECONFIG.');
  }
  return path;
}

/** A KubeConfig for the admin user of the test control plane (or of `path`). */
export function loadKubeConfig(path = kubeconfigPath()): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Whether `e` is an API error, optionally with the given HTTP status. */
export function isApiError(e: unknown, code?: number): e is Error & { code: number; body: unknown } {
  const status = httpStatusOf(e);
  return status !== undefined && (code === undefined || status === code);
}


/**
 * Creates a namespace with a unique name starting with `prefix` and returns the name.
 * Labels are handy for Pod Security, e.g. `{ 'pod-security.kubernetes.io/enforce': 'restricted' }`.
 */
export async function createTestNamespace(prefix: string, labels: Record<string, string> = {}, kc = loadKubeConfig()): Promise<string> {
  const suffix = randomBytes(4).toString('hex');
  const stem = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '').slice(0, 63 - suffix.length - 1);
  const name = `${stem || 'test'}-${suffix}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name, labels } } });
  return name;
}

/**
 * Deletes a namespace (a missing one is fine). With `wait`, returns only once it is gone,
 * which needs the namespace controller of kube-controller-manager.
 */
export async function deleteNamespace(name: string, options: { wait?: boolean; timeoutMs?: number; kc?: KubeConfig } = {}): Promise<void> {
  const core = (options.kc ?? loadKubeConfig()).makeApiClient(CoreV1Api);
  try {
    await core.deleteNamespace({ name });
  } catch (e) {
    if (isApiError(e, 404)) return;
    throw e;
  }
  if (!options.wait) return;
  await waitFor(async () => {
    try {
      await core.readNamespace({ name });
      return false;
    } catch (e) {
      if (isApiError(e, 404)) return true;
      throw e;
    }
  }, { timeoutMs: options.timeoutMs, description: `namespace ${name} to disappear` });
}

export interface ApplyOptions {
  fieldManager: string;
  /** Validate and admit, but persist nothing. */
  dryRun?: boolean;
  /** Take over fields owned by other managers instead of failing on conflicts. Default true, like controllers do. */
  force?: boolean;
  /** Namespace for namespaced objects that name none (default: the kubeconfig context's, like kubectl). */
  namespace?: string;
  kc?: KubeConfig;
}

/** A manifest of any kind: the header fields plus whatever the kind has (spec, data, rules...). */
export type Manifest = KubernetesObject | (KubernetesObject & Record<string, unknown>);

/**
 * Server-side applies manifests of any kind (built-in or custom), in order, and returns
 * what the API server stored (or would store, with `dryRun`).
 */
export async function applyYaml(manifests: string | Manifest | Manifest[], options: ApplyOptions): Promise<KubernetesObject[]> {
  const client = ObjectApi.create(options.kc ?? loadKubeConfig(), options.namespace);
  const applied: KubernetesObject[] = [];
  for (const object of parseManifests(manifests)) {
    applied.push(await client.patch(structuredClone(object), undefined, options.dryRun ? 'All' : undefined, options.fieldManager,
      options.force ?? true, PatchStrategy.ServerSideApply));
  }
  return applied;
}

function parseManifests(manifests: string | Manifest | Manifest[]): Manifest[] {
  const list = typeof manifests === 'string' ? loadAllYaml(manifests) as Manifest[] : [manifests].flat();
  return list.filter((o) => o && typeof o === 'object' && o.kind); // empty YAML documents
}

/**
 * The generic client, with the namespace it gives namespaced objects that name none made
 * settable. (It looks up whether a kind is namespaced itself, so cluster-scoped objects
 * are left alone.)
 */
class ObjectApi extends KubernetesObjectApi {
  static create(kc: KubeConfig, namespace?: string): ObjectApi {
    const client = kc.makeApiClient(ObjectApi);
    client.defaultNamespace = namespace ?? client.setDefaultNamespace(kc);
    return client;
  }
}

/**
 * A KubeConfig that authenticates as a ServiceAccount, with a token from the TokenRequest
 * API (signed by the API server itself, so no token controller is needed). The
 * ServiceAccount must exist.
 */
export async function tokenKubeConfig(saNamespace: string, saName: string,
  options: { expirationSeconds?: number; kc?: KubeConfig } = {}): Promise<KubeConfig> {
  const admin = options.kc ?? loadKubeConfig();
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace: saNamespace,
    name: saName,
    body: { spec: { audiences: [], expirationSeconds: options.expirationSeconds ?? 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${saNamespace}/${saName} returned no token`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const user = `system:serviceaccount:${saNamespace}:${saName}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: cluster.name, user, namespace: saNamespace }],
    currentContext: user,
  });
  return kc;
}
