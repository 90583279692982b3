/** What every reconcile function works with: caches, the client, and the ways out. */
import type { V1Pod } from '@kubernetes/client-node';
import { AdmissionState } from './admission-state.js';
import { EventRecorder } from './events.js';
import { KubeClient } from './kube.js';
import { AgentObject, ConfigObject, CronTaskObject, TaskObject } from './objects.js';
import { OrderedWrites } from './ordered-writes.js';
import type { Logger } from './runtime/logger.js';
import { Store } from './runtime/store.js';
import type { TaskMetrics } from './task-metrics.js';

export interface Caches {
  readonly tasks: Store<TaskObject>;
  readonly agents: Store<AgentObject>;
  readonly pods: Store<V1Pod>;
  readonly configs: Store<ConfigObject>;
  readonly cronTasks: Store<CronTaskObject>;
}

/** Index of the Task cache: Tasks by the `namespace/name` of their Agent. */
export const TASKS_BY_AGENT = 'agent';
/** Index of the Task cache: Tasks by the `namespace/name` of the CronTask that made them (label). */
export const CRONTASK_TASKS = 'crontask';
/** Index of the Task cache: Tasks by namespace. */
export const TASKS_BY_NAMESPACE = 'namespace';

/** Work queue keys name the kind: `task:ns/name`, `agent:ns/name`. */
export const taskKey = (namespaceName: string): string => `task:${namespaceName}`;
export const agentKey = (namespaceName: string): string => `agent:${namespaceName}`;
export const retentionKey = (namespace: string): string => `retention:${namespace}`;
export const cronTaskKey = (namespaceName: string): string => `crontask:${namespaceName}`;

export interface ReconcileContext {
  readonly kube: KubeClient;
  readonly caches: Caches;
  /** Queues a key (`task:...` or `agent:...`). */
  readonly enqueue: (key: string) => void;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly metrics?: TaskMetrics;
  readonly now: () => Date;
  /** What is remembered about admission between reconciles (see its invariant). */
  readonly admission: AdmissionState;
  /** Admitted Tasks' Running writes, in order per Agent, outside the Agent's reconcile. */
  readonly admissionWrites: OrderedWrites;
  /** Agent status and queue positions are written at most this often per Agent. */
  readonly statusIntervalMs: number;
  /** How soon a Task blocked by a missing ConfigMap tries again. */
  readonly contextRetryMs: number;
}

/** What a reconcile asks of the queue: nothing more, or another look after a delay. */
export interface Result {
  readonly requeueAfterMs?: number;
}

export const done: Result = {};
export const requeueAfter = (ms: number): Result => ({ requeueAfterMs: Math.max(0, Math.ceil(ms)) });
