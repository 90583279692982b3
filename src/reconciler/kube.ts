/**
 * The reconciler's calls to the API server, typed for our objects. Everything that talks
 * to Kubernetes goes through here; the decisions live elsewhere.
 */
import type { CoreV1Event, V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { AgentObject, CronTaskObject, Manifest, StatusPatch, TaskObject } from './objects.js';
import { httpStatusOf, isConflict, isNotFound } from './runtime/api-errors.js';
import type { KubeConfig } from './runtime/client-node.js';
import { corePath, groupPath, MERGE_PATCH, RestClient } from './runtime/rest-client.js';
import { AgentStatus } from '../api/agent.js';
import { API_VERSION, FIELD_MANAGER, Kinds } from '../api/constants.js';
import { CronTaskStatus } from '../api/crontask.js';
import { TaskStatus } from '../api/task.js';

/**
 * Whether the API server refused an object for good: invalid (400, 422) or against Pod
 * Security. Other refusals (RBAC, quota, a missing RuntimeClass) may pass later.
 */
export function isPermanentRejection(e: unknown): boolean {
  const code = httpStatusOf(e);
  if (code === 400 || code === 422) return true;
  return code === 403 && String((e as { body?: unknown }).body).includes('violates PodSecurity');
}

/**
 * The Task itself is gone (404 on a read or write of it): deleted while it was being
 * reconciled. It carries the 404, so isNotFound() holds for it too.
 */
export class TaskGoneError extends Error {
  public readonly code = 404;

  constructor(task: { namespace: string; name: string }) {
    super(`Task ${task.namespace}/${task.name} no longer exists`);
    this.name = 'TaskGoneError';
  }
}

/** Runs a request on a Task, turning its 404 into a TaskGoneError. */
async function onTask<T>(task: { namespace: string; name: string }, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (e) {
    if (isNotFound(e)) throw new TaskGoneError(task);
    throw e;
  }
}

/** The longest a single request may take: far above any healthy answer, well below undici's 5 minutes. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Our resources' paths: `/apis/kubeopencode.io/v1alpha1/namespaces/NS/PLURAL[/NAME[/SUB]]`. */
const ours = (plural: string, namespace: string, name?: string, sub?: string) => groupPath(API_VERSION, plural, namespace, name, sub);

export class KubeClient {
  /**
   * Every request shares one connection pool: without it, client-node opens a new TLS
   * connection per request, which cost more CPU (ours and the API server's) than the
   * requests themselves and left hundreds of sockets open under load. Plain JSON, not
   * client-node's typed API classes: loading those costs ~80 MiB (runtime/client-node.ts).
   */
  private readonly rest: RestClient;

  constructor(public readonly kc: KubeConfig) {
    this.rest = new RestClient(kc, { fieldManager: FIELD_MANAGER, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  }

  /**
   * After a timeout or a network error: the pooled connections may be dead (a half-open one
   * fails every request sent on it), so the next request connects afresh.
   */
  public resetConnections(): void {
    this.rest.reset();
  }

  /** Closes the pooled connections (requests still in flight are aborted). */
  public async close(): Promise<void> {
    await this.rest.close();
  }

  public async getTask(namespace: string, name: string): Promise<TaskObject> {
    return onTask({ namespace, name }, () => this.rest.get<TaskObject>(ours(Kinds.task.plural, namespace, name)));
  }

  /**
   * Writes a Task's status. The resourceVersion makes it conditional: if anyone changed
   * the Task since it was read, the API server answers 409 and nothing is overwritten.
   */
  public async patchTaskStatus(task: TaskObject, status: StatusPatch<TaskStatus>): Promise<TaskObject> {
    return onTask(task.metadata, () => this.mergePatch<TaskObject>(ours(Kinds.task.plural, task.metadata.namespace, task.metadata.name, 'status'),
      { metadata: { resourceVersion: task.metadata.resourceVersion }, status }));
  }

  /** Replaces a Task's finalizers, conditional on its resourceVersion. */
  public async setTaskFinalizers(task: TaskObject, finalizers: string[]): Promise<TaskObject> {
    return onTask(task.metadata, () => this.mergePatch<TaskObject>(ours(Kinds.task.plural, task.metadata.namespace, task.metadata.name),
      { metadata: { resourceVersion: task.metadata.resourceVersion, finalizers } }));
  }

  /** Deletes a Task, only if it is still the same object (uid) that was decided on. */
  public async deleteTask(task: TaskObject): Promise<void> {
    await this.rest.request('DELETE', ours(Kinds.task.plural, task.metadata.namespace, task.metadata.name), { body: { preconditions: { uid: task.metadata.uid } } });
  }

  /** Creates a Task; on AlreadyExists returns the existing one (created false). */
  public async createTask(task: TaskObject): Promise<{ task: TaskObject; created: boolean }> {
    try {
      const created = await this.rest.request<TaskObject>('POST', ours(Kinds.task.plural, task.metadata.namespace), { body: task });
      return { task: created, created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      return { task: await this.getTask(task.metadata.namespace, task.metadata.name), created: false };
    }
  }

  /** Writes a CronTask's status, conditional on its resourceVersion. */
  public async patchCronTaskStatus(cron: CronTaskObject, status: StatusPatch<CronTaskStatus>): Promise<CronTaskObject> {
    return this.mergePatch(ours(Kinds.cronTask.plural, cron.metadata.namespace, cron.metadata.name, 'status'),
      { metadata: { resourceVersion: cron.metadata.resourceVersion }, status });
  }

  public async patchAgentStatus(agent: AgentObject, status: StatusPatch<AgentStatus>): Promise<AgentObject> {
    return this.mergePatch(ours(Kinds.agent.plural, agent.metadata.namespace, agent.metadata.name, 'status'),
      { metadata: { resourceVersion: agent.metadata.resourceVersion }, status });
  }

  public async getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    return this.getOrUndefined<V1Pod>(corePath('pods', namespace, name));
  }

  /** Creates the object unless it exists; returns the existing one on AlreadyExists. */
  public async createPod(pod: Manifest): Promise<{ pod: V1Pod; created: boolean }> {
    const { object, created } = await this.createOrGet<V1Pod>('pods', pod);
    return { pod: object, created };
  }

  public async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    await this.deleteIfPresent(corePath('pods', namespace, name), { gracePeriodSeconds });
  }

  public async getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return this.getOrUndefined<V1ConfigMap>(corePath('configmaps', namespace, name));
  }

  public async createConfigMap(configMap: Manifest): Promise<{ configMap: V1ConfigMap; created: boolean }> {
    const { object, created } = await this.createOrGet<V1ConfigMap>('configmaps', configMap);
    return { configMap: object, created };
  }

  public async deleteConfigMap(namespace: string, name: string): Promise<void> {
    await this.deleteIfPresent(corePath('configmaps', namespace, name));
  }

  public async createEvent(event: CoreV1Event & { metadata: { namespace: string } }): Promise<void> {
    await this.rest.request('POST', corePath('events', event.metadata.namespace), { body: event });
  }

  private mergePatch<T>(path: string, body: object): Promise<T> {
    return this.rest.request<T>('PATCH', path, { body, contentType: MERGE_PATCH });
  }

  private async getOrUndefined<T>(path: string): Promise<T | undefined> {
    try {
      return await this.rest.get<T>(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Creates a core object unless it exists; on AlreadyExists returns the existing one. */
  private async createOrGet<T>(plural: string, object: Manifest): Promise<{ object: T; created: boolean }> {
    const namespace = object.metadata.namespace!;
    try {
      return { object: await this.rest.request<T>('POST', corePath(plural, namespace), { body: object }), created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      const existing = await this.getOrUndefined<T>(corePath(plural, namespace, object.metadata.name));
      if (!existing) throw e;
      return { object: existing, created: false };
    }
  }

  private async deleteIfPresent(path: string, query?: { gracePeriodSeconds?: number }): Promise<void> {
    try {
      await this.rest.request('DELETE', path, { query });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
