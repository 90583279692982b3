/**
 * A controller that dies between creating a Task's Pod and recording it leaves a Pod the
 * Task's status does not know yet. The next controller adopts that Pod, and must follow it
 * at once even when it ended while no controller ran: its end is then already in the fresh
 * cache, so no watch event of the Pod will come to say so. Each test builds that state on
 * the real API server. The first two run one reconcile by hand on freshly listed caches (no
 * watches), so they cannot pass by a lucky event; the last one restarts a whole controller.
 */
import { jest } from '@jest/globals';
import { PatchStrategy, setHeaderOptions, V1Pod } from '@kubernetes/client-node';
import { condition, Scenario } from './support.js';
import { waitFor } from '../../harness/wait.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { renderTask } from '../../src/reconciler/render.js';
import { reconcileTask } from '../../src/reconciler/task.js';

jest.setTimeout(60_000);

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

const s = new Scenario('restart');
let ns: string;

beforeAll(async () => {
  await s.start();
  ns = await s.namespace();
  await s.createAgent(ns, 'limited', { maxConcurrentTasks: 2 });
  await s.createAgent(ns, 'unlimited');
});
afterAll(() => s.stop());

/** Runs a Task on a fresh controller until its Pod runs, then stops the controller: the state a crash leaves. */
async function runThenStopController(name: string, agent: string): Promise<string> {
  await s.restartController();
  await s.createTask(ns, name, { description: 'x', agentRef: { name: agent } });
  const running = await s.waitForTask(ns, name, (t) => !!t.status?.startTime, 'Running with a Pod');
  await s.controller!.stop();
  return running.status!.podName!;
}

/** As if the crash came before "Pod created" was written: admitted (Running, podName) but no startTime. */
async function forgetPodCreated(name: string): Promise<void> {
  await s.custom.patchNamespacedCustomObjectStatus({ ...G, plural: 'tasks', namespace: ns, name, body: { status: { startTime: null } } }, mergePatch);
}

/** As if the crash came before the Task's first status write: no status at all. */
async function forgetStatus(name: string): Promise<void> {
  await s.custom.patchNamespacedCustomObjectStatus({ ...G, plural: 'tasks', namespace: ns, name, body: [{ op: 'remove', path: '/status' }] }, jsonPatch);
  expect((await s.getTask(ns, name)).status).toBeUndefined();
}

async function endPod(podName: string): Promise<void> {
  await s.core.patchNamespacedPodStatus({ namespace: ns, name: podName, body: { status: { phase: 'Succeeded' } } }, mergePatch);
}

/** One reconcile of the Task by a new controller whose caches hold what the API server holds now. */
async function reconcileOnceOnFreshCaches(name: string): Promise<void> {
  const controller = s.newController();
  try {
    const list = async <T>(plural: string) => ((await s.custom.listNamespacedCustomObject({ ...G, plural, namespace: ns })) as { items: T[] }).items;
    (await list<TaskObject>('tasks')).forEach((t) => controller.caches.tasks.upsert(t));
    (await list<AgentObject>('agents')).forEach((a) => controller.caches.agents.upsert(a));
    (await s.core.listNamespacedPod({ namespace: ns })).items.forEach((p: V1Pod) => controller.caches.pods.upsert(p));
    await reconcileTask(controller.context, `${ns}/${name}`);
  } finally {
    await controller.stop();
  }
}

/** Where the crash came, per Agent kind: what the Task's status still lacks afterwards. */
const crashes = [
  { agent: 'limited', task: 'admitted', when: 'between creating the admitted Task\'s Pod and recording it', forget: forgetPodCreated },
  { agent: 'unlimited', task: 'fresh', when: 'between creating a new Task\'s Pod and its first status', forget: forgetStatus },
];

test.each(crashes)('$agent Agent: after a crash $when, one reconcile completes the Task whose Pod ended meanwhile', async ({ agent, task: name, forget }) => {
  const podName = await runThenStopController(name, agent);
  await forget(name);
  await endPod(podName);

  await reconcileOnceOnFreshCaches(name);
  const task = await s.getTask(ns, name);
  expect(task.status).toMatchObject({ phase: 'Completed', podName });
  expect(condition(task, 'Ready')).toMatchObject({ status: 'False', reason: 'Succeeded' });
});

