/**
 * A simulated node: there is no kubelet here, so this moves Task Pods through their life
 * the way a kubelet reports it, through the Pod status subresource of the real API
 * server (Pending -> Running -> Succeeded/Failed, container states, the outputs sidecar's
 * termination message). Tests, the demo and the benchmarks use it; it says so on screen.
 */
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, V1ContainerStatus, V1Pod, Watch } from '@kubernetes/client-node';

/** What should happen to one Pod. */
export interface PodOutcome {
  /** `Running` leaves the Pod running until `finish()` is called for it. */
  readonly phase: 'Succeeded' | 'Failed' | 'Running';
  /** Milliseconds the Pod stays Running before it ends. @default 0 */
  readonly runMs?: number;
  readonly exitCode?: number;
  readonly reason?: string;
  /** The outputs sidecar's termination message, as collect-outputs would write it. */
  readonly terminationMessage?: string;
  /** Pod-level reason (e.g. DeadlineExceeded). */
  readonly podReason?: string;
}

export interface SimulatedNodeOptions {
  readonly kc: KubeConfig;
  /** Only Pods in this namespace. @default all namespaces */
  readonly namespace?: string;
  /** Decides each Pod's fate when it appears. @default succeed at once */
  readonly outcome?: (pod: V1Pod) => PodOutcome;
  /** Milliseconds between a Pod appearing and it running. @default 0 */
  readonly startMs?: number;
}

const LABEL_SELECTOR = 'app.kubernetes.io/managed-by=kubeopencode';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimulatedNode {
  private readonly core: CoreV1Api;
  private abort?: AbortController;
  private readonly seen = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  /** Pods the node has moved, by `namespace/name`, with the phase they ended in. */
  public readonly finished = new Map<string, string>();
  public errors: unknown[] = [];

  constructor(private readonly options: SimulatedNodeOptions) {
    this.core = options.kc.makeApiClient(CoreV1Api);
  }

  /** Starts watching for Task Pods; resolves once the watch is open. */
  public async start(): Promise<void> {
    const path = this.options.namespace ? `/api/v1/namespaces/${this.options.namespace}/pods` : '/api/v1/pods';
    const list = this.options.namespace
      ? await this.core.listNamespacedPod({ namespace: this.options.namespace, labelSelector: LABEL_SELECTOR })
      : await this.core.listPodForAllNamespaces({ labelSelector: LABEL_SELECTOR });
    for (const pod of list.items) this.consider(pod);
    this.abort = await new Watch(this.options.kc).watch(path, { labelSelector: LABEL_SELECTOR, resourceVersion: list.metadata?.resourceVersion },
      (type, pod: V1Pod) => {
        if (type === 'ADDED' || type === 'MODIFIED') this.consider(pod);
      },
      (err) => {
        // client-node ends a watch after 30 s without events (TimeoutError): just watch again.
        const expected = !err || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
        if (!this.stopped && !expected) this.errors.push(err);
        if (!this.stopped) void this.start().catch((e) => this.errors.push(e));
      });
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private consider(pod: V1Pod): void {
    const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    if (this.stopped || this.seen.has(`${key}/${pod.metadata!.uid}`) || pod.metadata?.deletionTimestamp) return;
    if (pod.status?.phase && pod.status.phase !== 'Pending') return;
    this.seen.add(`${key}/${pod.metadata!.uid}`);
    const run = this.live(pod).catch((e) => {
      if (!this.stopped && !isGoneError(e)) this.errors.push(e);
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async live(pod: V1Pod): Promise<void> {
    const outcome = this.options.outcome?.(pod) ?? { phase: 'Succeeded' };
    if (this.options.startMs) await sleep(this.options.startMs);
    await this.setStatus(pod, running(pod));
    if (outcome.phase === 'Running') return;
    if (outcome.runMs) await sleep(outcome.runMs);
    await this.end(pod, outcome);
  }

  /** Ends a Pod that was left Running. */
  public async finish(pod: V1Pod, outcome: Exclude<PodOutcome, { phase: 'Running' }> & { phase: 'Succeeded' | 'Failed' }): Promise<void> {
    await this.end(pod, outcome);
  }

  private async end(pod: V1Pod, outcome: PodOutcome): Promise<void> {
    await this.setStatus(pod, ended(pod, outcome));
    this.finished.set(`${pod.metadata!.namespace}/${pod.metadata!.name}`, outcome.phase);
  }

  private async setStatus(pod: V1Pod, status: V1Pod['status']): Promise<void> {
    if (this.stopped) return;
    await this.core.patchNamespacedPodStatus({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, body: { status } }, mergePatch);
  }
}

function isGoneError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && (e as { code: number }).code === 404;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const isSidecar = (c: { restartPolicy?: string }) => c.restartPolicy === 'Always';

function running(pod: V1Pod): V1Pod['status'] {
  const t = now();
  const inits = (pod.spec?.initContainers ?? []).map((c): V1ContainerStatus => isSidecar(c)
    ? { name: c.name, image: c.image!, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: t as never } } }
    : { name: c.name, image: c.image!, imageID: '', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t as never, finishedAt: t as never } } });
  const mains = (pod.spec?.containers ?? []).map((c): V1ContainerStatus => (
    { name: c.name, image: c.image!, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: t as never } } }));
  return { phase: 'Running', startTime: t as never, initContainerStatuses: inits, containerStatuses: mains, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t as never }] };
}

function ended(pod: V1Pod, outcome: PodOutcome): V1Pod['status'] {
  const t = now();
  const exitCode = outcome.exitCode ?? (outcome.phase === 'Succeeded' ? 0 : 1);
  const inits = (pod.spec?.initContainers ?? []).map((c): V1ContainerStatus => ({
    name: c.name,
    image: c.image!,
    imageID: '',
    ready: false,
    restartCount: 0,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t as never, finishedAt: t as never, ...(isSidecar(c) && outcome.terminationMessage !== undefined ? { message: outcome.terminationMessage } : {}) } },
  }));
  const mains = (pod.spec?.containers ?? []).map((c): V1ContainerStatus => ({
    name: c.name,
    image: c.image!,
    imageID: '',
    ready: false,
    restartCount: 0,
    state: { terminated: { exitCode, reason: outcome.reason ?? (exitCode === 0 ? 'Completed' : 'Error'), startedAt: t as never, finishedAt: t as never } },
  }));
  return {
    phase: outcome.phase,
    ...(outcome.podReason ? { reason: outcome.podReason, message: `Pod ${outcome.podReason}` } : {}),
    initContainerStatuses: inits,
    containerStatuses: mains,
    conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: t as never }],
  };
}
