/**
 * A real, throw-away Kubernetes control plane for tests: etcd, kube-apiserver and a
 * kube-controller-manager reduced to the garbage collector and the namespace controller
 * (no kubelet, no scheduler: Pods stay Pending). Everything listens on loopback ports
 * picked at start, and all state lives in one temp dir (on /dev/shm when available).
 *
 * The `cluster` profile is the control plane of the e2e cluster, which a real node joins
 * (harness/e2e-cluster.ts): reachable from Pods at the node's IP, with ServiceAccount
 * admission, the `kubernetes` Service, and the default controllers.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePorts, httpGet } from './net.js';
import { Component, LifetimeGuard, logTail, runsBinary, spawnComponent, stopGroup } from './processes.js';
import { createKubeletClientPki, KubeletClientPki } from '../node/pki.js';

/** Re-exported: tests that start servers of their own pick ports the same way. */
export { freePorts } from './net.js';

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

/** How to reach the API server. */
export interface ControlPlaneEndpoint {
  /** e.g. https://127.0.0.1:41234 */
  readonly server: string;
  /** Bearer token of `admin`, a member of system:masters. */
  readonly token: string;
  /** PEM file that verifies the API server's self-signed serving certificate. */
  readonly caFile: string;
  readonly kubeconfigPath: string;
  readonly dataDir: string;
  /** `cluster` profile: the CA the kubelet trusts for the API server's client certificate. */
  readonly kubeletClientCaFile?: string;
}

/** Everything needed to find and stop a running control plane from another process. */
export interface ControlPlaneState extends ControlPlaneEndpoint {
  readonly binDir: string;
  readonly pids: Readonly<Record<ComponentName, number>>;
  readonly startedAt: string;
}

export interface StartTimings {
  etcdMs: number;
  apiServerMs: number;
  beforeControllersMs: number;
  controllerManagerMs: number;
  totalMs: number;
}

export interface ControlPlaneOptions {
  /** Folder holding etcd, kube-apiserver and kube-controller-manager (build-binaries.sh prints it). */
  binDir: string;
  /** Parent of the data dir. Default: /dev/shm when present (etcd is much faster in memory), else the OS temp dir. */
  dataRoot?: string;
  /** Where to write the kubeconfig. Default: `<dataDir>/kubeconfig`. */
  kubeconfigPath?: string;
  /**
   * Runs once the API server is ready and before the controller manager starts, e.g. to
   * install CRDs so the garbage collector knows them from its first discovery.
   */
  beforeControllers?: (endpoint: ControlPlaneEndpoint) => Promise<void>;
  /** Per component. Default 90 s (a cold start on 2 CPUs takes a few seconds). */
  startTimeoutMs?: number;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
  /**
   * `test` (default): loopback only, no ServiceAccount admission, two controllers: what the
   * integration tests need, started fast. `cluster`: what a real node and in-cluster clients
   * need (see CLUSTER_SERVICE_CIDR and the flags below); needs `nodeIP`.
   */
  profile?: 'test' | 'cluster';
  /** `cluster` profile: the machine's address, which the API server binds to and advertises. */
  nodeIP?: string;
}

/** The e2e cluster's Service range; its first address is the `kubernetes` Service. */
export const CLUSTER_SERVICE_CIDR = '10.96.0.0/24';

