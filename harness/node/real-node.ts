/**
 * A real node on this machine: containerd (2.x, built from the Go proxy) with Debian's runc
 * and CNI bridge plugin, a kubelet registered with the given cluster, kube-scheduler and
 * kube-proxy (iptables mode). Pods run in real containers; `stop()` puts the host back as
 * it was (see host-state.ts for what changes, host-restore.ts for how it is undone).
 * One node per machine (guard.ts): Jest workers share the one the global setup starts.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cniConflist, containerdConfig, kubeletConfig, kubeProxyConfig } from './config.js';
import { criVersion } from './cri.js';
import { NodeGuard } from './guard.js';
import { NodeState, readNodeState, restoreHost, writeNodeState } from './host-restore.js';
import { takeSnapshot } from './host-state.js';
import { importImage, pauseImage } from './images.js';
import { CNI_NETWORK, CONTAINERD_NAMESPACE, KUBE_PROXY_HEALTHZ, KUBELET_HEALTHZ_PORT, NodeLayout, nodeLayout, RUN_DIR, STATE_FILE } from './layout.js';
import { nodeIP as machineNodeIP, nodeName as machineNodeName } from './machine.js';
import { freePorts, httpGet } from '../control-plane/net.js';
import { Component, logTail, spawnComponent } from '../control-plane/processes.js';

/** The cluster to join: its API server, admin token and CA (kubeconfig of `system:masters`). */
export interface ClusterAccess {
  server: string;
  token: string;
  caFile: string;
  kubeconfigPath: string;
  /** CA of the API server's kubelet client certificate (ControlPlaneEndpoint.kubeletClientCaFile). */
  kubeletClientCaFile: string;
}

export interface RealNodeOptions {
  binDir: string;
  /** containerd's image store, kept between runs. Default: `<KUBEOPENCODE_CACHE or ~/.cache/kubeopencode>/node/containerd`. */
  containerdRoot?: string;
  nodeIP?: string;
  nodeName?: string;
  /** How long to wait for another run's node to go away. Default 60 s. */
  lockWaitMs?: number;
  /** Per component. Default 60 s. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface NodeTimings { lockMs: number; containerdMs: number; readyMs: number; proxyMs: number; totalMs: number }

const defaultLog = (line: string) => process.stderr.write(`[node] ${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class RealNode {
  /** prepare() then join(). */
  static async start(options: RealNodeOptions, cluster: ClusterAccess): Promise<RealNode> {
    const node = await RealNode.prepare(options);
    await node.join(cluster);
    return node;
  }

  /**
   * What needs no cluster, so it can run while the control plane starts: takes the
   * machine's node lock, restores after a run that did not stop, snapshots the host,
   * starts containerd and imports the pause image.
   */
  static async prepare(options: RealNodeOptions): Promise<RealNode> {
    const log = options.log ?? defaultLog;
    const started = Date.now();
    const guard = await NodeGuard.acquire(options.lockWaitMs ?? 60_000, log);
    const node = new RealNode(options, guard, log);
    node.timings.lockMs = Date.now() - started;
    try {
      await node.prepareHost();
      return node;
    } catch (e) {
      await node.stop();
      throw e;
    }
  }

  readonly nodeName: string;
  readonly nodeIP: string;
  readonly layout: NodeLayout;
  readonly containerdNamespace = CONTAINERD_NAMESPACE;
  readonly timings: NodeTimings = { lockMs: 0, containerdMs: 0, readyMs: 0, proxyMs: 0, totalMs: 0 };
  private state?: NodeState;
  private cluster?: ClusterAccess;
  private stopped = false;

  private constructor(private readonly options: RealNodeOptions, private readonly guard: NodeGuard, private readonly log: (line: string) => void) {
    this.nodeName = options.nodeName ?? machineNodeName();
    const ip = options.nodeIP ?? machineNodeIP();
    if (!ip) throw new Error('no node IP: the default route\'s interface has no IPv4 address');
    this.nodeIP = ip;
    const cache = process.env.KUBEOPENCODE_CACHE ?? join(homedir(), '.cache', 'kubeopencode');
    this.layout = nodeLayout(options.containerdRoot ?? join(cache, 'node', 'containerd'), RUN_DIR);
  }

