/**
 * Load for the scenarios: Task and Agent bodies, the bare Pods of the baselines, and the two
 * ways of sending requests (an open loop at a fixed rate, a closed loop at a fixed concurrency).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, V1Pod } from '@kubernetes/client-node';
import { now } from './stats.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { renderTask } from '../../src/reconciler/render.js';
import { kubeTime } from '../../src/reconciler/runtime/time.js';

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };
export const AGENT = 'bench';

export const taskName = (i: number): string => `task-${String(i).padStart(5, '0')}`;

export function taskBody(name: string): object {
  return {
    apiVersion: 'kubeopencode.io/v1alpha1',
    kind: 'Task',
    metadata: { name },
    spec: { description: `Benchmark task ${name}: update the dependencies and open a pull request.`, agentRef: { name: AGENT } },
  };
}

export async function createAgent(custom: CustomObjectsApi, namespace: string, spec: object = {}): Promise<AgentObject> {
  const body = { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Agent', metadata: { name: AGENT }, spec };
  return await custom.createNamespacedCustomObject({ ...G, namespace, plural: 'agents', body }) as AgentObject;
}

export async function createTask(custom: CustomObjectsApi, namespace: string, name: string): Promise<TaskObject> {
  return await custom.createNamespacedCustomObject({ ...G, namespace, plural: 'tasks', body: taskBody(name) }) as TaskObject;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** What the reconciler writes when a Task's Pod succeeded, so the cached objects are of realistic size. */
function completedStatus(ns: string, name: string): object {
  const t = kubeTime(new Date());
  const message = `Pod ${ns}/${name} succeeded`;
  return {
    phase: 'Completed',
    observedGeneration: 1,
    podName: `${name}-0a1b2c3d`,
    podNamespace: ns,
    startTime: t,
    completionTime: t,
    conditions: [{ type: 'Ready', status: 'False', reason: 'Succeeded', message, lastTransitionTime: t, observedGeneration: 1 }],
  };
}

/** Sets Task `name` Completed through the status subresource, as if its Pod had run (no Pod exists). */
export async function completeTask(custom: CustomObjectsApi, namespace: string, name: string): Promise<void> {
  await custom.patchNamespacedCustomObjectStatus({ ...G, namespace, plural: 'tasks', name, body: { status: completedStatus(namespace, name) } }, mergePatch);
}

/**
 * Creates Tasks 0..count-1 and sets each Completed, while no controller runs: finished Tasks
 * that a starting controller lists and caches but creates no Pods for. `progress` is called
 * with the number done every `progressEvery` Tasks (creating 100,000 takes many minutes).
 */
export async function createCompletedTasks(
  custom: CustomObjectsApi, namespace: string, count: number, concurrency: number,
  progress: (done: number) => void = () => undefined, progressEvery = 10_000,
): Promise<void> {
  let done = 0;
  await withConcurrency(count, concurrency, async (i) => {
    await createTask(custom, namespace, taskName(i));
    await completeTask(custom, namespace, taskName(i));
    if (++done % progressEvery === 0) progress(done);
  });
}

/**
 * The Pod the reconciler would create for Task `name` in `namespace` (rendered by the same
 * code), less its ownerReference: there is no Task to own it, and the garbage collector
 * would otherwise delete it while the baseline runs.
 */
export function barePod(namespace: string, name: string): V1Pod {
  const task = { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name, namespace, uid: `bench-${name}`, generation: 1 }, spec: { description: `Benchmark task ${name}: update the dependencies and open a pull request.`, agentRef: { name: AGENT } } };
  const agent = { metadata: { name: AGENT, namespace }, spec: {} };
  const { pod } = renderTask({ task: task as TaskObject, agent: agent as AgentObject });
  delete pod.metadata.ownerReferences;
  return pod as V1Pod;
}

export async function createPod(core: CoreV1Api, pod: V1Pod): Promise<void> {
  await core.createNamespacedPod({ namespace: pod.metadata!.namespace!, body: pod });
}

/** Starts request i at start + i/perSecond without waiting for earlier ones; returns when all are answered. */
export async function atRate(
  count: number, perSecond: number, send: (i: number) => Promise<unknown>,
): Promise<{ sentAt: number[]; failures: number }> {
  const sentAt: number[] = [];
  const inFlight: Promise<unknown>[] = [];
  let failures = 0;
  const start = now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    sentAt.push(now());
    inFlight.push(send(i).catch(() => failures++));
  }
  await Promise.all(inFlight);
  return { sentAt, failures };
}

/** Keeps `concurrency` requests in flight until `count` were answered; returns when the first was sent. */
export async function withConcurrency(
  count: number, concurrency: number, send: (i: number) => Promise<unknown>,
): Promise<{ startedAt: number; endedAt: number }> {
  let next = 0;
  const startedAt = now();
  const lane = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { startedAt, endedAt: now() };
}
