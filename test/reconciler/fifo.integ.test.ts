/**
 * Strict FIFO admission across namespaces, race-free, and unharmed by a reconciler that
 * is killed (SIGKILL) in the middle and started again. The controller runs as a real
 * process here; a watch records every Task and Pod event as the API server orders them.
 *
 * The order is (creationTimestamp, namespace, name): creationTimestamp has one-second
 * resolution, so Tasks created within one second are taken by namespace, then name.
 * What is checked on every admission: no Task created before the admitted one and ahead of
 * it in that order is still waiting. (A Task created later cannot be waited for: the
 * reconciler sees Tasks in the order the API server stored them.)
 */
import { jest } from '@jest/globals';
import { V1Pod, Watch } from '@kubernetes/client-node';
import { ControllerProcess } from './controller-process.js';
import { Scenario } from './support.js';
import { kubeconfigPath } from '../../harness/kube.js';
import { waitFor, waitForProgress } from '../../harness/wait.js';
import { fifoCompare } from '../../src/reconciler/admission.js';
import { TaskObject } from '../../src/reconciler/objects.js';

// Slow on a busy machine is fine; a stall (no Task completing for 60 s) fails it long before this.
jest.setTimeout(600_000);

const LIMIT = 3;
const s = new Scenario('fifo');

interface Observed {
  /** Task keys in the order they became Running. */
  admitted: string[];
  /** Task keys in the order they were created. */
  created: TaskObject[];
  /** Admissions that overtook an older Task ahead of them in FIFO order. */
  overtakes: string[];
  /** Highest number of Tasks Running at once, over every event. */
  maxRunning: number;
  /** Pod UIDs seen per Pod name. */
  podUids: Map<string, Set<string>>;
}

/** Watches Tasks and Pods of the test's namespaces, checking the Running count on every event. */
async function observe(namespaces: string[]): Promise<{ observed: Observed; stop: () => void }> {
  const observed: Observed = { admitted: [], created: [], overtakes: [], maxRunning: 0, podUids: new Map() };
  const phase = new Map<string, string | undefined>();
  const watch = new Watch(s.kc);
  const onTask = (type: string, t: TaskObject) => {
    if (!namespaces.includes(t.metadata.namespace)) return;
    const key = `${t.metadata.namespace}/${t.metadata.name}`;
    const before = phase.get(key);
    const now = type === 'DELETED' ? undefined : t.status?.phase;
    phase.set(key, now);
    if (type === 'ADDED') observed.created.push(t);
    if (now === 'Running' && before !== 'Running' && !observed.admitted.includes(key)) {
      const createdBefore = observed.created.slice(0, observed.created.findIndex((c) => c.metadata.uid === t.metadata.uid));
      for (const older of createdBefore.filter((c) => fifoCompare(c, t) < 0)) {
        const olderKey = `${older.metadata.namespace}/${older.metadata.name}`;
        if (!observed.admitted.includes(olderKey)) observed.overtakes.push(`${key} overtook ${olderKey}`);
      }
      observed.admitted.push(key);
    }
    const running = [...phase.values()].filter((p) => p === 'Running').length;
    observed.maxRunning = Math.max(observed.maxRunning, running);
  };
  const onPod = (_type: string, p: V1Pod) => {
    if (!namespaces.includes(p.metadata!.namespace!)) return;
    const name = `${p.metadata!.namespace}/${p.metadata!.name}`;
    if (!observed.podUids.has(name)) observed.podUids.set(name, new Set());
    observed.podUids.get(name)!.add(p.metadata!.uid!);
  };
  const ignore = () => undefined;
  const taskWatch = await watch.watch('/apis/kubeopencode.io/v1alpha1/tasks', {}, onTask, ignore);
  const podWatch = await watch.watch('/api/v1/pods', { labelSelector: 'app.kubernetes.io/managed-by=kubeopencode' }, onPod, ignore);
  return { observed, stop: () => { taskWatch.abort(); podWatch.abort(); } };
}

afterAll(() => s.stop());

test(`30 Tasks from 3 namespaces on an Agent with maxConcurrentTasks ${LIMIT}: FIFO, never more than ${LIMIT} Running, a kill in the middle changes nothing`, async () => {
  const platform = await s.namespace();
  const teams = [await s.namespace(), await s.namespace(), await s.namespace()];
  const namespaces = [platform, ...teams];
  await s.createAgent(platform, 'shared', { maxConcurrentTasks: LIMIT });
  s.outcome = () => ({ phase: 'Succeeded', runMs: 300, terminationMessage: '{"parameters":{},"truncated":[],"missing":[]}' });
  await s.startNode();
  const { observed, stop } = await observe(namespaces);

  const controllerArgs = ['--kubeconfig', kubeconfigPath(), '--no-leader-elect', '--watch-namespaces', namespaces.join(','),
    '--metrics-bind-address', '0', '--health-probe-bind-address', '0'];
  let controller = ControllerProcess.start(controllerArgs);
  try {
    await controller.waitForLog('caches synced');
    const created: TaskObject[] = [];
    for (let i = 0; i < 30; i++) {
      const ns = teams[i % 3];
      created.push(await s.createTask(ns, `task-${String(i).padStart(2, '0')}`, { description: `task ${i}`, agentRef: { name: 'shared', namespace: platform } }));
    }
    // Kill it mid-run without a chance to clean up, then start a new one.
    await waitForProgress(() => observed.admitted.length, 10, { description: 'admissions' });
    controller.kill('SIGKILL');
    await controller.exited;
    controller = ControllerProcess.start(controllerArgs);
    await controller.waitForLog('caches synced');

    const listAll = async () => (await Promise.all(teams.map((ns) => s.listTasks(ns)))).flat();
    const completed = async () => (await listAll()).filter((t) => t.status?.phase === 'Completed').length;
    await waitForProgress(completed, 30, { intervalMs: 500, description: 'Tasks completed' });
    const finished = await listAll();

    expect(finished).toHaveLength(30);
    expect(observed.maxRunning).toBeLessThanOrEqual(LIMIT);
    expect(observed.maxRunning).toBe(LIMIT);
    expect(observed.admitted).toHaveLength(30);
    expect(observed.created.map((t) => t.metadata.name)).toEqual(created.map((t) => t.metadata.name));
    expect(observed.overtakes).toEqual([]);
    // One Pod per Task, each created once.
    expect(observed.podUids.size).toBe(30);
    expect([...observed.podUids.values()].every((uids) => uids.size === 1)).toBe(true);
    const agent = await waitFor(async () => {
      const a = await s.getAgent(platform, 'shared');
      return a.status?.runningTasks === 0 ? a : undefined;
    }, { timeoutMs: 10_000, description: 'Agent status to show no running Tasks' });
    expect(agent.status).toMatchObject({ runningTasks: 0, queuedTasks: 0 });
  } finally {
    stop();
    await controller.stop();
  }
});
