/**
 * Kubernetes objects -> what the page shows (src/ui/shared/types.ts). Only the fields listed
 * here leave the server: an Agent's MCP header values or a Pod's environment never do.
 */
import { Annotations, Phase } from '../../api/constants.js';
import { agentKeyOf, AgentObject, EventObject, TaskObject } from '../../reconciler/objects.js';
import type { AgentSummary, ConditionView, ContainerView, EventView, PodView, TaskSummary } from '../shared/types.js';

const TITLE_MAX = 120;

function title(description: string | undefined): string {
  const first = (description ?? '').split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return first.length > TITLE_MAX ? `${first.slice(0, TITLE_MAX - 1)}…` : first;
}

/** The reason of the most recently changed condition: why a Task is where it is. */
function latestReason(task: TaskObject): string | undefined {
  const conds = [...task.status?.conditions ?? []].sort((a, b) => (a.lastTransitionTime < b.lastTransitionTime ? 1 : -1));
  return conds[0]?.reason;
}

export function taskSummary(task: TaskObject): TaskSummary {
  const ref = agentKeyOf(task);
  const s = task.status;
  return {
    namespace: task.metadata.namespace,
    name: task.metadata.name,
    uid: task.metadata.uid ?? '',
    phase: s?.phase ?? Phase.pending,
    agent: `${ref.namespace}/${ref.name}`,
    labels: task.metadata.labels ?? {},
    created: task.metadata.creationTimestamp ?? '',
    started: s?.startTime,
    completed: s?.completionTime,
    queuePosition: s?.queuePosition,
    podName: s?.podName,
    podNamespace: s?.podNamespace,
    reason: latestReason(task),
    title: title(task.spec.description),
    stopRequested: task.metadata.annotations?.[Annotations.stop] === 'true',
    deleting: !!task.metadata.deletionTimestamp,
  };
}

export function conditionViews(conditions: readonly Partial<ConditionView>[] | undefined): ConditionView[] {
  return (conditions ?? []).map((c) => ({
    type: c.type ?? '', status: c.status ?? '', reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime,
  }));
}

export function agentSummary(agent: AgentObject): AgentSummary {
  return {
    namespace: agent.metadata.namespace,
    name: agent.metadata.name,
    maxConcurrentTasks: agent.spec.maxConcurrentTasks ?? 0,
    runningTasks: agent.status?.runningTasks ?? 0,
    queuedTasks: agent.status?.queuedTasks ?? 0,
    allowedNamespaces: [...agent.spec.allowedNamespaces ?? []],
    serviceAccountName: agent.spec.serviceAccountName,
    credentials: (agent.spec.credentials ?? []).map((c) => ({
      name: c.name, secretName: c.secretRef.name, key: c.secretRef.key, env: c.env, mountPath: c.mountPath,
    })),
    conditions: conditionViews(agent.status?.conditions),
  };
}

interface ContainerStatusLike {
  readonly name: string;
  readonly restartCount?: number;
  readonly state?: Record<string, { reason?: string; message?: string; exitCode?: number } | undefined>;
}

export interface PodLike {
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly creationTimestamp?: string };
  readonly spec?: {
    readonly nodeName?: string;
    readonly initContainers?: readonly { readonly name: string; readonly image?: string; readonly restartPolicy?: string }[];
    readonly containers?: readonly { readonly name: string; readonly image?: string }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly initContainerStatuses?: readonly ContainerStatusLike[];
    readonly containerStatuses?: readonly ContainerStatusLike[];
  };
}

function containerView(
  name: string, image: string | undefined, kind: ContainerView['kind'], status: ContainerStatusLike | undefined,
): ContainerView {
  const [state, detail] = Object.entries(status?.state ?? {}).find(([, v]) => v !== undefined) ?? [];
  return {
    name, image, kind, state, reason: detail?.reason, message: detail?.message, exitCode: detail?.exitCode, restartCount: status?.restartCount,
  };
}

export function podView(pod: PodLike): PodView {
  const initStatus = new Map((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
  const mainStatus = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase,
    reason: pod.status?.reason,
    message: pod.status?.message,
    nodeName: pod.spec?.nodeName,
    created: pod.metadata?.creationTimestamp,
    containers: [
      ...(pod.spec?.initContainers ?? []).map((c) => containerView(c.name, c.image, c.restartPolicy === 'Always' ? 'sidecar' : 'init', initStatus.get(c.name))),
      ...(pod.spec?.containers ?? []).map((c) => containerView(c.name, c.image, 'main', mainStatus.get(c.name))),
    ],
  };
}


export function eventView(e: EventObject): EventView {
  const first = e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  return {
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.series?.count ?? e.count ?? 1,
    first,
    last: e.series?.lastObservedTime ?? e.lastTimestamp ?? first,
    source: e.source?.component ?? e.reportingComponent,
  };
}

/** Events oldest first, by their last occurrence. */
export const byLast = (a: EventView, b: EventView): number => ((a.last ?? '') < (b.last ?? '') ? -1 : (a.last ?? '') > (b.last ?? '') ? 1 : 0);
