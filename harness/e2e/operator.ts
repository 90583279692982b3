/**
 * The operator as users install it, on the e2e cluster: our images built from our
 * Dockerfiles and loaded into the node, `helm install` of charts/kubeopencode with the
 * controller image set to the local build, and the controller running AS A POD, reaching
 * the API server in-cluster (the `kubernetes` Service, through kube-proxy) with its
 * ServiceAccount token. One install per test file: each watches only its own namespaces
 * (`<id>-*`), so test files running side by side never reconcile each other's Tasks.
 */
import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { E2E_IMAGES, loadE2eImages } from './images.js';
import { createE2eNamespace, e2eCluster, e2eKubeConfig } from '../e2e-cluster.js';
import { applyYaml, deleteNamespace } from '../kube.js';
import { chartDir, helmOk, valuesFile } from '../operator/helm.js';
import { waitFor } from '../wait.js';

export const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted' } as const;

export interface E2eOperator {
  readonly kc: KubeConfig;
  /** The prefix of every namespace this operator watches. */
  readonly id: string;
  readonly release: string;
  readonly releaseNamespace: string;
  /** The controller's Pod (its Lease holder). */
  readonly podName: string;
  readonly leaseName: string;
  /** The node's address: where Pods reach the tests' servers. */
  readonly nodeIP: string;
  /** A fresh namespace this operator watches, enforcing Pod Security `restricted`. */
  createNamespace(name: string): Promise<string>;
  /** The controller's /metrics, through the API server's proxy to its Pod. */
  metrics(): Promise<string>;
  /** The controller container's log (for failure messages). */
  logs(): Promise<string>;
  uninstall(): Promise<void>;
}

const repository = (image: string) => image.replace(/:[^/:]+$/, '');
const tag = (image: string) => image.slice(image.lastIndexOf(':') + 1);
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/** The chart's values for this install: the local images, only this install's namespaces, then `extra` (e.g. `ui`). */
function chartValues(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    controller: {
      image: { repository: repository(E2E_IMAGES.system), tag: tag(E2E_IMAGES.system), pullPolicy: 'IfNotPresent' },
      watchNamespaces: [`${id}-*`],
    },
    config: { create: false },
    ...extra,
  };
}

export interface InstallOptions {
  /** More top-level values for this install (not `controller` or `config`), e.g. `{ ui: { enabled: true } }`. */
  readonly values?: Record<string, unknown>;
}

/**
 * The cluster's KubeOpenCodeConfig, as the chart renders it (`config.create`), with the
 * system image left to default to the controller image. Applied server-side rather than
 * owned by a release: it is a cluster-wide singleton, which a second release could not
 * create and the first one's uninstall would delete under the others.
 */
async function applyClusterConfig(kc: KubeConfig, id: string): Promise<void> {
  const values = { ...chartValues(id), config: { create: true, systemImage: { image: '', imagePullPolicy: 'IfNotPresent' } } };
  const manifest = await helmOk(['template', 'kubeopencode', chartDir, '--show-only', 'templates/kubeopencodeconfig.yaml', '-f', valuesFile(values)]);
  await applyYaml(manifest, { fieldManager: 'kubeopencode-e2e', kc });
}

const argValue = (deployment: V1Deployment, flag: string): string | undefined =>
  deployment.spec?.template.spec?.containers[0].args?.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);

/** What a controller Pod that is not ready is doing, for the timeout message. */
function describePod(pod: V1Pod | undefined): string {
  if (!pod) return 'no Pod yet';
  const statuses = pod.status?.containerStatuses ?? [];
  const states = statuses.map((c) => `${c.name}: ${JSON.stringify(c.state)} (restarts ${c.restartCount})`).join('; ');
  return `Pod ${pod.metadata?.name} ${pod.status?.phase}${states ? `, ${states}` : ''}`;
}

