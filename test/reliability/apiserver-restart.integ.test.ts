/**
 * Faults on the API server's side, on a control plane of this file's own (restarting the
 * shared one would break every other test file running meanwhile):
 *
 * - the kube-apiserver restarted twice in the middle of a run: the reconciler's connections
 *   drop, its watches resume, and every Task still ends as its Pod did;
 * - a real 410 Gone: the reconciler is frozen (SIGSTOP) while Tasks and Pods change, then the
 *   kube-apiserver restarts after etcd's revision moved on and was compacted. The new watch
 *   cache starts at that revision, so every watch the reconciler resumes is refused with
 *   410 Gone ("too old resource version"); it relists, and acts on every change it never saw
 *   as an event.
 */
import { jest } from '@jest/globals';
import { V1Pod } from '@kubernetes/client-node';
import { ClusterRecord, controllerArgs, scenarioOn, scrapeMetrics, metricValue, startController } from './support.js';
import { ControlPlane, freePorts } from '../../harness/control-plane/control-plane.js';
import { startWithCrds } from '../../harness/control-plane/session.js';
import { PodOutcome, SimulatedNode } from '../../harness/node/simulated-node.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { ControllerProcess } from '../reconciler/controller-process.js';
import { condition, Scenario } from '../reconciler/support.js';

jest.setTimeout(180_000);

const PREFIX = 'apirestart';
let plane: ControlPlane;
let s: Scenario;
let node: SimulatedNode;
const processes: ControllerProcess[] = [];
const outcomes = new Map<string, PodOutcome>();
const taskOfPod = (pod: V1Pod) => `${pod.metadata!.annotations!['kubeopencode.io/task-namespace']}/${pod.metadata!.annotations!['kubeopencode.io/task']}`;

beforeAll(async () => {
  plane = await startWithCrds();
  s = scenarioOn(plane.endpoint.kubeconfigPath, PREFIX);
  node = new SimulatedNode({ kc: s.kc, retryThroughOutages: true, outcome: (pod) => outcomes.get(taskOfPod(pod)) ?? { phase: 'Running' } });
  await node.start();
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await node?.stop();
  await plane?.stop();
  expect(node?.errors ?? []).toEqual([]);
});

async function controller(metricsPort?: number): Promise<ControllerProcess> {
  const p = await startController(controllerArgs(plane.endpoint.kubeconfigPath, [`${PREFIX}-*`], metricsPort));
  processes.push(p);
  return p;
}

/** Moves etcd's revision on and compacts everything before it (through etcd's JSON gateway). */
async function bumpAndCompactEtcd(): Promise<number> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const put = async () => {
    const response = await fetch(`${plane.etcdServer}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64('/kubeopencode-test/bump'), value: b64(String(Date.now())) }) });
    return Number(((await response.json()) as { header: { revision: string } }).header.revision);
  };
  // Two writes, compacted up to the second: a watcher may have seen everything up to the
  // revision before the first (the stopped process's socket still receives events, and the
  // API server ends its watches with a bookmark), and a watch from there starts at the first
  // write's revision, which must be gone.
  await put();
  const revision = await put();
  const compact = await fetch(`${plane.etcdServer}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision, physical: true }) });
  if (!compact.ok) throw new Error(`etcd compaction failed: ${compact.status} ${await compact.text()}`);
  return revision;
}

