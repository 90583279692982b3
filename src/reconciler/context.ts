/** What every reconcile function works with: caches, the client, and the ways out. */
import { V1Pod } from '@kubernetes/client-node';
import { EventRecorder } from './events.js';
import { KubeClient } from './kube.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { AgentObject, ConfigObject, TaskObject } from './objects.js';
import { SlotClock } from './slot-clock.js';
import { Store } from './store.js';

export interface Caches {
  readonly tasks: Store<TaskObject>;
  readonly agents: Store<AgentObject>;
  readonly pods: Store<V1Pod>;
  readonly configs: Store<ConfigObject>;
}

/** Index of the Task cache: Tasks by the `namespace/name` of their Agent. */
export const TASKS_BY_AGENT = 'agent';
/** Index of the Task cache: Tasks by namespace. */
export const TASKS_BY_NAMESPACE = 'namespace';

/** Work queue keys name the kind: `task:ns/name`, `agent:ns/name`. */
export const taskKey = (namespaceName: string): string => `task:${namespaceName}`;
export const agentKey = (namespaceName: string): string => `agent:${namespaceName}`;
export const retentionKey = (namespace: string): string => `retention:${namespace}`;

export interface ReconcileContext {
  readonly kube: KubeClient;
  readonly caches: Caches;
  /** Queues a key (`task:...` or `agent:...`). */
  readonly enqueue: (key: string) => void;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly now: () => Date;
  /** When slots of limited Agents freed, for the admission latency metric. */
  readonly slots: SlotClock;
  /** Per-Agent memory of the Agent reconcile (last status writes). */
  readonly agentState: Map<string, AgentWriteState>;
  /** Agent status and queue positions are written at most this often per Agent. */
  readonly statusIntervalMs: number;
  /** How soon a Task blocked by a missing ConfigMap tries again. */
  readonly contextRetryMs: number;
  /**
   * New Tasks of limited Agents that their own reconcile checked (Agent found, namespace
   * allowed, contexts resolved), by key, with their uid: they wait in line without a status
   * write of their own, and the Agent reconcile gives them their first phase (Queued or
   * Running). Lost on restart, which only means they are checked again.
   */
  readonly checkedNewTasks: Map<string, string>;
}

/** What a reconcile asks of the queue: nothing more, or another look after a delay. */
export interface Result {
  readonly requeueAfterMs?: number;
}

export const done: Result = {};
export const requeueAfter = (ms: number): Result => ({ requeueAfterMs: Math.max(0, Math.ceil(ms)) });

/** When the Agent reconcile last wrote an Agent's status and its queue positions. */
export interface AgentWriteState {
  lastStatusWrite: number;
  lastPositionsWrite: number;
}
