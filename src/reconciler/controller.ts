/**
 * The controller: informers fill the caches and only enqueue keys; workers take keys from
 * the queue and run the reconcile function of their kind; results become requeues.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { AdmissionState } from './admission-state.js';
import { reconcileAgent } from './agent.js';
import { reconcileRetention } from './cleanup.js';
import { agentKey, Caches, CRONTASK_TASKS, cronTaskKey, ReconcileContext, Result, TASKS_BY_AGENT, TASKS_BY_NAMESPACE, taskKey } from './context.js';
import { reconcileCronTask } from './crontask.js';
import { EventRecorder } from './events.js';
import { KubeClient } from './kube.js';
import { AgentObject, agentKeyOf, ConfigObject, CronTaskObject, keyOf, TaskObject } from './objects.js';
import { OrderedWrites } from './ordered-writes.js';
import { isNetworkError } from './runtime/api-errors.js';
import { KubeConfig } from './runtime/client-node.js';
import { Informer } from './runtime/informer.js';
import type { Logger } from './runtime/logger.js';
import type { Metrics } from './runtime/metrics.js';
import { KubeObject, Store } from './runtime/store.js';
import { Priority, WorkQueue } from './runtime/workqueue.js';
import { shardOfKey } from './shards.js';
import { TaskMetrics } from './task-metrics.js';
import { reconcileTask } from './task.js';
import { CLUSTER_CONFIG_NAME, GROUP, Kinds, Labels, MANAGED_BY, Phase, VERSION } from '../api/constants.js';

export interface ControllerOptions {
  readonly kc: KubeConfig;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Concurrent reconciles (of different keys). @default 4 */
  readonly workers?: number;
  /** Every object is re-enqueued this often. @default 300000 (5 min) */
  readonly resyncPeriodMs?: number;
  /** @default 2000 */
  readonly statusIntervalMs?: number;
  /** @default 30000 */
  readonly contextRetryMs?: number;
  /** Name in Events (reportingInstance). */
  readonly identity: string;
  /**
   * Which namespaces' Tasks and Agents this controller handles (Pods follow their Task).
   * @default every namespace
   */
  readonly namespaceFilter?: (namespace: string) => boolean;
  /**
   * Settings to use instead of the cluster's KubeOpenCodeConfig (whose informer then
   * stays off), e.g. for a controller that must not act on cluster-wide cleanup.
   * @default - the KubeOpenCodeConfig named "cluster"
   */
  readonly config?: ConfigObject['spec'];
  /**
   * The clock of every decision (due times of CronTasks, timeouts, TTLs); tests move it by hand.
   * @default - the system clock
   */
  readonly now?: () => Date;
  /**
   * Sharded mode: this replica reconciles only the keys of the shards it owns (see shards.ts);
   * its caches still hold everything, so a shard it takes over starts at once.
   * @default - one shard: every key
   */
  readonly shards?: { readonly count: number; readonly owns: (shard: number) => boolean };
}

type Handler = (ctx: ReconcileContext, key: string) => Promise<Result>;

const handlers: Record<string, Handler> = {
  task: reconcileTask,
  agent: reconcileAgent,
  retention: reconcileRetention,
  crontask: reconcileCronTask,
};


/**
 * Keys from an informer's first list wait behind the changes that arrive meanwhile: with
 * 10,000 Tasks listed at start, a Task created then is not queued behind all of them.
 */
function firstListOf(informer: Pick<Informer<KubeObject>, 'hasSynced'>): Priority {
  return informer.hasSynced() ? 'normal' : 'low';
}
export class Controller {
  public readonly queue = new WorkQueue();
  public readonly caches: Caches;
  public readonly context: ReconcileContext;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly informers: Informer<any>[] = [];
  private workers: Promise<void>[] = [];

  constructor(private readonly options: ControllerOptions) {
    const kube = new KubeClient(options.kc);
    this.caches = {
      tasks: new Store<TaskObject>(),
      agents: new Store<AgentObject>(),
      pods: new Store<V1Pod>(),
      configs: new Store<ConfigObject>(),
      cronTasks: new Store<CronTaskObject>(),
    };
    this.caches.tasks.addIndex(TASKS_BY_AGENT, (t) => {
      const ref = agentKeyOf(t);
      return [`${ref.namespace}/${ref.name}`];
    });
    this.caches.tasks.addIndex(TASKS_BY_NAMESPACE, (t) => [t.metadata.namespace]);
    this.caches.tasks.addIndex(CRONTASK_TASKS, (t) => {
      const cron = t.metadata.labels?.[Labels.cronTask];
      return cron ? [`${t.metadata.namespace}/${cron}`] : [];
    });
    this.context = {
      kube,
      caches: this.caches,
      enqueue: (key) => this.queue.add(key),
      events: new EventRecorder(kube, options.logger, options.identity),
      logger: options.logger,
      metrics: this.setUpMetrics(),
      now: options.now ?? (() => new Date()),
      admission: new AdmissionState(),
      admissionWrites: new OrderedWrites(
        (agent) => this.queue.add(agentKey(agent)),
        (task, error) => options.logger.warn('could not record an admission; the Agent admits it again', { task, error: String(error) }),
      ),
      statusIntervalMs: options.statusIntervalMs ?? 2000,
      contextRetryMs: options.contextRetryMs ?? 30_000,
    };
    this.setUpInformers();
  }

