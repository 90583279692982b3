/**
 * maxConcurrentTasks on the real node: six Tasks from two namespaces share a cross-namespace
 * Agent (allowedNamespaces) limited to two. A watch on the Agent's namespace sees every
 * change of every Pod, so the most agent containers running at once and the order the Pods
 * were created in are what the runtime really did, not samples.
 */
import { jest } from '@jest/globals';
import { V1Pod, Watch } from '@kubernetes/client-node';
import { seedDoc } from './echo-flow-fixture.js';
import {
  agentManifest, apply, condition, containerStatus, getTask, INSTALL_TIMEOUT_MS, note, secondsSince, serviceAccountManifest, TASK_TIMEOUT_MS,
  taskManifest, waitForTask,
} from './support.js';
import { E2E_IMAGES } from '../../harness/e2e/images.js';
import { E2eOperator, installOperatorOnE2e } from '../../harness/e2e/operator.js';
import { waitForProgress } from '../../harness/wait.js';
import { Labels } from '../../src/api/constants.js';
import { TaskObject } from '../../src/reconciler/objects.js';

jest.setTimeout(TASK_TIMEOUT_MS * 2);

const LIMIT = 2;

/** Every Pod of a namespace as the watch reports it: how many agents ran at once, in which order Pods appeared. */
class PodRecorder {
  public readonly added: V1Pod[] = [];
  public maxRunningAgents = 0;
  public maxActivePods = 0;
  /** Set when the watch ended before stop(): then it may have missed changes, and the test fails. */
  public ended?: string;
  private readonly latest = new Map<string, V1Pod>();
  private abort?: AbortController;
  private stopping = false;

  async start(watch: Watch, namespace: string): Promise<void> {
    this.abort = await watch.watch(`/api/v1/namespaces/${namespace}/pods`, {}, (type: string, pod: V1Pod) => this.seen(type, pod), (err: unknown) => {
      if (!this.stopping) this.ended = `the Pod watch ended${err ? `: ${String(err)}` : ''}`;
    });
  }

  stop(): void {
    this.stopping = true;
    this.abort?.abort();
  }

  private seen(type: string, pod: V1Pod): void {
    const name = pod.metadata!.name!;
    if (type === 'ADDED' && !this.latest.has(name)) this.added.push(pod);
    if (type === 'DELETED') this.latest.delete(name);
    else this.latest.set(name, pod);
    const pods = [...this.latest.values()];
    const running = pods.filter((p) => containerStatus(p, 'agent')?.state?.running).length;
    const active = pods.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? '')).length;
    this.maxRunningAgents = Math.max(this.maxRunningAgents, running);
    this.maxActivePods = Math.max(this.maxActivePods, active);
  }
}

let op: E2eOperator;
let agentNamespace: string;
let teamNamespace: string;

beforeAll(async () => {
  op = await installOperatorOnE2e();
  [agentNamespace, teamNamespace] = [await op.createNamespace('platform'), await op.createNamespace('team')];
  const seed = seedDoc('08-concurrency-agent.yaml');
  await apply(op.kc, [
    serviceAccountManifest(agentNamespace, seed.spec.serviceAccountName),
    agentManifest({
      metadata: { name: seed.metadata!.name!, namespace: agentNamespace },
      spec: {
        ...seed.spec,
        agentImage: E2E_IMAGES.echo,
        executorImage: E2E_IMAGES.echo,
        maxConcurrentTasks: LIMIT,
        allowedNamespaces: [`${op.id}-team-*`],
        // Long enough that two agents surely overlap; the seed's command after it.
        command: ['sh', '-c', `sleep 3; ${seed.spec.command[2]}`],
      },
    }),
  ]);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await op?.uninstall();
});

/** Waits for the wall clock's next second: creationTimestamp has one-second resolution, and FIFO ties break by name. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));

test(`at most ${LIMIT} agents run at once, admitted in creation order from two namespaces; cross-namespace Pods in the Agent's`, async () => {
  const recorder = new PodRecorder();
  await recorder.start(new Watch(op.kc), agentNamespace);
  const tasks: TaskObject[] = [];
  const started = Date.now();
  try {
    for (let i = 1; i <= 6; i++) {
      const namespace = i % 2 ? teamNamespace : agentNamespace;
      const task: TaskObject = {
        metadata: { name: `queued-${i}`, namespace },
        spec: { agentRef: { name: 'rate-limited-agent', namespace: agentNamespace }, description: `Task ${i} of 6.` },
      };
      await apply(op.kc, [taskManifest(task)]);
      tasks.push(task);
      if (i < 6) await nextSecond();
    }
    const finished = async () => (await Promise.all(tasks.map((t) => getTask(op.kc, t.metadata.namespace, t.metadata.name))))
      .filter((t) => t.status?.phase === 'Completed').length;
    await waitForProgress(finished, tasks.length, { description: 'Tasks Completed', idleTimeoutMs: TASK_TIMEOUT_MS });
  } finally {
    recorder.stop();
  }
  note(`six Tasks, two at a time: ${secondsSince(started)}; most agents running at once: ${recorder.maxRunningAgents}`);
  expect(recorder.ended).toBeUndefined();

  expect(recorder.maxRunningAgents).toBe(LIMIT);
  expect(recorder.maxActivePods).toBeLessThanOrEqual(LIMIT);
  // Pods are created when a Task is admitted: their order is the admission order.
  const admitted = recorder.added.map((p) => `${p.metadata!.labels![Labels.taskNamespace]}/${p.metadata!.labels![Labels.task]}`);
  expect(admitted).toEqual(tasks.map((t) => `${t.metadata.namespace}/${t.metadata.name}`));
  for (const t of tasks) {
    const done = await waitForTask(op.kc, t.metadata.namespace, t.metadata.name, ['Completed']);
    expect(done.status?.podNamespace).toBe(agentNamespace);
    // The first two started at once; every later one waited in the queue for a free slot.
    const queued = condition(done, 'Queued');
    if (tasks.indexOf(t) < LIMIT) expect(queued).toBeUndefined();
    else expect(queued).toMatchObject({ status: 'False', reason: 'Admitted' });
  }
});
