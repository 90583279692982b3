/**
 * A simulated node: there is no kubelet here, so this moves Task Pods through their life
 * the way a kubelet reports it, through the Pod status subresource of the real API
 * server (Pending -> Running -> Succeeded/Failed, container states, the outputs sidecar's
 * termination message). Tests, the demo and the benchmarks use it; it says so on screen.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, V1ContainerStatus, V1Pod, Watch } from '@kubernetes/client-node';
import { httpStatusOf, isNotFound } from '../../src/reconciler/runtime/api-errors.js';
import { kubeTime } from '../../src/reconciler/runtime/time.js';

/** What should happen to one Pod. */
export interface PodOutcome {
  /**
   * `Running` leaves the Pod running until `finish()` is called for it. `Pending` leaves it
   * unable to start, a container waiting as `waiting` says (until `finish()`).
   */
  readonly phase: 'Succeeded' | 'Failed' | 'Running' | 'Pending';
  /** Milliseconds the Pod stays Running before it ends. @default 0 */
  readonly runMs?: number;
  readonly exitCode?: number;
  readonly reason?: string;
  /** The outputs sidecar's termination message, as collect-outputs would write it. */
  readonly terminationMessage?: string;
  /** Pod-level reason (e.g. DeadlineExceeded). */
  readonly podReason?: string;
  /**
   * With phase `Pending`: the container that cannot start (default `agent`) and why, as the
   * kubelet reports it, e.g. `{ reason: 'CreateContainerConfigError', message: 'secret "x" not found' }`
   * for a Secret an env var needs. The init containers before it have completed (sidecars run);
   * the containers after it wait with reason PodInitializing.
   */
  readonly waiting?: { readonly reason: string; readonly message: string; readonly container?: string };
}

export interface SimulatedNodeOptions {
  readonly kc: KubeConfig;
  /** Only Pods in this namespace. @default all namespaces */
  readonly namespace?: string;
  /** Which Pods this node runs (several nodes may watch one cluster). @default all */
  readonly filter?: (pod: V1Pod) => boolean;
  /** Decides each Pod's fate when it appears. @default succeed at once */
  readonly outcome?: (pod: V1Pod) => PodOutcome;
  /** Milliseconds between a Pod appearing and it running. @default 0 */
  readonly startMs?: number;
  /**
   * Keep going through API server outages (a test that restarts it): status writes and the watch
   * are retried until the server answers again, instead of ending up in `errors`. @default false
   */
  readonly retryThroughOutages?: boolean;
}

const LABEL_SELECTOR = 'app.kubernetes.io/managed-by=kubeopencode';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

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
        const expected = !err || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError'
          || (!!this.options.retryThroughOutages && isOutage(err));
        if (!this.stopped && !expected) this.errors.push(err);
        this.watchAgain();
      });
  }

  private watchAgain(): void {
    if (this.stopped) return;
    void this.start().catch((e) => {
      // As a kubelet would, keep watching through a dropped connection or a busy API server.
      if (!isOutage(e)) this.errors.push(e);
      else setTimeout(() => this.watchAgain(), 250);
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
    if (this.options.filter && !this.options.filter(pod)) return;
    if (pod.status?.phase && pod.status.phase !== 'Pending') return;
    this.seen.add(`${key}/${pod.metadata!.uid}`);
    const run = this.live(pod).catch((e) => {
      if (!this.stopped && !isNotFound(e)) this.errors.push(e);
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async live(pod: V1Pod): Promise<void> {
    const outcome = this.options.outcome?.(pod) ?? { phase: 'Succeeded' };
    if (this.options.startMs) await sleep(this.options.startMs);
    if (outcome.phase === 'Pending') {
      await this.setStatus(pod, waiting(pod, outcome.waiting ?? { reason: 'ContainerCreating', message: '' }));
      return;
    }
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
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return;
      try {
        await this.core.patchNamespacedPodStatus({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, body: { status } }, mergePatch);
        return;
      } catch (e) {
        // A kubelet retries its status updates: a dropped connection or a 429/503 on a busy API
        // server must not leave a Pod running forever (for a minute through outages, 5 s else).
        if (!isOutage(e) || attempt >= (this.options.retryThroughOutages ? 600 : 50)) throw e;
        await sleep(100);
      }
    }
  }
}

/** No answer from the API server (connection refused or reset), or one saying it is not ready yet. */
function isOutage(e: unknown): boolean {
  const code = httpStatusOf(e);
  return code === undefined || code === 429 || code === 503;
}

const now = () => kubeTime();
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

/** A Pod that cannot start: the containers before `stuck` done (sidecars running), it waiting, the rest not started. */
function waiting(pod: V1Pod, stuck: NonNullable<PodOutcome['waiting']>): V1Pod['status'] {
  const t = now();
  const name = stuck.container ?? 'agent';
  const all = [...(pod.spec?.initContainers ?? []).map((c) => ({ c, init: true })), ...(pod.spec?.containers ?? []).map((c) => ({ c, init: false }))];
  const at = all.findIndex(({ c }) => c.name === name);
  const statuses = all.map(({ c, init }, i): V1ContainerStatus & { init: boolean } => {
    const base = { init, name: c.name, image: c.image!, imageID: '', restartCount: 0 };
    if (i === at) return { ...base, ready: false, state: { waiting: { reason: stuck.reason, message: stuck.message } } };
    if (i > at) return { ...base, ready: false, state: { waiting: { reason: 'PodInitializing' } } };
    return isSidecar(c)
      ? { ...base, ready: true, started: true, state: { running: { startedAt: t as never } } }
      : { ...base, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t as never, finishedAt: t as never } } };
  });
  const strip = ({ init: _init, ...s }: V1ContainerStatus & { init: boolean }): V1ContainerStatus => s;
  return {
    phase: 'Pending',
    initContainerStatuses: statuses.filter((s) => s.init).map(strip),
    containerStatuses: statuses.filter((s) => !s.init).map(strip),
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: t as never }],
  };
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