  /** Starts the kubelet, kube-scheduler and kube-proxy against `cluster`; resolves once the Node is Ready and schedulable. */
  async join(cluster: ClusterAccess): Promise<void> {
    const started = Date.now();
    this.cluster = cluster;
    try {
      await this.joinCluster();
      this.timings.totalMs = this.timings.containerdMs + Date.now() - started;
      this.log(`node ${this.nodeName} (${this.nodeIP}) Ready with scheduler and proxy in ${seconds(Date.now() - started)} (containerd ${seconds(this.timings.containerdMs)} before)`);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** The socket for `ctr --address <it> -n k8s.io images import <file>`. */
  get containerdAddress(): string {
    return this.layout.containerdAddress;
  }

  /** Restores the host (every step, whatever fails) and frees the machine's node. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const started = Date.now();
    const problems = this.state ? await restoreHost(this.state, (line) => this.log(line)) : [];
    if (problems.length === 0) rmSafe(STATE_FILE);
    this.guard.release();
    this.log(problems.length
      ? `node stopped in ${seconds(Date.now() - started)} with ${problems.length} problem(s) restoring the host `
        + `(${STATE_FILE} kept; run harness/node/restore-cli.ts): ${problems.join('; ')}`
      : `node stopped and host restored in ${seconds(Date.now() - started)}`);
  }

  private async prepareHost(): Promise<void> {
    const leftover = readNodeState();
    if (leftover) {
      this.log(`restoring the host after the node run of PID ${leftover.ownerPid}, which did not stop`);
      await restoreHost(leftover, (line) => this.log(line));
    }
    // The snapshot is on disk before the first change, for whoever has to restore.
    const { runDir, containerdRoot } = this.layout;
    this.state = { ownerPid: process.pid, binDir: this.options.binDir, runDir, containerdRoot, snapshot: await takeSnapshot(), pids: {} };
    writeNodeState(this.state);
    const started = Date.now();
    const l = this.layout;
    for (const dir of [l.runDir, l.containerdRoot, l.cniConfDir, l.kubeletRoot, l.podLogsDir]) mkdirSync(dir, { recursive: true });
    writeFileSync(l.containerdConfig, containerdConfig(l));
    writeFileSync(join(l.cniConfDir, `10-${CNI_NETWORK}.conflist`), JSON.stringify(cniConflist(l), null, 2));
    await this.startContainerd();
    await importImage(join(this.options.binDir, 'ctr'), this.containerdAddress, pauseImage(this.options.binDir));
    this.timings.containerdMs = Date.now() - started;
  }

  private async joinCluster(): Promise<void> {
    const cluster = this.cluster!;
    writeFileSync(this.layout.kubeletConfig, kubeletConfig(this.layout, { nodeIP: this.nodeIP, clientCaFile: cluster.kubeletClientCaFile }));
    writeFileSync(this.layout.kubeProxyConfig, kubeProxyConfig(this.nodeName, cluster.kubeconfigPath));
    const scheduler = this.startScheduler((await freePorts(1))[0]);
    let started = Date.now();
    await this.startKubelet();
    this.timings.readyMs = Date.now() - started;
    started = Date.now();
    await Promise.all([scheduler, this.startKubeProxy()]);
    this.timings.proxyMs = Date.now() - started;
  }

  private async startContainerd(): Promise<void> {
    await this.startComponent('containerd', ['--config', this.layout.containerdConfig],
      async () => Boolean(await criVersion(this.containerdAddress)));
  }

  private async startKubelet(): Promise<void> {
    const l = this.layout;
    await this.startComponent('kubelet', [
      `--config=${l.kubeletConfig}`,
      `--kubeconfig=${this.cluster!.kubeconfigPath}`,
      `--root-dir=${l.kubeletRoot}`,
      // Default /var/lib/kubelet/pki: its self-signed serving certificate goes here instead.
      `--cert-dir=${join(l.kubeletRoot, 'pki')}`,
      `--hostname-override=${this.nodeName}`,
      `--node-ip=${this.nodeIP}`,
      '--v=1',
    ], async () => (await httpGet(`http://127.0.0.1:${KUBELET_HEALTHZ_PORT}/healthz`)).status === 200);
    const started = Date.now();
    await this.waitFor('kubelet', () => this.nodeSchedulable(), 'the Node to be Ready without the not-ready taint');
    this.log(`Node ${this.nodeName} Ready and schedulable ${seconds(Date.now() - started)} after the kubelet's healthz`);
  }

  /** Ready, and the node lifecycle controller has lifted the `not-ready` taint that admission put on the new Node. */
  private async nodeSchedulable(): Promise<boolean> {
    const { status, body } = await httpGet(`${this.cluster!.server}/api/v1/nodes/${this.nodeName}`, this.cluster);
    if (status !== 200) return false;
    const node = JSON.parse(body) as { spec?: { taints?: { key: string }[] }; status?: { conditions?: { type: string; status: string }[] } };
    const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return Boolean(ready) && !(node.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready');
  }

  private async startScheduler(port: number): Promise<void> {
    await this.startComponent('kube-scheduler', [
      `--kubeconfig=${this.cluster!.kubeconfigPath}`,
      `--authentication-kubeconfig=${this.cluster!.kubeconfigPath}`,
      `--authorization-kubeconfig=${this.cluster!.kubeconfigPath}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1', `--secure-port=${port}`,
    ], async () => (await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200);
  }

  /** Ready once its healthz answers 200, which it does only after its first full sync of the rules. */
  private async startKubeProxy(): Promise<void> {
    await this.startComponent('kube-proxy', [`--config=${this.layout.kubeProxyConfig}`, '--v=1'],
      async () => (await httpGet(`http://${KUBE_PROXY_HEALTHZ}/healthz`)).status === 200);
  }

  private async startComponent(name: string, args: string[], ready: () => Promise<boolean>): Promise<void> {
    const started = Date.now();
    const component = spawnComponent(name, join(this.options.binDir, name), args, this.layout.logFile(name));
    this.state!.pids[name] = component.pid;
    writeNodeState(this.state!);
    await this.waitFor(name, ready, 'ready', component);
    this.log(`${name} ready in ${seconds(Date.now() - started)}`);
  }

  private async waitFor(name: string, probe: () => Promise<boolean>, what: string, component?: Component): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    const started = Date.now();
    for (;;) {
      if (component?.ended) throw this.failure(name, component.ended);
      if (await probe().catch(() => false)) return;
      if (Date.now() - started > timeoutMs) throw this.failure(name, `not ${what} after ${seconds(timeoutMs)}`);
      await sleep(100);
    }
  }

  private failure(name: string, reason: string): Error {
    const file = this.layout.logFile(name);
    return new Error(`${name} failed to start (${reason}). Last lines of ${file}:\n${logTail(file)}`);
  }
}

function rmSafe(file: string): void {
  try {
    if (existsSync(file)) rmSync(file);
  } catch { /* reported by the next start, which restores from it */ }
}