const DATA_DIR_PREFIX = 'kubeopencode-cluster-';
const defaultLog = (line: string) => process.stderr.write(`[cluster] ${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class ControlPlane {
  /**
   * Starts etcd, kube-apiserver and kube-controller-manager, in that order, each waited for.
   * Free ports are only free until someone else binds them (parallel test runs do), so a
   * start that loses that race is retried on new ports.
   */
  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    for (let attempt = 1; ; attempt++) {
      const dataRoot = options.dataRoot ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
      const plane = new ControlPlane(options, mkdtempSync(join(dataRoot, DATA_DIR_PREFIX)), await pickPorts());
      try {
        await plane.startAll();
        return plane;
      } catch (e) {
        await plane.stop();
        const portTaken = e instanceof Error && e.message.includes('address already in use');
        if (!portTaken || attempt === 3) throw e;
        plane.log(`a port was taken meanwhile; retrying on other ports (attempt ${attempt + 1})`);
      }
    }
  }

  readonly endpoint: ControlPlaneEndpoint;
  readonly timings: StartTimings = { etcdMs: 0, apiServerMs: 0, beforeControllersMs: 0, controllerManagerMs: 0, totalMs: 0 };
  private readonly components: Component[] = [];
  /** How each component was started, so that `restartComponent` can start it the same way. */
  private readonly starters = new Map<ComponentName, () => Promise<number>>();
  private readonly guard: LifetimeGuard;
  private readonly log: (line: string) => void;
  private readonly timeoutMs: number;
  private readonly startedAt = new Date().toISOString();
  private stopped = false;

  private constructor(private readonly options: ControlPlaneOptions, dataDir: string, private readonly ports: Ports) {
    this.log = options.log ?? defaultLog;
    this.timeoutMs = options.startTimeoutMs ?? 90_000;
    this.guard = new LifetimeGuard(dataDir);
    if (this.isCluster && !options.nodeIP) throw new Error('the cluster profile needs the node IP');
    this.endpoint = {
      // The self-signed serving certificate names the advertised address (and `localhost`, not 127.0.0.1).
      server: `https://${this.isCluster ? options.nodeIP : '127.0.0.1'}:${ports.apiServer}`,
      token: randomBytes(24).toString('hex'),
      caFile: join(dataDir, 'pki', 'apiserver.crt'),
      kubeconfigPath: options.kubeconfigPath ?? join(dataDir, 'kubeconfig'),
      dataDir,
      kubeletClientCaFile: this.isCluster ? join(dataDir, 'pki', 'kubelet-client-ca.crt') : undefined,
    };
  }

  private get isCluster(): boolean {
    return this.options.profile === 'cluster';
  }

  /** The record `cluster up` writes so that `cluster down` can stop this control plane later. */
  state(): ControlPlaneState {
    const pidOf = (name: ComponentName) => this.components.find((c) => c.name === name)?.pid ?? 0;
    return {
      ...this.endpoint,
      binDir: this.options.binDir,
      pids: { 'etcd': pidOf('etcd'), 'kube-apiserver': pidOf('kube-apiserver'), 'kube-controller-manager': pidOf('kube-controller-manager') },
      startedAt: this.startedAt,
    };
  }

  /** Lets the processes outlive this Node process; stop them later with `stopControlPlane(state)`. */
  detach(): void {
    this.guard.release();
  }

  /** etcd's client URL, for tests that talk to etcd itself (its JSON gateway answers under /v3/). */
  get etcdServer(): string {
    return `http://127.0.0.1:${this.ports.etcdClient}`;
  }

  /**
   * Stops one component and starts it again with the same flags, ports and data, for tests of
   * what clients live through: with `kube-apiserver`, every connection drops, and the new watch
   * cache starts at etcd's current revision, so a watch resumed from an older resourceVersion
   * gets 410 Gone. The component gets SIGTERM, then SIGKILL after `graceMs` (kube-apiserver
   * keeps draining its watches for longer than a test wants to wait: 10 s and more).
   * `whileDown` runs in between (e.g. to change etcd directly). Resolves once it is ready again.
   */
  async restartComponent(name: ComponentName, options: { graceMs?: number; whileDown?: () => Promise<void> } = {}): Promise<{ downMs: number }> {
    const index = this.components.findIndex((c) => c.name === name);
    const start = this.starters.get(name);
    if (index < 0 || !start) throw new Error(`${name} does not run in this control plane`);
    const stoppedAt = Date.now();
    await stopGroup(this.components[index].pid, options.graceMs ?? 2_000);
    this.components.splice(index, 1);
    await options.whileDown?.();
    await start();
    // Back in its place: stop() goes through the components in reverse start order.
    this.components.splice(index, 0, this.components.pop()!);
    return { downMs: Date.now() - stoppedAt };
  }

  /** Stops the components in reverse start order and removes the data dir. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.guard.release();
    for (const component of [...this.components].reverse()) await stopGroup(component.pid, 10_000);
    rmSync(this.endpoint.dataDir, { recursive: true, force: true });
  }

  private async startAll(): Promise<void> {
    const started = Date.now();
    const { etcdClient, etcdPeer, apiServer, controllerManager } = this.ports;
    this.timings.etcdMs = await this.startEtcd(etcdClient, etcdPeer);
    this.timings.apiServerMs = await this.startApiServer(apiServer, etcdClient);
    writeKubeconfig(this.endpoint);
    const hookStarted = Date.now();
    await this.options.beforeControllers?.(this.endpoint);
    this.timings.beforeControllersMs = Date.now() - hookStarted;
    this.timings.controllerManagerMs = await this.startControllerManager(controllerManager);
    this.timings.totalMs = Date.now() - started;
    this.log(`control plane ready in ${seconds(this.timings.totalMs)}: ${this.endpoint.server}`);
  }

  private async startEtcd(clientPort: number, peerPort: number): Promise<number> {
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    return this.startComponent('etcd', [
      '--name=kubeopencode',
      `--data-dir=${join(this.endpoint.dataDir, 'etcd')}`,
      `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=kubeopencode=${peer}`,
      '--unsafe-no-fsync=true', // test data: durability buys nothing, fsync costs seconds
      '--log-level=warn',
    ], async () => (await httpGet(`${client}/health`)).body.includes('"health":"true"'));
  }

  private async startApiServer(port: number, etcdPort: number): Promise<number> {
    const dir = this.endpoint.dataDir;
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, `${this.endpoint.token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
    const saKey = join(dir, 'sa.key');
    writeFileSync(saKey, serviceAccountKey(), { mode: 0o600 });
    const profileFlags = this.isCluster
      ? clusterApiServerFlags(this.options.nodeIP!, await createKubeletClientPki(join(dir, 'pki')))
      : [
        '--bind-address=127.0.0.1',
        // No default route on a loopback-only machine, so the address cannot be auto-detected.
        '--advertise-address=127.0.0.1',
        // A loopback IP is invalid in Endpoints: the `kubernetes` Service reconciler would log errors forever.
        '--endpoint-reconciler-type=none',
        '--service-cluster-ip-range=10.0.0.0/24',
        // No serviceaccount controller creates `default` SAs; every other default plugin stays on (PodSecurity included).
        '--disable-admission-plugins=ServiceAccount',
      ];
    return this.startComponent('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--secure-port=${port}`,
      ...profileFlags,
      `--cert-dir=${join(dir, 'pki')}`, // absent apiserver.crt/key: self-signs and writes them here
      `--token-auth-file=${tokens}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${saKey}`, `--service-account-signing-key-file=${saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      // Privileged Pods must reach Pod Security admission to be judged by it, not by this flag.
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
    ], async () => existsSync(this.endpoint.caFile)
      && (await httpGet(`${this.endpoint.server}/readyz`, this.endpoint)).status === 200);
  }

  private async startControllerManager(port: number): Promise<number> {
    const profileFlags = this.isCluster
      ? [
        // The default set, as in a real cluster: Deployments (a chart's controller), the `default`
        // ServiceAccount of each namespace, the kube-root-ca.crt ConfigMap (the CA in every Pod's
        // projected token volume), and the node lifecycle controller, which lifts the
        // `node.kubernetes.io/not-ready` taint once the node is Ready (else nothing is scheduled).
        '--controllers=*',
        `--root-ca-file=${this.endpoint.caFile}`,
        `--service-account-private-key-file=${join(this.endpoint.dataDir, 'sa.key')}`,
      ]
      // Only what tests rely on: cascading deletion via ownerReferences, and namespaces that finish terminating.
      : ['--controllers=garbage-collector-controller,namespace-controller'];
    return this.startComponent('kube-controller-manager', [
      `--kubeconfig=${this.endpoint.kubeconfigPath}`,
      '--leader-elect=false',
      ...profileFlags,
      // Served only so that /healthz tells when the controllers run (always allowed, anonymous).
      '--bind-address=127.0.0.1', `--secure-port=${port}`,
    ], async () => (await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200);
  }

  /** Spawns a component and polls `ready` until it holds, failing fast if the process ends. */
  private async startComponent(name: ComponentName, args: string[], ready: () => Promise<boolean>): Promise<number> {
    this.log(`starting ${name}...`);
    this.starters.set(name, () => this.startComponent(name, args, ready));
    const started = Date.now();
    const component = spawnComponent(name, join(this.options.binDir, name), args, join(this.endpoint.dataDir, `${name}.log`));
    this.components.push(component);
    this.guard.track(component.pid);
    for (;;) {
      if (component.ended) throw this.startFailure(component, component.ended);
      if (await ready().catch(() => false)) break;
      if (Date.now() - started > this.timeoutMs) throw this.startFailure(component, `not ready after ${seconds(this.timeoutMs)}`);
      await sleep(100);
    }
    const elapsed = Date.now() - started;
    this.log(`${name} ready in ${seconds(elapsed)}`);
    return elapsed;
  }

  private startFailure(component: Component, reason: string): Error {
    return new Error(`${component.name} failed to start (${reason}). Last lines of ${component.logFile}:\n${logTail(component.logFile)}`);
  }
}

