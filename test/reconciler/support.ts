/**
 * Helpers for reconciler integration tests on the real control plane: a controller that
 * handles only this test's namespaces, typed access to Tasks and Agents, and waiting for
 * a Task to reach a state.
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, V1Pod } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../../harness/kube.js';
import { PodOutcome, SimulatedNode } from '../../harness/node/simulated-node.js';
import { waitFor } from '../../harness/wait.js';
import { Controller, ControllerOptions } from '../../src/reconciler/controller.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { isNotFound } from '../../src/reconciler/runtime/api-errors.js';
import { createLogger, nullLogger } from '../../src/reconciler/runtime/logger.js';

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** One test file's world: its namespaces, its controller, its simulated node. */
export class Scenario {
  public readonly kc: KubeConfig;
  public readonly core: CoreV1Api;
  public readonly custom: CustomObjectsApi;
  public controller?: Controller;
  public node?: SimulatedNode;
  private readonly namespaces: string[] = [];

  constructor(public readonly prefix: string) {
    this.kc = loadKubeConfig();
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
  }

  /** Fate of each Pod the simulated node sees; tests replace it. */
  public outcome: (pod: V1Pod) => PodOutcome = () => ({ phase: 'Running' });

  /** A fresh namespace that this scenario's controller handles. */
  public async namespace(labels: Record<string, string> = {}, prefix = this.prefix): Promise<string> {
    const ns = await createTestNamespace(prefix, labels, this.kc);
    this.namespaces.push(ns);
    return ns;
  }

  /** Starts the simulated node for this scenario's namespaces. */
  public async startNode(): Promise<void> {
    this.node = new SimulatedNode({
      kc: this.kc,
      filter: (pod) => this.namespaces.includes(pod.metadata!.namespace!),
      outcome: (pod) => this.outcome(pod),
    });
    await this.node.start();
  }

  /** Starts a controller (in this process) for this scenario's namespaces and a simulated node. */
  public async start(options: Partial<ControllerOptions> = {}): Promise<void> {
    await this.startController(options);
    await this.startNode();
  }

  /** Stops this scenario's controller and starts a new one, as a restarted process would (fresh caches). */
  public async restartController(options: Partial<ControllerOptions> = {}): Promise<void> {
    await this.controller?.stop();
    await this.startController(options);
  }

  private async startController(options: Partial<ControllerOptions>): Promise<void> {
    this.controller = this.newController(options);
    await this.controller.start();
  }

  /** A controller for this scenario's namespaces, not started: its caches are empty until filled. */
  public newController(options: Partial<ControllerOptions> = {}): Controller {
    const logger = process.env.KUBEOPENCODE_TEST_LOGS ? createLogger({ format: 'text', level: 'debug' }) : nullLogger;
    return new Controller({
      kc: this.kc,
      logger,
      identity: `test-${this.prefix}`,
      statusIntervalMs: 200,
      contextRetryMs: 1000,
      namespaceFilter: (ns) => this.namespaces.includes(ns),
      config: {},
      ...options,
    });
  }

  public async stop(): Promise<void> {
    await this.node?.stop();
    await this.controller?.stop();
    expect(this.node?.errors ?? []).toEqual([]);
  }

  public async createAgent(namespace: string, name: string, spec: object = {}): Promise<AgentObject> {
    return await this.custom.createNamespacedCustomObject({ ...G, namespace, plural: 'agents', body: { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Agent', metadata: { name }, spec } }) as AgentObject;
  }

  public async createTask(namespace: string, name: string, spec: object, metadata: object = {}): Promise<TaskObject> {
    return await this.custom.createNamespacedCustomObject({ ...G, namespace, plural: 'tasks', body: { apiVersion: 'kubeopencode.io/v1alpha1', kind: 'Task', metadata: { name, ...metadata }, spec } }) as TaskObject;
  }

  public async getTask(namespace: string, name: string): Promise<TaskObject> {
    return await this.custom.getNamespacedCustomObject({ ...G, namespace, plural: 'tasks', name }) as TaskObject;
  }

  public async getAgent(namespace: string, name: string): Promise<AgentObject> {
    return await this.custom.getNamespacedCustomObject({ ...G, namespace, plural: 'agents', name }) as AgentObject;
  }

  public async listTasks(namespace: string): Promise<TaskObject[]> {
    return ((await this.custom.listNamespacedCustomObject({ ...G, namespace, plural: 'tasks' })) as { items: TaskObject[] }).items;
  }

  public async annotateTask(namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
    await this.custom.patchNamespacedCustomObject({ ...G, namespace, plural: 'tasks', name, body: { metadata: { annotations } } }, mergePatch);
  }

  public async deleteTask(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...G, namespace, plural: 'tasks', name });
  }

  /** Waits until the Task satisfies `check`; the message says what it last looked like. */
  public async waitForTask(
    namespace: string, name: string, check: (t: TaskObject) => boolean, what: string, timeoutMs = 30_000,
  ): Promise<TaskObject> {
    let last: TaskObject | undefined;
    try {
      return await waitFor(async () => {
        last = await this.getTask(namespace, name);
        return check(last) ? last : undefined;
      }, { timeoutMs, intervalMs: 100, description: `Task ${namespace}/${name} to be ${what}` });
    } catch (e) {
      throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.status)}`);
    }
  }

  public waitForPhase(namespace: string, name: string, phase: string, timeoutMs?: number): Promise<TaskObject> {
    return this.waitForTask(namespace, name, (t) => t.status?.phase === phase, phase, timeoutMs);
  }

  public async pod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** The Events recorded for a Task, oldest first. */
  public async taskEvents(namespace: string, name: string): Promise<{ reason: string; type: string; message: string }[]> {
    const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Task,involvedObject.name=${name}` });
    return list.items.map((e) => ({ reason: e.reason ?? '', type: e.type ?? '', message: e.message ?? '' }));
  }
}

export const condition = (t: TaskObject, type: string) => t.status?.conditions?.find((c) => c.type === type);
