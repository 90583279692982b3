/**
 * The objects a Task runs as: reading what its contexts need, rendering them through
 * TaskPod, creating them, and reading its outputs back from the finished Pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ReconcileContext } from './context.js';
import { AgentObject, TaskObject } from './objects.js';
import { configMapsNeeded, renderTask, RenderedTask } from './render.js';
import { currentAttempt } from './retry.js';
import { ConditionInput } from './status.js';
import { ConditionType, Labels, Reason } from '../api/constants.js';
import { taskResourceName } from '../api/names.js';
import { parseTerminationMessage, TerminationMessageError } from '../api/outputs-format.js';
import { ContextError } from '../constructs/context-plan.js';

/** Where a Task's current Pod and ConfigMap live: the Agent's namespace, a name from the Task's and the attempt. */
export function childNames(task: TaskObject, agent: { metadata: { namespace: string } }): { namespace: string; name: string } {
  return { namespace: agent.metadata.namespace, name: taskResourceName(task.metadata.namespace, task.metadata.name, currentAttempt(task)) };
}

/** Reads the ConfigMaps that the contexts name, once, fresh from the API server. */
async function readContextConfigMaps(ctx: ReconcileContext, task: TaskObject, agent: AgentObject): Promise<Record<string, Record<string, string>>> {
  const found: Record<string, Record<string, string>> = {};
  await Promise.all(configMapsNeeded(task, agent).map(async (key) => {
    const [namespace, name] = key.split('/');
    const cm = await ctx.kube.getConfigMap(namespace, name);
    if (cm) found[key] = cm.data ?? {};
  }));
  return found;
}

/** Renders the Task's objects; ContextError when its contexts cannot work (yet). */
export async function renderChildren(ctx: ReconcileContext, task: TaskObject, agent: AgentObject): Promise<RenderedTask> {
  const configMaps = await readContextConfigMaps(ctx, task, agent);
  const config = ctx.caches.configs.list()[0];
  return renderTask({ task, agent, configMaps, config: config?.spec, attempt: currentAttempt(task) });
}

/** Whether an existing Pod belongs to this very Task (and not an earlier one of the same name). */
export function isOwnPod(pod: V1Pod, task: TaskObject): boolean {
  const uid = pod.metadata?.labels?.[Labels.taskUid];
  return !uid || !task.metadata.uid || uid === task.metadata.uid;
}

export type CreateOutcome =
  | { readonly kind: 'created'; readonly pod: V1Pod }
  | { readonly kind: 'stale'; readonly message: string };

/**
 * Creates the ConfigMap and the Pod, each only if absent. A Pod left by an earlier Task of
 * the same name is deleted and reported as stale (the caller tries again later).
 *
 * Both are sent at once rather than the ConfigMap first: that is one round trip less on every
 * Task's way to its Pod. The kubelet mounts the ConfigMap only after the Pod was scheduled,
 * long after the ConfigMap's create returned; should it look earlier, or should that create
 * fail (the reconcile then throws and tries both again), it waits for the ConfigMap to appear.
 */
export async function createChildren(ctx: ReconcileContext, task: TaskObject, rendered: RenderedTask): Promise<CreateOutcome> {
  const [{ pod }] = await Promise.all([ctx.kube.createPod(rendered.pod), ctx.kube.createConfigMap(rendered.configMap)]);
  if (!isOwnPod(pod, task)) {
    await ctx.kube.deletePod(pod.metadata!.namespace!, pod.metadata!.name!, 0);
    await ctx.kube.deleteConfigMap(rendered.configMap.metadata.namespace!, rendered.configMap.metadata.name);
    return { kind: 'stale', message: `Pod ${pod.metadata!.namespace}/${pod.metadata!.name} belonged to an earlier Task of the same name; removed it` };
  }
  ctx.caches.pods.upsert(pod);
  return { kind: 'created', pod };
}

export { ContextError };

/** Outputs read from the Pod's termination message, with the condition to set when they were cut. */
export interface PodOutputs {
  readonly parameters?: Record<string, string>;
  readonly condition?: ConditionInput;
}

export function readOutputs(pod: V1Pod): PodOutputs {
  const status = pod.status?.initContainerStatuses?.find((c) => c.name === 'outputs');
  if (!status) return {};
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  const text = terminated?.message;
  if (text === undefined) {
    return { condition: { type: ConditionType.outputsTruncated, status: 'True', reason: Reason.outputsUnreadable, message: 'The outputs collector left no termination message' } };
  }
  try {
    const message = parseTerminationMessage(text);
    const cut = message.truncated;
    return {
      parameters: { ...message.parameters },
      condition: cut.length ? {
        type: ConditionType.outputsTruncated,
        status: 'True',
        reason: Reason.outputsTruncated,
        message: `Outputs over the 4096-byte termination message limit were shortened or dropped: ${cut.join(', ')}`,
      } : undefined,
    };
  } catch (e) {
    if (!(e instanceof TerminationMessageError)) throw e;
    return { condition: { type: ConditionType.outputsTruncated, status: 'True', reason: Reason.outputsUnreadable, message: e.message } };
  }
}

/** Why a failed Pod failed, in the words of its containers (and the failed container's exit code). */
export function podFailure(pod: V1Pod): { reason: string; message: string; exitCode?: number } {
  if (pod.status?.reason === 'DeadlineExceeded') return { reason: Reason.timeout, message: pod.status.message ?? 'The Pod ran past its deadline' };
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const failed = statuses.find((c) => (c.state?.terminated?.exitCode ?? 0) !== 0 && c.name !== 'outputs');
  const t = failed?.state?.terminated;
  if (failed && t) {
    const why = t.reason ? `${t.reason}, ` : '';
    const message = `container ${failed.name} failed (${why}exit code ${t.exitCode})${t.message && failed.name !== 'outputs' ? `: ${t.message.slice(0, 512)}` : ''}`;
    return { reason: Reason.podFailed, message, exitCode: t.exitCode };
  }
  return { reason: Reason.podFailed, message: pod.status?.message ?? `Pod ${pod.metadata?.name} failed` };
}

/** A container that cannot start (bad image, missing Secret): reason and message, if any. */
export function podStuck(pod: V1Pod): { reason: string; message: string } | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const stuckReasons = ['CreateContainerConfigError', 'CreateContainerError', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CrashLoopBackOff'];
  const stuck = statuses.find((c) => stuckReasons.includes(c.state?.waiting?.reason ?? ''));
  const waiting = stuck?.state?.waiting;
  return stuck && waiting ? { reason: waiting.reason!, message: `container ${stuck.name}: ${waiting.message ?? waiting.reason}` } : undefined;
}