/** Stops a control plane recorded by `state()` in another process (`cluster down`). */
export async function stopControlPlane(state: ControlPlaneState): Promise<void> {
  const order: ComponentName[] = ['kube-controller-manager', 'kube-apiserver', 'etcd'];
  for (const name of order) {
    const pid = state.pids[name];
    if (pid && runsBinary(pid, name)) await stopGroup(pid, 10_000);
  }
  // The path comes from a file on disk: remove only what looks like one of our data dirs.
  if (basename(state.dataDir).startsWith(DATA_DIR_PREFIX)) rmSync(state.dataDir, { recursive: true, force: true });
}

/** Whether the recorded processes still run and the API server answers /readyz. */
export async function isControlPlaneHealthy(state: ControlPlaneState): Promise<boolean> {
  const names = Object.keys(state.pids) as ComponentName[];
  if (!names.every((name) => runsBinary(state.pids[name], name))) return false;
  try {
    return (await httpGet(`${state.server}/readyz`, state)).status === 200;
  } catch {
    return false;
  }
}

/**
 * The e2e cluster's API server: on every address, advertising the node's (so the
 * `kubernetes` Service's endpoints, kept by the default lease reconciler, point at it and
 * its self-signed certificate names it), ServiceAccount admission on (Pods get projected
 * tokens), and a client certificate for the kubelet's authenticated port, which it reaches
 * at the node's InternalIP (the Hostname `vm` resolves to 127.0.0.1 here).
 */
