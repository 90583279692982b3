/**
 * The bench's own control plane (started for the run, stopped at the end) and the clients
 * the bench drives it with. Every bench client shares one pooled connection: client-node
 * would open a new TLS connection per request, and the bench must not load the API server
 * more than the thing it measures.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { processCpuMs } from './reconciler.js';
import { now } from './stats.js';
import { binDir as cachedBinDir } from '../../harness/control-plane/binaries.js';
import { ControlPlane } from '../../harness/control-plane/control-plane.js';
import { httpGet } from '../../harness/control-plane/net.js';
import { startWithCrds } from '../../harness/control-plane/session.js';
import { createTestNamespace, deleteNamespace, loadKubeConfig } from '../../harness/kube.js';
import { listAll } from '../../src/reconciler/runtime/list-request.js';
import { RestClient } from '../../src/reconciler/runtime/rest-client.js';

export class BenchCluster {
  /**
   * Starts a dedicated control plane, or uses the one of `kubeconfigPath` (for working on
   * the bench itself; figures from a shared control plane are not comparable).
   */
  public static async start(kubeconfigPath?: string): Promise<BenchCluster> {
    if (kubeconfigPath) return new BenchCluster(kubeconfigPath, undefined, cachedBinDir());
    const plane = await startWithCrds();
    return new BenchCluster(plane.endpoint.kubeconfigPath, plane, plane.state().binDir);
  }

  public readonly kc: KubeConfig;
  public readonly core: CoreV1Api;
  public readonly custom: CustomObjectsApi;
  /** Its requests and its clients' share one pooled connection (`rest.connection`). */
  private readonly rest: RestClient;
  private readonly namespaces = new Set<string>();

  private constructor(public readonly kubeconfigPath: string, private readonly plane: ControlPlane | undefined, private readonly binDir: string) {
    this.rest = new RestClient(loadKubeConfig(kubeconfigPath));
    this.kc = this.rest.connection.kubeConfig;
    this.core = this.rest.connection.makeApiClient(CoreV1Api);
    this.custom = this.rest.connection.makeApiClient(CustomObjectsApi);
  }

  public get dedicated(): boolean {
    return this.plane !== undefined;
  }

  /**
   * CPU time used so far by the control plane's processes and by this bench process, in ms:
   * what a scenario cost the API server, next to what the reconciler cost. Empty for a
   * control plane the bench did not start.
   */
  public cpuMs(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.plane) {
      for (const [name, pid] of Object.entries(this.plane.state().pids)) out[name] = processCpuMs(pid);
    }
    const self = process.cpuUsage();
    out.bench = (self.user + self.system) / 1000;
    return out;
  }

  /**
   * The API server's request counters (apiserver_request_total) summed by
   * `VERB resource[/subresource]`: which calls a scenario made, beyond their CPU cost.
   */
  public async requestCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!this.plane) return counts;
    const { body } = await httpGet(`${this.plane.endpoint.server}/metrics`, this.plane.endpoint);
    for (const line of body.split('\n')) {
      if (!line.startsWith('apiserver_request_total{')) continue;
      const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
      const sub = label('subresource');
      const key = `${label('verb')} ${label('resource')}${sub ? `/${sub}` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return counts;
  }

  /**
   * Milliseconds to LIST every Task of `namespace` through the controller's own list code (the
   * same client, the same JSON parse), `pageSize` per request (0: one request for all): what a
   * starting controller cannot do faster. Throws unless `count` Tasks came back.
   */
  public async timeTaskList(namespace: string, count: number, pageSize: number): Promise<number> {
    let items = 0;
    const started = now();
    await listAll(this.rest, `/apis/kubeopencode.io/v1alpha1/namespaces/${namespace}/tasks`, { limit: pageSize, timeoutMs: 600_000 }, () => items++, () => items = 0);
    const ms = now() - started;
    if (items !== count) throw new Error(`listed ${items} Tasks in ${namespace}, expected ${count}`);
    return ms;
  }

  /** What etcd holds, as the API server reports it (apiserver_storage_size_bytes); undefined if it does not. */
  public async storageBytes(): Promise<number | undefined> {
    if (!this.plane) return undefined;
    const { body } = await httpGet(`${this.plane.endpoint.server}/metrics`, this.plane.endpoint);
    const line = body.split('\n').find((l) => l.startsWith('apiserver_storage_size_bytes'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
  }

  public async versions(): Promise<{ kubernetes: string; etcd: string }> {
    const kubernetes = (await this.rest.connection.makeApiClient(VersionApi).getCode()).gitVersion;
    const etcdBin = join(this.binDir, 'etcd');
    const etcd = existsSync(etcdBin)
      ? /etcd Version: (\S+)/.exec(execFileSync(etcdBin, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown'
      : 'unknown';
    return { kubernetes, etcd };
  }

  /** A fresh namespace, deleted again by `cleanUp` or `stop`. */
  public async namespace(prefix: string): Promise<string> {
    const ns = await createTestNamespace(`bench-${prefix}`, {}, this.kc);
    this.namespaces.add(ns);
    return ns;
  }

  /**
   * Deletes namespaces and waits until they are gone, so that the next scenario neither
   * shares the API server with a namespace deletion nor finds their objects in its caches.
   */
  public async cleanUp(namespaces: readonly string[], wait = true, timeoutMs = 300_000): Promise<void> {
    await Promise.all(namespaces.map((ns) => deleteNamespace(ns, { wait, timeoutMs, kc: this.kc })));
    for (const ns of namespaces) this.namespaces.delete(ns);
    if (wait) await this.quiesce();
  }

  /**
   * Waits until the control plane is nearly idle: the garbage collector keeps working through
   * a deleted namespace's objects after the namespace is gone, and that work must not be
   * counted in the next scenario.
   */
  public async quiesce(quietPercent = 15, windowMs = 1000, timeoutMs = 60_000): Promise<void> {
    const busy = () => Object.entries(this.cpuMs()).filter(([k]) => k !== 'bench').reduce((sum, [, v]) => sum + v, 0);
    const deadline = Date.now() + timeoutMs;
    while (this.plane && Date.now() < deadline) {
      const before = busy();
      await sleep(windowMs);
      if (((busy() - before) / windowMs) * 100 < quietPercent) return;
    }
  }

  public async stop(): Promise<void> {
    if (this.plane) await this.plane.stop();
    else await Promise.allSettled([...this.namespaces].map((ns) => deleteNamespace(ns, { kc: this.kc })));
    await this.rest.close();
  }
}