  private informer<T extends KubeObject>(
    name: string, store: Store<T>, listPath: string, selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ): Informer<T> {
    const informer = new Informer<T>({
      name,
      kc: this.options.kc,
      listPath,
      store,
      resyncPeriodMs: this.options.resyncPeriodMs ?? 300_000,
      logger: this.options.logger.child({ informer: name }),
      ...selectors,
    });
    this.informers.push(informer);
    this.options.metrics?.addInformer(informer);
    return informer;
  }

  private handles(namespace: string | undefined): boolean {
    return !this.options.namespaceFilter || (namespace !== undefined && this.options.namespaceFilter(namespace));
  }

  private setUpInformers(): void {
    const api = `/apis/${GROUP}/${VERSION}`;
    const ours = <T extends KubeObject>(handler: (obj: T, old?: T) => void) => (obj: T, old?: T) => {
      if (this.handles(obj.metadata?.namespace)) handler(obj, old);
    };
    const tasks = this.informer<TaskObject>('tasks', this.caches.tasks, `${api}/${Kinds.task.plural}`);
    const onTask = (t: TaskObject, old?: TaskObject) => {
      this.queue.add(taskKey(keyOf(t)), firstListOf(tasks));
      this.wakeCronTask(t);
      const agent = agentKeyOf(t);
      this.wakeAgent(`${agent.namespace}/${agent.name}`);
      if (old) {
        const was = agentKeyOf(old);
        if (was.namespace !== agent.namespace || was.name !== agent.name) this.wakeAgent(`${was.namespace}/${was.name}`);
        if (old.status?.phase === Phase.running && t.status?.phase !== Phase.running) this.context.admission.slotFreed(`${agent.namespace}/${agent.name}`);
      }
    };
    tasks.onAdd(ours((t: TaskObject) => onTask(t)));
    tasks.onUpdate((old, t) => ours(onTask)(t, old));
    tasks.onDelete(ours((t: TaskObject) => {
      const agent = agentKeyOf(t);
      if (t.status?.phase === Phase.running) this.context.admission.slotFreed(`${agent.namespace}/${agent.name}`);
      this.context.admission.forgetTask(keyOf(t));
      this.queue.add(agentKey(`${agent.namespace}/${agent.name}`));
      this.wakeCronTask(t);
    }));
    tasks.onResync(ours((t: TaskObject) => this.queue.add(taskKey(keyOf(t)))));

    const agents = this.informer<AgentObject>('agents', this.caches.agents, `${api}/${Kinds.agent.plural}`);
    const onAgent = ours((a: AgentObject) => this.queue.add(agentKey(keyOf(a))));
    agents.onAdd(onAgent);
    agents.onUpdate((_old, a) => onAgent(a));
    agents.onDelete(onAgent);
    agents.onResync(onAgent);

    const cronTasks = this.informer<CronTaskObject>('crontasks', this.caches.cronTasks, `${api}/${Kinds.cronTask.plural}`);
    const onCronTask = ours((c: CronTaskObject) => this.queue.add(cronTaskKey(keyOf(c))));
    cronTasks.onAdd(onCronTask);
    cronTasks.onUpdate((_old, c) => onCronTask(c));
    cronTasks.onResync(onCronTask);

    if (this.options.config) {
      this.caches.configs.upsert({ metadata: { name: CLUSTER_CONFIG_NAME }, spec: this.options.config });
    } else {
      const configs = this.informer<ConfigObject>('kubeopencodeconfigs', this.caches.configs, `${api}/${Kinds.config.plural}`,
        { fieldSelector: `metadata.name=${CLUSTER_CONFIG_NAME}` });
      const onConfig = () => this.caches.tasks.list()
        .filter((t) => this.handles(t.metadata.namespace))
        .forEach((t) => this.queue.add(taskKey(keyOf(t)), firstListOf(configs)));
      configs.onAdd(onConfig);
      configs.onUpdate(onConfig);
      configs.onDelete(onConfig);
    }

    const owned = { labelSelector: `${Labels.managedBy}=${MANAGED_BY}` };
    const pods = this.informer<V1Pod>('pods', this.caches.pods, '/api/v1/pods', owned);
    const onPod = (p: V1Pod) => {
      const ns = p.metadata?.annotations?.[Labels.taskNamespace];
      const name = p.metadata?.annotations?.[Labels.task];
      if (ns && name && this.handles(ns)) this.queue.add(taskKey(`${ns}/${name}`), firstListOf(pods));
    };
    pods.onAdd(onPod);
    pods.onUpdate((_old, p) => onPod(p));
    pods.onDelete(onPod);
  }

