/**
 * What the end-to-end tests on the real node share: objects in and out of the e2e cluster,
 * waiting for a Task's phase, its Pod, its containers' logs and termination messages, and
 * whether containerd still runs a container.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { binaryPath } from '../../harness/control-plane/binaries.js';
import { e2eCluster } from '../../harness/e2e-cluster.js';
import { applyYaml, isApiError, Manifest } from '../../harness/kube.js';
import { waitFor } from '../../harness/wait.js';
import { API_VERSION } from '../../src/api/constants.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';

const run = promisify(execFile);

/** Cold, the images are built first (minutes); warm, installing takes seconds. */
export const INSTALL_TIMEOUT_MS = 20 * 60_000;
/** A Task Pod takes 5 to 15 s here; a loaded machine much more. */
export const TASK_TIMEOUT_MS = 180_000;

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };

/** Our objects' metadata types its timestamps as strings (JSON), the client's as Dates: the same JSON either way. */
const asManifest = (o: object): Manifest => o as Manifest;
export const agentManifest = (agent: AgentObject): Manifest => asManifest({ apiVersion: API_VERSION, kind: 'Agent', ...agent });
export const taskManifest = (task: TaskObject): Manifest => asManifest({ apiVersion: API_VERSION, kind: 'Task', ...task });

export const secretManifest = (namespace: string, name: string, stringData: Record<string, string>): Manifest =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData });
export const configMapManifest = (namespace: string, name: string, data: Record<string, string>): Manifest =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
export const serviceAccountManifest = (namespace: string, name: string): Manifest =>
  ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });

export const apply = (kc: KubeConfig, manifests: Manifest[]) => applyYaml(manifests, { fieldManager: 'kubeopencode-e2e-tests', kc });

export async function getTask(kc: KubeConfig, namespace: string, name: string): Promise<TaskObject> {
  return await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...G, plural: 'tasks', namespace, name }) as TaskObject;
}

/** Waits until the Task reaches one of `phases`; fails early, saying so, when it ends in another. */
export async function waitForTask(kc: KubeConfig, namespace: string, name: string, phases: readonly string[],
  timeoutMs = TASK_TIMEOUT_MS): Promise<TaskObject> {
  let last: TaskObject | undefined;
  return waitFor(async () => {
    last = await getTask(kc, namespace, name);
    const phase = last.status?.phase ?? '';
    if (phases.includes(phase)) return last;
    if (['Completed', 'Failed'].includes(phase)) throw new Error(`ended ${phase}: ${JSON.stringify(last.status?.conditions)}`);
    return undefined;
  }, { description: `Task ${namespace}/${name} to be ${phases.join(' or ')}`, timeoutMs, intervalMs: 250 })
    .catch((e: Error) => { throw new Error(`${e.message}\nlast status: ${JSON.stringify(last?.status)}`); });
}

export const condition = (task: TaskObject, type: string) => task.status?.conditions?.find((c) => c.type === type);

/** The Pod of the Task's current (or last) attempt. */
export async function taskPod(kc: KubeConfig, task: TaskObject): Promise<V1Pod> {
  const { podName, podNamespace } = task.status ?? {};
  if (!podName || !podNamespace) throw new Error(`Task ${task.metadata.namespace}/${task.metadata.name} names no Pod: ${JSON.stringify(task.status)}`);
  return kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: podName, namespace: podNamespace });
}

export const containerStatuses = (pod: V1Pod): V1ContainerStatus[] =>
  [...pod.status?.initContainerStatuses ?? [], ...pod.status?.containerStatuses ?? []];
export const containerStatus = (pod: V1Pod, name: string) => containerStatuses(pod).find((s) => s.name === name);

/** A container's log through the API server (pods/log: what `kubectl logs` reads, from the kubelet). */
export function podLog(kc: KubeConfig, pod: V1Pod, container: string): Promise<string> {
  return kc.makeApiClient(CoreV1Api).readNamespacedPodLog({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, container });
}

export async function podGone(kc: KubeConfig, namespace: string, name: string): Promise<boolean> {
  try {
    await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name, namespace });
    return false;
  } catch (e) {
    if (isApiError(e, 404)) return true;
    throw e;
  }
}

/** The container IDs (without `containerd://`) of a Pod's containers that ever started. */
export const containerIds = (pod: V1Pod): string[] =>
  containerStatuses(pod).map((s) => s.containerID?.replace(/^containerd:\/\//, '')).filter((id): id is string => !!id);

/** Of these containers, those whose process containerd still runs (`ctr tasks list`: the runtime's own view). */
export async function stillRunning(ids: readonly string[]): Promise<string[]> {
  const { node } = e2eCluster();
  const { stdout } = await run(binaryPath('ctr'), ['--address', node.containerdAddress, '--namespace', node.containerdNamespace, 'tasks', 'list']);
  // TASK  PID  STATUS, one container a line after the header.
  const running = new Set(stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((c) => c[2] === 'RUNNING').map((c) => c[0]));
  return ids.filter((id) => running.has(id));
}

/** Seconds since `since`, for the timings the tests print. */
export const secondsSince = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
export const note = (line: string) => process.stderr.write(`[e2e] ${line}\n`);
