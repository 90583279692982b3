/**
 * The reconciler's calls to the API server, typed for our objects. Everything that talks
 * to Kubernetes goes through here; the decisions live elsewhere.
 */
import {
  CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, V1ConfigMap, V1Pod,
} from '@kubernetes/client-node';
import { AgentObject, CronTaskObject, Manifest, StatusPatch, TaskObject } from './objects.js';
import { httpStatusOf, isConflict, isNotFound } from './runtime/api-errors.js';
import { PooledConnection } from './runtime/connection.js';
import { AgentStatus } from '../api/agent.js';
import { FIELD_MANAGER, GROUP, Kinds, VERSION } from '../api/constants.js';
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

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

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

export class KubeClient {
  public readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  /**
   * Every write shares one connection pool: without it, client-node opens a new TLS
   * connection per request, which cost more CPU (ours and the API server's) than the
   * requests themselves and left hundreds of sockets open under load.
   */
  private readonly connection: PooledConnection;

  constructor(public readonly kc: KubeConfig) {
    this.connection = new PooledConnection(kc, undefined, REQUEST_TIMEOUT_MS);
    this.core = this.connection.makeApiClient(CoreV1Api);
    this.custom = this.connection.makeApiClient(CustomObjectsApi);
  }

  /**
   * After a timeout or a network error: the pooled connections may be dead (a half-open one
   * fails every request sent on it), so the next request connects afresh.
   */
  public resetConnections(): void {
    this.connection.reset();
  }

  /** Closes the pooled connections (requests still in flight are aborted). */
  public async close(): Promise<void> {
    await this.connection.close();
  }

  public async getTask(namespace: string, name: string): Promise<TaskObject> {
    const request = { group: GROUP, version: VERSION, namespace, plural: Kinds.task.plural, name };
    return onTask({ namespace, name }, () => this.custom.getNamespacedCustomObject(request) as Promise<TaskObject>);
  }

  /**
   * Writes a Task's status. The resourceVersion makes it conditional: if anyone changed
   * the Task since it was read, the API server answers 409 and nothing is overwritten.
   */
  public async patchTaskStatus(task: TaskObject, status: StatusPatch<TaskStatus>): Promise<TaskObject> {
    return onTask(task.metadata, () => this.custom.patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: task.metadata.namespace,
      plural: Kinds.task.plural,
      name: task.metadata.name,
      body: { metadata: { resourceVersion: task.metadata.resourceVersion }, status },
      fieldManager: FIELD_MANAGER,
    }, mergePatch) as Promise<TaskObject>);
  }

  /** Replaces a Task's finalizers, conditional on its resourceVersion. */
  public async setTaskFinalizers(task: TaskObject, finalizers: string[]): Promise<TaskObject> {
    return onTask(task.metadata, () => this.custom.patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: task.metadata.namespace,
      plural: Kinds.task.plural,
      name: task.metadata.name,
      body: { metadata: { resourceVersion: task.metadata.resourceVersion, finalizers } },
      fieldManager: FIELD_MANAGER,
    }, mergePatch) as Promise<TaskObject>);
  }

  /** Deletes a Task, only if it is still the same object (uid) that was decided on. */
  public async deleteTask(task: TaskObject): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: task.metadata.namespace,
      plural: Kinds.task.plural,
      name: task.metadata.name,
      body: { preconditions: { uid: task.metadata.uid } },
    });
  }

  /** Creates a Task; on AlreadyExists returns the existing one (created false). */
  public async createTask(task: TaskObject): Promise<{ task: TaskObject; created: boolean }> {
    const target = { group: GROUP, version: VERSION, namespace: task.metadata.namespace, plural: Kinds.task.plural };
    try {
      const created = await this.custom.createNamespacedCustomObject({ ...target, body: task, fieldManager: FIELD_MANAGER }) as TaskObject;
      return { task: created, created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      return { task: await this.getTask(task.metadata.namespace, task.metadata.name), created: false };
    }
  }

  /** Writes a CronTask's status, conditional on its resourceVersion. */
  public async patchCronTaskStatus(cron: CronTaskObject, status: StatusPatch<CronTaskStatus>): Promise<CronTaskObject> {
    return this.custom.patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: cron.metadata.namespace,
      plural: Kinds.cronTask.plural,
      name: cron.metadata.name,
      body: { metadata: { resourceVersion: cron.metadata.resourceVersion }, status },
      fieldManager: FIELD_MANAGER,
    }, mergePatch) as Promise<CronTaskObject>;
  }

  public async patchAgentStatus(agent: AgentObject, status: StatusPatch<AgentStatus>): Promise<AgentObject> {
    return this.custom.patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: agent.metadata.namespace,
      plural: Kinds.agent.plural,
      name: agent.metadata.name,
      body: { metadata: { resourceVersion: agent.metadata.resourceVersion }, status },
      fieldManager: FIELD_MANAGER,
    }, mergePatch) as Promise<AgentObject>;
  }

  public async getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Creates the object unless it exists; returns the existing one on AlreadyExists. */
  public async createPod(pod: Manifest): Promise<{ pod: V1Pod; created: boolean }> {
    try {
      const created = await this.core.createNamespacedPod({ namespace: pod.metadata.namespace!, body: pod as V1Pod, fieldManager: FIELD_MANAGER });
      return { pod: created, created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      const existing = await this.getPod(pod.metadata.namespace!, pod.metadata.name);
      if (!existing) throw e;
      return { pod: existing, created: false };
    }
  }

  public async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  public async getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({ namespace, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  public async createConfigMap(configMap: Manifest): Promise<{ configMap: V1ConfigMap; created: boolean }> {
    try {
      const body = configMap as V1ConfigMap;
      const created = await this.core.createNamespacedConfigMap({ namespace: configMap.metadata.namespace!, body, fieldManager: FIELD_MANAGER });
      return { configMap: created, created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      const existing = await this.getConfigMap(configMap.metadata.namespace!, configMap.metadata.name);
      if (!existing) throw e;
      return { configMap: existing, created: false };
    }
  }

  public async deleteConfigMap(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedConfigMap({ namespace, name });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