  /** A Task that a CronTask made changed: its CronTask may make the next one (Forbid) or prune. */
  private wakeCronTask(task: TaskObject): void {
    const cron = task.metadata.labels?.[Labels.cronTask];
    if (cron) this.queue.add(cronTaskKey(`${task.metadata.namespace}/${cron}`));
  }

  /**
   * A Task of an Agent changed. A limited Agent may have a slot to fill: look now. Otherwise
   * only its status counts changed, so many changes share one look a moment later.
   */
  private wakeAgent(agent: string): void {
    if (this.caches.agents.get(agent)?.spec.maxConcurrentTasks) this.queue.add(agentKey(agent));
    else this.queue.addAfter(agentKey(agent), this.context.statusIntervalMs);
  }

  private setUpMetrics(): TaskMetrics | undefined {
    const metrics = this.options.metrics;
    if (!metrics) return undefined;
    metrics.setWorkQueueDepthCollector(() => this.queue.length);
    return new TaskMetrics(metrics, {
      taskPhases: () => {
        const counts: Record<string, number> = {};
        for (const t of this.caches.tasks.list()) {
          const phase = t.status?.phase ?? 'New';
          counts[phase] = (counts[phase] ?? 0) + 1;
        }
        return counts;
      },
      agentQueueDepths: () => {
        const depth: Record<string, number> = {};
        for (const agent of this.caches.agents.keys()) {
          depth[agent] = this.caches.tasks.byIndex(TASKS_BY_AGENT, agent).filter((t) => t.status?.phase === Phase.queued).length;
        }
        return depth;
      },
    });
  }

  /** This replica now owns `shard`: every key of it is looked at (the last owner may have left work undone). */
  public enqueueShard(shard: number): void {
    const count = this.options.shards?.count ?? 1;
    const keys = [
      ...this.caches.tasks.list().map((t) => taskKey(keyOf(t))),
      ...this.caches.agents.list().map((a) => agentKey(keyOf(a))),
      ...this.caches.cronTasks.list().map((c) => cronTaskKey(keyOf(c))),
    ];
    for (const key of keys) if (shardOfKey(this.caches, key, count) === shard) this.queue.add(key);
  }

  /** Starts the informers, waits until they have listed once, then starts the workers. */
  public async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.options.logger.info('caches synced', { tasks: this.caches.tasks.size, agents: this.caches.agents.size, pods: this.caches.pods.size });
    const count = this.options.workers ?? 4;
    this.workers = Array.from({ length: count }, () => this.work());
  }

  public hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcile(key);
      } finally {
        this.queue.done(key);
      }
      // A reconcile that needs no request (a finished Task's) never leaves the microtask queue:
      // without this, 10,000 of them in a row would hold back every watch event until the end.
      await yieldToEventLoop();
    }
  }

  /**
   * One reconcile of `key` (`task:ns/name`, `agent:ns/name`, ...) as a worker runs it: its
   * result becomes a requeue, an error a retry with backoff, a log line and a count in the metrics.
   */
  public async reconcile(key: string): Promise<void> {
    const shards = this.options.shards;
    // Another replica's shard: it reconciles the key (the informers enqueue every key everywhere).
    if (shards && !shards.owns(shardOfKey(this.caches, key, shards.count))) return;
    const colon = key.indexOf(':');
    const kind = key.slice(0, colon);
    const target = key.slice(colon + 1);
    const handler = handlers[kind];
    const started = performance.now();
    const log = this.options.logger.child({ [kind]: target });
    try {
      const result = await handler({ ...this.context, logger: log }, target);
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      this.options.metrics?.observeReconcile(kind, result.requeueAfterMs !== undefined ? 'requeue' : 'done', (performance.now() - started) / 1000);
    } catch (e) {
      if (isNetworkError(e)) this.context.kube.resetConnections();
      this.queue.addRateLimited(key);
      this.options.metrics?.observeReconcile(kind, 'error', (performance.now() - started) / 1000);
      log.error('reconcile failed; retrying with backoff', { error: e instanceof Error ? e.message : String(e), retries: this.queue.numRequeues(key) });
    }
  }

  /** Stops taking work, lets running reconciles finish (up to timeoutMs), stops the informers. */
  public async stop(timeoutMs = 10_000): Promise<void> {
    this.queue.shutDown();
    await Promise.race([Promise.all(this.workers), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    await this.context.admissionWrites.flush();
    await this.context.events.flush();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.context.kube.close();
  }
}
