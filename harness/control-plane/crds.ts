/**
 * Installs the kubeopencode CRDs into a test control plane. A module of its own because
 * the API client and the CRD sources (cdk8s) take seconds to load: session.ts starts
 * loading it while etcd and kube-apiserver boot.
 */
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import { crdsYaml } from '../../scripts/crds-yaml.js';
import { apiMessage } from '../../src/reconciler/runtime/api-errors.js';
import { applyYaml, loadKubeConfig } from '../kube.js';
import { waitFor } from '../wait.js';

export const FIELD_MANAGER = 'kubeopencode-tests';

/** Server-side applies the kubeopencode CRDs and waits until each is Established. */
export async function installCrds(kubeconfigPath: string): Promise<string[]> {
  const started = Date.now();
  const kc: KubeConfig = loadKubeConfig(kubeconfigPath);
  const crds = await applyYaml(crdsYaml(), { fieldManager: FIELD_MANAGER, kc }).catch((e: unknown) => {
    throw new Error(`the API server rejected the kubeopencode CRDs (from scripts/crds-yaml.ts): ${apiMessage(e)}`);
  });
  const names = crds.map((crd) => crd.metadata!.name!);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const name of names) {
    await waitFor(async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, { timeoutMs: 60_000, description: `CRD ${name} to be Established` });
  }
  process.stderr.write(`[cluster] CRDs established in ${((Date.now() - started) / 1000).toFixed(1)} s: ${names.join(', ')}\n`);
  return names;
}