/** Builds and loads the images, installs the chart, waits until the controller Pod leads with synced caches. */
export async function installOperatorOnE2e(options: InstallOptions = {}): Promise<E2eOperator> {
  const { node } = e2eCluster(); // throws why there is no e2e cluster: the test fails with it
  const kc = e2eKubeConfig();
  const started = Date.now();
  const images = await loadE2eImages();
  log(`images ready in ${images.seconds.toFixed(1)} s${images.imported.length ? ` (imported ${images.imported.join(', ')})` : ''}`);
  const id = `e2e${randomBytes(3).toString('hex')}`;
  const release = `kubeopencode-${id}`;
  const releaseNamespace = await createE2eNamespace(`${id}-system`, RESTRICTED, kc);
  await applyClusterConfig(kc, id);
  await helmOk(['install', release, chartDir, '--namespace', releaseNamespace, '-f', valuesFile(chartValues(id, options.values))],
    { kubeconfig: e2eCluster().kubeconfigPath });
  const operator = new Installed(kc, id, release, releaseNamespace, node.nodeIP);
  try {
    await operator.waitUntilLeading();
  } catch (e) {
    const logs = await operator.logs().catch(() => '(no log)');
    await operator.uninstall().catch(() => undefined);
    throw new Error(`${(e as Error).message}\ncontroller log:\n${logs.split('\n').slice(-30).join('\n')}`);
  }
  log(`operator ${release} leads in ${releaseNamespace} (Pod ${operator.podName}), ${((Date.now() - started) / 1000).toFixed(1)} s after the install began`);
  return operator;
}

class Installed implements E2eOperator {
  public podName = '';
  public leaseName = '';
  private readonly core: CoreV1Api;
  private readonly namespaces: string[] = [];

  constructor(readonly kc: KubeConfig, readonly id: string, readonly release: string, readonly releaseNamespace: string, readonly nodeIP: string) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async createNamespace(name: string): Promise<string> {
    const namespace = await createE2eNamespace(`${this.id}-${name}`, RESTRICTED, this.kc);
    this.namespaces.push(namespace);
    return namespace;
  }

  metrics(): Promise<string> {
    return this.core.connectGetNamespacedPodProxyWithPath({ name: `${this.podName}:8080`, namespace: this.releaseNamespace, path: 'metrics' });
  }

  logs(): Promise<string> {
    return this.podName ? this.core.readNamespacedPodLog({ name: this.podName, namespace: this.releaseNamespace, container: 'controller' }) : Promise.resolve('');
  }

  async uninstall(): Promise<void> {
    await helmOk(['uninstall', this.release, '--namespace', this.releaseNamespace, '--wait', '--timeout', '60s'], { kubeconfig: e2eCluster().kubeconfigPath });
    await Promise.all([...this.namespaces, this.releaseNamespace].map((ns) => deleteNamespace(ns, { kc: this.kc })));
  }

  /** The Deployment's Pod is Ready (its probes pass), holds the Lease, and says so on /metrics with its caches synced. */
  async waitUntilLeading(): Promise<void> {
    const apps = this.kc.makeApiClient(AppsV1Api);
    // By name: the release namespace may hold the UI's Deployment too.
    const deployment = await waitFor(() => apps.readNamespacedDeployment({ namespace: this.releaseNamespace, name: `${this.release}-controller` }),
      { description: `the controller Deployment of ${this.release}`, timeoutMs: 30_000 });
    this.leaseName = argValue(deployment, '--leader-election-id')!;
    const selector = Object.entries(deployment.spec!.selector.matchLabels!).map(([k, v]) => `${k}=${v}`).join(',');
    let last: V1Pod | undefined;
    const pod = await waitFor(async () => {
      const pods = (await this.core.listNamespacedPod({ namespace: this.releaseNamespace, labelSelector: selector })).items;
      last = pods[0];
      return pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, { description: `the controller Pod of ${this.release} to be Ready`, timeoutMs: 120_000, intervalMs: 250 })
      .catch((e: Error) => { throw new Error(`${e.message}: ${describePod(last)}`); });
    this.podName = pod.metadata!.name!;
    const coordination = this.kc.makeApiClient(CoordinationV1Api);
    await waitFor(async () => {
      const lease = await coordination.readNamespacedLease({ name: this.leaseName, namespace: this.releaseNamespace });
      return lease.spec?.holderIdentity?.startsWith(`${this.podName}_`);
    }, { description: `Pod ${this.podName} to hold the Lease ${this.leaseName}`, timeoutMs: 60_000, intervalMs: 250 });
    await waitFor(async () => leadingWithSyncedCaches(await this.metrics()), { description: `Pod ${this.podName}'s /metrics to say it leads with synced caches`, timeoutMs: 60_000 });
  }
}

/** `kubeopencode_leader 1`, and every informer's `kubeopencode_informer_synced` 1. */
export function leadingWithSyncedCaches(metrics: string): boolean {
  const lines = metrics.split('\n');
  const synced = lines.filter((l) => l.startsWith('kubeopencode_informer_synced{'));
  return lines.includes('kubeopencode_leader 1') && synced.length > 0 && synced.every((l) => l.endsWith(' 1'));
}