function clusterApiServerFlags(nodeIP: string, pki: KubeletClientPki): string[] {
  return [
    '--bind-address=0.0.0.0',
    `--advertise-address=${nodeIP}`,
    `--service-cluster-ip-range=${CLUSTER_SERVICE_CIDR}`,
    `--kubelet-client-certificate=${pki.certFile}`, `--kubelet-client-key=${pki.keyFile}`,
    '--kubelet-preferred-address-types=InternalIP',
  ];
}

interface Ports { etcdClient: number; etcdPeer: number; apiServer: number; controllerManager: number }

async function pickPorts(): Promise<Ports> {
  const [etcdClient, etcdPeer, apiServer, controllerManager] = await freePorts(4);
  return { etcdClient, etcdPeer, apiServer, controllerManager };
}

/** An RSA key for signing ServiceAccount tokens; the same file serves both SA flags. */
function serviceAccountKey(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return privateKey;
}

function writeKubeconfig(endpoint: ControlPlaneEndpoint): void {
  const ca = readFileSync(endpoint.caFile).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubeopencode-test', cluster: { 'server': endpoint.server, 'certificate-authority-data': ca } }],
    users: [{ name: 'admin', user: { token: endpoint.token } }],
    contexts: [{ name: 'kubeopencode-test', context: { cluster: 'kubeopencode-test', user: 'admin', namespace: 'default' } }],
    ['current-context']: 'kubeopencode-test',
  };
  mkdirSync(dirname(endpoint.kubeconfigPath), { recursive: true });
  writeFileSync(endpoint.kubeconfigPath, stringify(config), { mode: 0o600 });
}