test('the kube-apiserver restarted twice during a 40-Task run: watches resume and every Task ends as its Pod did', async () => {
  const ns = await s.namespace();
  await s.createAgent(ns, 'limited', { maxConcurrentTasks: 3 });
  await s.createAgent(ns, 'open', {});
  const record = new ClusterRecord(s.kc, [ns]);
  const [metricsPort] = await freePorts(1);
  const p = await controller(metricsPort);
  const names = Array.from({ length: 40 }, (_, i) => `t-${String(i).padStart(2, '0')}`);
  const fails = (i: number) => i % 4 === 3;
  names.forEach((name, i) => outcomes.set(`${ns}/${name}`, fails(i)
    ? { phase: 'Failed', exitCode: 5, runMs: 400 + (i % 5) * 200 }
    : { phase: 'Succeeded', runMs: 400 + (i % 5) * 200, terminationMessage: formatTerminationMessage({ parameters: {}, truncated: [], missing: [] }) }));
  try {
    for (const [i, name] of names.entries()) await s.createTask(ns, name, { description: name, agentRef: { name: i % 2 ? 'open' : 'limited' } });
    const finished = () => [...record.phases.values()].filter((ph) => ph === 'Completed' || ph === 'Failed').length;

    await waitFor(() => record.admitted.length >= 8, { timeoutMs: 60_000, intervalMs: 20, description: '8 Tasks admitted' });
    const first = await plane.restartComponent('kube-apiserver');
    const restartedAt = { admitted: record.admitted.length, finished: finished() };
    // On a timeout: how far the Tasks got, as the test's watches and as the API server see them.
    const progress = async (goal: string) => {
      const byPhase = (phases: (string | undefined)[]) => JSON.stringify(phases.reduce<Record<string, number>>((n, ph) => ({ ...n, [ph ?? '-']: (n[ph ?? '-'] ?? 0) + 1 }), {}));
      const api = await s.listTasks(ns).then((ts) => byPhase(ts.map((t) => t.status?.phase)), (e: Error) => `unreadable: ${e.message}`);
      const errors = p.lines.filter((l) => l.level === 'error').slice(-5).map((l) => JSON.stringify(l));
      return `${goal}: ${finished()} finished as watched, phases as watched ${byPhase([...record.phases.values()])}, from the API ${api}; `
        + `simulated node errors ${JSON.stringify(node.errors.slice(-3))}; last controller errors:\n${errors.join('\n')}`;
    };
    const waitFinished = async (n: number, goal: string) => {
      try {
        await waitFor(() => finished() >= n, { timeoutMs: 90_000, intervalMs: 50, description: goal });
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${await progress(goal)}`);
      }
    };
    await waitFinished(25, '25 Tasks finished');
    const second = await plane.restartComponent('kube-apiserver');
    await waitFinished(40, 'all 40 Tasks finished');
    process.stderr.write(`[apiserver-restart] down ${first.downMs} ms with ${restartedAt.admitted} admitted, ${restartedAt.finished} finished; `
      + `down ${second.downMs} ms with 25+ finished; max Running ${JSON.stringify(Object.fromEntries(record.maxRunning))}\n`);

    const tasks = await s.listTasks(ns);
    const wrong = tasks.filter((t) => {
      const i = names.indexOf(t.metadata.name);
      return fails(i)
        ? t.status?.phase !== 'Failed' || condition(t, 'Ready')?.message !== 'container agent failed (Error, exit code 5)'
        : t.status?.phase !== 'Completed' || condition(t, 'Ready')?.reason !== 'Succeeded';
    }).map((t) => `${t.metadata.name}: ${t.status?.phase} ${JSON.stringify(condition(t, 'Ready'))}`);
    expect(wrong).toEqual([]);
    expect(record.duplicatePods()).toEqual({});
    expect(record.maxRunning.get(`${ns}/limited`)).toBeLessThanOrEqual(3);
    expect(record.maxLivePods.get(`${ns}/limited`)).toBeLessThanOrEqual(3);

    // The watches did break and resume (or relist), in the reconciler's own count.
    const metrics = await scrapeMetrics(metricsPort);
    const resumed = metricValue(metrics, 'kubeopencode_informer_restarts_total') + metricValue(metrics, 'kubeopencode_informer_relists_total');
    expect(resumed).toBeGreaterThanOrEqual(2 * 4);
    expect(p.lines.filter((l) => l.message === 'fatal error')).toEqual([]);
  } finally {
    await record.stop();
    await p.stop();
  }
});

test('a real 410 Gone: changes made while the reconciler was frozen, then an API server restart on a compacted etcd; it relists and misses nothing', async () => {
  const ns = await s.namespace();
  await s.createAgent(ns, 'q', { maxConcurrentTasks: 2 });
  await s.createAgent(ns, 'o', {});
  const [metricsPort] = await freePorts(1);
  const p = await controller(metricsPort);
  const started = (name: string) => s.waitForTask(ns, name, (t) => t.status?.phase === 'Running' && !!t.status.startTime, 'Running with a Pod');
  try {
    for (const name of ['q-1', 'q-2', 'q-3', 'q-4', 'q-5']) await s.createTask(ns, name, { description: name, agentRef: { name: 'q' } });
    for (const name of ['o-1', 'o-2', 'o-3']) await s.createTask(ns, name, { description: name, agentRef: { name: 'o' } });
    const [q1, , o1, o2] = await Promise.all(['q-1', 'q-2', 'o-1', 'o-2', 'o-3'].map(started));
    await s.waitForTask(ns, 'q-5', (t) => t.status?.queuePosition === 3, 'third in the queue');
    const before = metricValue(await scrapeMetrics(metricsPort), 'kubeopencode_informer_relists_total');

    // Frozen: it holds its connections, but reads and acts on nothing.
    process.kill(p.pid, 'SIGSTOP');
    const pod = async (name: string) => (await s.pod(ns, name))!;
    await node.finish(await pod(q1.status!.podName!), { phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: {}, truncated: [], missing: [] }) });
    await node.finish(await pod(o1.status!.podName!), { phase: 'Failed', exitCode: 7 });
    await s.core.deleteNamespacedPod({ namespace: ns, name: o2.status!.podName!, gracePeriodSeconds: 0 });
    await s.annotateTask(ns, 'q-4', { 'kubeopencode.io/stop': 'true' });
    await s.deleteTask(ns, 'q-5');
    await s.createTask(ns, 'q-6', { description: 'q-6', agentRef: { name: 'q' } });
    await s.createTask(ns, 'o-4', { description: 'o-4', agentRef: { name: 'o' } });
    let revision = 0;
    const { downMs } = await plane.restartComponent('kube-apiserver', { whileDown: async () => { revision = await bumpAndCompactEtcd(); } });
    process.kill(p.pid, 'SIGCONT');

    // Every change it missed is acted on.
    const q1Done = await s.waitForPhase(ns, 'q-1', 'Completed', 60_000);
    expect(condition(q1Done, 'Ready')?.reason).toBe('Succeeded');
    const o1Failed = await s.waitForPhase(ns, 'o-1', 'Failed');
    expect(condition(o1Failed, 'Ready')?.message).toBe('container agent failed (Error, exit code 7)');
    const o2Lost = await s.waitForPhase(ns, 'o-2', 'Failed');
    expect(condition(o2Lost, 'Ready')?.reason).toBe('PodLost');
    const q4Stopped = await s.waitForPhase(ns, 'q-4', 'Completed');
    expect(condition(q4Stopped, 'Stopped')?.reason).toBe('UserStopped');
    await started('q-3'); // the slot q-1 freed
    await started('o-4');
    // q-5 is gone and q-4 stopped: q-6 is next in line, behind nobody.
    const q6 = await s.waitForTask(ns, 'q-6', (t) => t.status?.phase === 'Queued' && t.status.queuePosition === 1, 'first in the queue');
    expect(condition(q6, 'Queued')?.reason).toBe('AgentAtCapacity');
    await waitFor(async () => {
      const a = await s.getAgent(ns, 'q');
      return a.status?.runningTasks === 2 && a.status.queuedTasks === 1;
    }, { timeoutMs: 20_000, description: 'Agent q to count 2 running (q-2, q-3) and 1 queued (q-6)' });
    expect((await s.getTask(ns, 'o-3')).status?.phase).toBe('Running');

    // Every informer got 410 Gone and relisted. A relist counts once its LIST completes, and a
    // restarted API server answers LISTs with 429 until its watch cache is ready: wait for it.
    const relistsNow = async () => {
      const metrics = await scrapeMetrics(metricsPort);
      return ['tasks', 'agents', 'pods'].map((informer) => metricValue(metrics, 'kubeopencode_informer_relists_total', { informer }));
    };
    let relists = await relistsNow();
    await waitFor(async () => (relists = await relistsNow()).every((n) => n >= 1), { timeoutMs: 30_000, description: 'every informer to relist' })
      .catch(() => undefined); // reported below, with the controller's lines
    process.stderr.write(`[apiserver-restart] 410: etcd at revision ${revision} (compacted) while the API server was down ${downMs} ms; `
      + `relists after: tasks ${relists[0]}, agents ${relists[1]}, pods ${relists[2]} (before: ${before} in all)\n`);
    if (!relists.every((n) => n >= 1)) {
      const informerLines = p.lines.filter((l) => /watch|list|410|Gone|informer/i.test(`${String(l.message)} ${JSON.stringify(l)}`));
      process.stderr.write(`[apiserver-restart] no relist; the controller's watch and list lines:\n  ${informerLines.map((l) => JSON.stringify(l)).join('\n  ')}\n`);
    }
    expect(relists.every((n) => n >= 1)).toBe(true);
    expect(p.lines.some((l) => /410 Gone/.test(String(l.message)))).toBe(true);
    expect(p.lines.filter((l) => l.message === 'fatal error')).toEqual([]);
  } finally {
    try {
      process.kill(p.pid, 'SIGCONT');
    } catch { /* already gone */ }
    await p.stop();
  }
});