test('a restarted controller completes such a Task and frees its Agent slot', async () => {
  const podName = await runThenStopController('restarted', 'limited');
  await forgetPodCreated('restarted');
  await endPod(podName);

  await s.restartController();
  const done = await s.waitForPhase(ns, 'restarted', 'Completed');
  expect(done.status?.podName).toBe(podName);
  await waitFor(async () => (await s.getAgent(ns, 'limited')).status?.runningTasks === 0 || undefined,
    { timeoutMs: 30_000, description: 'Agent limited to count no running Task' });
});

test('a limited Agent\'s admission that created a Pod but died before recording Running: the Pod keeps the slot and is adopted, not made again', async () => {
  await s.controller?.stop();
  const agent = await s.createAgent(ns, 'one-slot', { maxConcurrentTasks: 1 });
  const older = await s.createTask(ns, 'fifo-first', { description: 'x', agentRef: { name: 'one-slot' } });
  const admitted = await s.createTask(ns, 'pod-made', { description: 'x', agentRef: { name: 'one-slot' } });
  for (const t of [older, admitted]) {
    await s.custom.patchNamespacedCustomObjectStatus({ ...G, plural: 'tasks', namespace: ns, name: t.metadata.name, body: { status: { phase: 'Queued' } } }, mergePatch);
  }
  // What the admission sends before its Running write, for the Task second in FIFO order (same second, name after).
  const { pod } = renderTask({ task: admitted, agent });
  const made = await s.core.createNamespacedPod({ namespace: ns, body: pod as V1Pod });

  await s.restartController();
  const running = await s.waitForTask(ns, 'pod-made', (t) => !!t.status?.startTime, 'the Task with a Pod adopted as Running');
  expect(running.status).toMatchObject({ phase: 'Running', podName: made.metadata!.name });
  expect((await s.getTask(ns, 'fifo-first')).status?.phase).toBe('Queued');
  const pods = (await s.core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.metadata?.annotations?.['kubeopencode.io/task'] === 'pod-made');
  expect(pods.map((p) => p.metadata!.uid)).toEqual([made.metadata!.uid]);

  await endPod(made.metadata!.name!);
  await s.waitForPhase(ns, 'pod-made', 'Completed');
  const next = await s.waitForTask(ns, 'fifo-first', (t) => !!t.status?.startTime, 'the older Task admitted once the slot is free');
  expect(next.status?.phase).toBe('Running');
});

test('a Queued Task stopped while its admission\'s Pod exists (Running not recorded): the Pod is deleted with the stop', async () => {
  await s.controller?.stop();
  const agent = await s.createAgent(ns, 'one-more-slot', { maxConcurrentTasks: 1 });
  const task = await s.createTask(ns, 'stopped-in-between', { description: 'x', agentRef: { name: 'one-more-slot' } }, { annotations: { 'kubeopencode.io/stop': 'true' } });
  await s.custom.patchNamespacedCustomObjectStatus({ ...G, plural: 'tasks', namespace: ns, name: task.metadata.name, body: { status: { phase: 'Queued' } } }, mergePatch);
  const { pod } = renderTask({ task, agent });
  const made = await s.core.createNamespacedPod({ namespace: ns, body: pod as V1Pod });

  await s.restartController();
  const stopped = await s.waitForPhase(ns, 'stopped-in-between', 'Completed');
  expect(condition(stopped, 'Stopped')?.reason).toBe('UserStopped');
  await waitFor(async () => {
    const left = await s.core.readNamespacedPod({ namespace: ns, name: made.metadata!.name! }).catch(() => undefined);
    return !left || left.metadata?.deletionTimestamp ? true : undefined;
  }, { timeoutMs: 10_000, description: 'the Pod made for the stopped Task to be deleted' });
});
