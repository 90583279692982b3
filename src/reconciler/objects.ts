/** The shapes of our resources as the API server returns them. */
import { AgentStatus } from '../api/agent.js';
import { CronTaskStatus } from '../api/crontask.js';
import { TaskStatus } from '../api/task.js';
import { AgentSpec, ConfigSpec, CronTaskSpec, ObjectMeta, TaskSpec } from '../constructs/types.js';

export interface TaskObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta & { readonly namespace: string };
  readonly spec: TaskSpec;
  readonly status?: TaskStatus;
}

export interface AgentObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta & { readonly namespace: string };
  readonly spec: AgentSpec;
  readonly status?: AgentStatus;
}

export interface CronTaskObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta & { readonly namespace: string };
  readonly spec: CronTaskSpec;
  readonly status?: CronTaskStatus;
}

export interface ConfigObject {
  readonly metadata: ObjectMeta;
  readonly spec: ConfigSpec;
}

/** A core/v1 Event as the API server sends it (times as strings); the fields that describe and the UI show. */
export interface EventObject {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly count?: number;
  readonly firstTimestamp?: string;
  readonly lastTimestamp?: string;
  readonly eventTime?: string;
  readonly metadata: { readonly creationTimestamp?: string; readonly resourceVersion?: string };
  readonly source?: { readonly component?: string };
  readonly reportingComponent?: string;
  readonly series?: { readonly count?: number; readonly lastObservedTime?: string };
}

/** A Kubernetes object as plain JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

/** Status fields set to null are removed by the merge patch. */
export type StatusPatch<S> = { [K in keyof S]?: S[K] | null };

/** `namespace/name`: the key the work queue and every message use. */
export function keyOf(obj: { readonly metadata: { readonly name: string; readonly namespace?: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/** Where a Task's Agent lives: agentRef, with the CRD's defaults. */
export function agentKeyOf(task: TaskObject): { namespace: string; name: string } {
  return {
    namespace: task.spec.agentRef?.namespace ?? task.metadata.namespace,
    name: task.spec.agentRef?.name ?? 'default',
  };
}
