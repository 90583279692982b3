/**
 * The e2e cluster: a second, realistic control plane (the `cluster` profile of
 * control-plane.ts, with the kubeopencode CRDs) and the machine's real node attached to it,
 * for end-to-end tests that `helm install` the chart and run Task Pods in real containers.
 * The Jest global setup starts it (session.ts) and exports where it is; test workers read
 * that with `e2eCluster()`, which throws the reason when this machine cannot run it (the
 * tests then fail with that reason; they are never skipped).
 */
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ControlPlane } from './control-plane/control-plane.js';
import { repoRoot } from './control-plane/state.js';
import { createTestNamespace, loadKubeConfig } from './kube.js';
import { importTestImages } from './node/images.js';
import { nodeIP as machineNodeIP, nodeUnavailableReason } from './node/machine.js';
import { RealNode } from './node/real-node.js';
import { waitFor } from './wait.js';

export { TEST_IMAGES } from './node/images.js';

/** What test workers (other processes) learn through the environment. */
export interface E2eClusterInfo {
  kubeconfigPath: string;
  node: { containerdAddress: string; containerdNamespace: string; nodeName: string; nodeIP: string };
}

export const E2E_ENV = {
  kubeconfig: 'KUBEOPENCODE_E2E_KUBECONFIG',
  containerd: 'KUBEOPENCODE_E2E_CONTAINERD',
  nodeIP: 'KUBEOPENCODE_E2E_NODE_IP',
  nodeName: 'KUBEOPENCODE_E2E_NODE_NAME',
  unavailable: 'KUBEOPENCODE_E2E_UNAVAILABLE',
} as const;

/** This machine cannot run the e2e cluster; `reason` is one line. */
export class E2eUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`the e2e cluster is unavailable: ${reason}`);
  }
}

export interface E2eCluster extends E2eClusterInfo {
  plane: ControlPlane;
  node: RealNode;
  stop(): Promise<void>;
}

const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/**
 * The control plane (CRDs installed before its controllers start), then the node, then the
 * test images (busybox, apiprobe) in its containerd. Throws E2eUnavailableError when the
 * machine cannot run a node.
 */
export async function startE2eCluster(binDir: string, installCrds?: (kubeconfigPath: string) => Promise<unknown>): Promise<E2eCluster> {
  const reason = await nodeUnavailableReason(binDir, join(repoRoot, 'harness', 'node', 'install-packages.sh'));
  if (reason) throw new E2eUnavailableError(reason);
  const started = Date.now();
  // The node's lock, host snapshot and containerd need no cluster: they go while it starts.
  // Long enough for the previous run's restore (about a second), short for a concurrent run that keeps the node.
  const lockWaitS = Number(process.env.KUBEOPENCODE_NODE_LOCK_WAIT_S ?? 10);
  const preparing = RealNode.prepare({ binDir, lockWaitMs: lockWaitS * 1000 });
  preparing.catch(() => undefined); // awaited below; a failure must not be unhandled meanwhile
  const starting = ControlPlane.start({
    binDir,
    profile: 'cluster',
    nodeIP: machineNodeIP(),
    beforeControllers: installCrds && (async (endpoint) => { await installCrds(endpoint.kubeconfigPath); }),
    log,
  });
  const [prepared, planeStarted] = await Promise.allSettled([preparing, starting]);
  if (prepared.status === 'rejected' || planeStarted.status === 'rejected') {
    await Promise.all([prepared.status === 'fulfilled' && prepared.value.stop(), planeStarted.status === 'fulfilled' && planeStarted.value.stop()]);
    throw prepared.status === 'rejected' ? prepared.reason : (planeStarted as PromiseRejectedResult).reason;
  }
  const [node, plane] = [prepared.value, planeStarted.value];
  try {
    const endpoint = plane.endpoint;
    await Promise.all([
      node.join({ ...endpoint, kubeletClientCaFile: endpoint.kubeletClientCaFile! }),
      importTestImages(join(binDir, 'ctr'), node.containerdAddress, binDir),
    ]);
  } catch (e) {
    await node.stop();
    await plane.stop();
    throw e;
  }
  log(`e2e cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${plane.endpoint.server}, node ${node.nodeName}`);
  return {
    plane,
    node,
    kubeconfigPath: plane.endpoint.kubeconfigPath,
    stop: async () => {
      await node.stop();
      await plane.stop();
    },
  };
}

/** Makes the e2e cluster visible to test workers. */
export function exportE2eEnv(cluster: E2eClusterInfo): void {
  process.env[E2E_ENV.kubeconfig] = cluster.kubeconfigPath;
  process.env[E2E_ENV.containerd] = cluster.node.containerdAddress;
  process.env[E2E_ENV.nodeIP] = cluster.node.nodeIP;
  process.env[E2E_ENV.nodeName] = cluster.node.nodeName;
  delete process.env[E2E_ENV.unavailable];
}

export function exportE2eUnavailable(reason: string): void {
  process.env[E2E_ENV.unavailable] = reason;
}

/** In a test: where the e2e cluster is. Throws (so the test fails) with the reason it is not there. */
export function e2eCluster(): E2eClusterInfo {
  const env = process.env;
  const unavailable = env[E2E_ENV.unavailable];
  if (unavailable) throw new Error(`no e2e cluster in this run: ${unavailable}`);
  const { kubeconfig, containerd, nodeIP: ip, nodeName: name } = E2E_ENV;
  const [kubeconfigPath, containerdAddress, nodeIP, nodeName] = [kubeconfig, containerd, ip, name].map((n) => env[n]);
  if (!kubeconfigPath || !containerdAddress || !nodeIP || !nodeName) {
    throw new Error(`no e2e cluster: ${E2E_ENV.kubeconfig} is not set. Run the tests with \`npm test\` (the Jest global setup starts it).`);
  }
  return { kubeconfigPath, node: { containerdAddress, containerdNamespace: 'k8s.io', nodeName, nodeIP } };
}

/** The admin KubeConfig of the e2e cluster. */
export const e2eKubeConfig = (): KubeConfig => loadKubeConfig(e2eCluster().kubeconfigPath);

/**
 * A fresh namespace in the e2e cluster, returned once its `default` ServiceAccount exists:
 * ServiceAccount admission is on there, and refuses Pods created before the serviceaccount
 * controller has made it.
 */
export async function createE2eNamespace(prefix: string, labels: Record<string, string> = {}, kc = e2eKubeConfig()): Promise<string> {
  const name = await createTestNamespace(prefix, labels, kc);
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
    { description: `ServiceAccount ${name}/default`, timeoutMs: 30_000, intervalMs: 100 });
  return name;
}
