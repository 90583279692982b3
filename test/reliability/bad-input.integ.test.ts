/**
 * Bad input that only the reconciler can see (the API server accepted it: the schema and the
 * CEL rules cannot know whether a ConfigMap or Secret exists, or how big the contexts add up):
 * each one ends in a condition with a reason and a message a person understands, is retried
 * only when retrying can help, and never turns into a hot loop. Also Agents that change or
 * disappear under running and waiting Tasks. Afterwards the controller still works.
 *
 * "No hot loop" is measured, not assumed: every reconcile of every key is counted (the work
 * queue's done()), and the reconcile error counter of the controller's metrics is read.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { PatchStrategy, setHeaderOptions, V1Pod } from '@kubernetes/client-node';
import { metricValue } from './support.js';
import { PodOutcome } from '../../harness/node/simulated-node.js';
import { RecordingLogger } from '../../harness/operator/in-process-operator.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { TaskObject } from '../../src/reconciler/objects.js';
import { createLogger } from '../../src/reconciler/runtime/logger.js';
import { Metrics } from '../../src/reconciler/runtime/metrics.js';
import { kubeTime } from '../../src/reconciler/runtime/time.js';
import { condition, Scenario } from '../reconciler/support.js';

jest.setTimeout(60_000);

const CONTEXT_RETRY_MS = 1000;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const s = new Scenario('badinput');
const metrics = new Metrics({ prefix: 'kubeopencode', defaultMetrics: false });
const reconciles = new Map<string, number>();
/** Errors and warnings of the controller, to say which reconcile failed. */
const logger = new RecordingLogger(process.env.KUBEOPENCODE_TEST_LOGS ? createLogger({ format: 'text', level: 'debug' }) : undefined);
const outcomes = new Map<string, PodOutcome>();
const SUCCEED: PodOutcome = { phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: {}, truncated: [], missing: [] }) };
let ns: string;

beforeAll(async () => {
  await s.start({ metrics, contextRetryMs: CONTEXT_RETRY_MS, logger });
  const queue = s.controller!.queue;
  const done = queue.done.bind(queue);
  queue.done = (key: string) => {
    reconciles.set(key, (reconciles.get(key) ?? 0) + 1);
    done(key);
  };
  s.outcome = (pod: V1Pod) => outcomes.get(pod.metadata!.annotations!['kubeopencode.io/task']) ?? { phase: 'Running' };
  ns = await s.namespace();
  await s.createAgent(ns, 'default', {});
});
afterAll(() => s.stop());

/** How often `key` is reconciled during `ms` from now (the state must be settled first). */
async function reconcilesOver(key: string, ms: number): Promise<number> {
  const before = reconciles.get(key) ?? 0;
  await sleep(ms);
  return (reconciles.get(key) ?? 0) - before;
}

const reconcileErrors = async () => metricValue(await metrics.expose(), 'kubeopencode_reconcile_errors_total');
const events = async (name: string, reason: string) => (await s.taskEvents(ns, name)).filter((e) => e.reason === reason);
const started = (name: string, namespace = ns) => s.waitForTask(namespace, name, (t) => t.status?.phase === 'Running' && !!t.status.startTime, 'Running with a Pod');

/** What the kubelet reports once a container that could not start does start: the Pod runs. */
async function kubeletStarts(pod: V1Pod): Promise<void> {
  const t = kubeTime();
  const containerStatuses = pod.spec!.containers.map((c) => ({ name: c.name, image: c.image!, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: t as never } } }));
  await s.core.patchNamespacedPodStatus({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, body: { status: { phase: 'Running', containerStatuses } } },
    mergePatch);
}

test('a missing ConfigMap: Pending, Ready=False ContextError naming it, retried every contextRetryMs (not faster), one Event; starts once it exists', async () => {
  const errorsBefore = await reconcileErrors();
  await s.createTask(ns, 'needs-cm', { description: 'x', contexts: [{ type: 'ConfigMap', configMap: { name: 'team-rules' } }] });
  const blocked = await s.waitForTask(ns, 'needs-cm', (t) => condition(t, 'Ready')?.reason === 'ContextError', 'blocked by ContextError');
  expect(blocked.status?.phase).toBe('Pending');
  expect(condition(blocked, 'Ready')).toMatchObject({ status: 'False', message: `Task ${ns}/needs-cm spec.contexts[0]: ConfigMap team-rules not found` });

  const count = await reconcilesOver(`task:${ns}/needs-cm`, 5000);
  expect(count).toBeGreaterThanOrEqual(3); // it does look again...
  expect(count).toBeLessThanOrEqual(5000 / CONTEXT_RETRY_MS + 2); // ...but not more often than asked
  expect(await events('needs-cm', 'ContextError')).toHaveLength(1); // the same message is not repeated
  expect(await reconcileErrors()).toBe(errorsBefore); // waiting is not an error
  expect(await s.pod(ns, blocked.status?.podName ?? 'none')).toBeUndefined();

  await s.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'team-rules' }, data: { 'rules.md': 'be kind' } } });
  const running = await started('needs-cm');
  expect(condition(running, 'Ready')).toMatchObject({ status: 'True', reason: 'PodRunning' });
});

test('a missing Secret: the Pod cannot start (the kubelet\'s CreateContainerConfigError), the Task says so, and recovers when the Secret appears', async () => {
  await s.createAgent(ns, 'with-secret', { credentials: [{ name: 'token', secretRef: { name: 'absent-secret', key: 'token' }, env: 'API_TOKEN' }] });
  outcomes.set('needs-secret', { phase: 'Pending', waiting: { reason: 'CreateContainerConfigError', message: 'secret "absent-secret" not found' } });
  await s.createTask(ns, 'needs-secret', { description: 'x', agentRef: { name: 'with-secret' } });
  const stuck = await s.waitForTask(ns, 'needs-secret', (t) => condition(t, 'Ready')?.reason === 'CreateContainerConfigError', 'showing CreateContainerConfigError');
  expect(stuck.status?.phase).toBe('Running');
  expect(condition(stuck, 'Ready')).toMatchObject({ status: 'False', message: 'container agent: secret "absent-secret" not found' });
  const event = await waitFor(async () => (await events('needs-secret', 'CreateContainerConfigError'))[0], { timeoutMs: 10_000, description: 'the Warning Event' });
  expect(event).toMatchObject({ type: 'Warning', message: 'container agent: secret "absent-secret" not found' });
  expect(await reconcilesOver(`task:${ns}/needs-secret`, 3000)).toBeLessThanOrEqual(2);

  // The platform team adds the Secret; the kubelet starts the container: the Task shows it runs.
  await s.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'absent-secret' }, stringData: { token: 't0ken' } } });
  await kubeletStarts((await s.pod(ns, stuck.status!.podName!))!);
  const running = await s.waitForTask(ns, 'needs-secret', (t) => condition(t, 'Ready')?.status === 'True', 'Ready again', 10_000);
  expect(condition(running, 'Ready')).toMatchObject({ reason: 'PodRunning' });
});

test('a missing Secret and timeoutSeconds: the stuck Task does not wait forever, it fails with Timeout', async () => {
  outcomes.set('stuck-timeout', { phase: 'Pending', waiting: { reason: 'CreateContainerConfigError', message: 'secret "never-created" not found' } });
  await s.createAgent(ns, 'never-secret', { credentials: [{ name: 'token', secretRef: { name: 'never-created' } }] });
  await s.createTask(ns, 'stuck-timeout', { description: 'x', agentRef: { name: 'never-secret' }, timeoutSeconds: 3 });
  const failed = await s.waitForPhase(ns, 'stuck-timeout', 'Failed', 20_000);
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'Timeout', message: 'The Task ran longer than its timeoutSeconds (3)' });
  expect(await s.pod(ns, failed.status!.podName!)).toBeUndefined();
});

test('contexts too large for a ConfigMap: Failed at once with ContextError saying how large, not retried, nothing created', async () => {
  const big = 'x'.repeat(600 * 1024);
  for (const name of ['big-a', 'big-b']) await s.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { 'doc.md': big } } });
  await s.createTask(ns, 'too-big', { description: 'x', contexts: [{ type: 'ConfigMap', configMap: { name: 'big-a' } }, { type: 'ConfigMap', configMap: { name: 'big-b' } }] });
  const failed = await s.waitForPhase(ns, 'too-big', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({
    status: 'False',
    reason: 'ContextError',
    message: expect.stringMatching(/^the contexts add up to \d+ bytes, more than the 1024000 bytes a ConfigMap can hold; mount large content from Git or a URL instead$/),
  });
  expect(failed.status?.podName).toBeUndefined();
  // Its own status write comes back as a watch event (one more reconcile); after that, nothing.
  await reconcilesOver(`task:${ns}/too-big`, 1000);
  expect(await reconcilesOver(`task:${ns}/too-big`, 3000)).toBe(0);
  expect((await s.core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.metadata?.name?.startsWith('too-big'))).toEqual([]);
  expect((await s.core.listNamespacedConfigMap({ namespace: ns })).items.filter((c) => c.metadata?.name?.startsWith('too-big'))).toEqual([]);
});

test('an Agent edited while its Tasks run: a lower limit stops nothing and admits nobody; a higher one admits at once; a new image is used by new Pods only', async () => {
  const own = await s.namespace();
  await s.createAgent(own, 'default', { maxConcurrentTasks: 2, executorImage: 'registry.example/devbox:v1' });
  for (const name of ['e1', 'e2', 'e3', 'e4', 'e5']) await s.createTask(own, name, { description: name });
  const [e1, e2] = await Promise.all([started('e1', own), started('e2', own)]);
  await s.waitForTask(own, 'e5', (t) => t.status?.queuePosition === 3, 'third in the queue');
  const image = async (t: TaskObject) => (await s.pod(own, t.status!.podName!))!.spec!.containers.find((c) => c.name === 'agent')!.image;
  const e2Pod = await s.pod(own, e2.status!.podName!);

  await s.custom.patchNamespacedCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', namespace: own, plural: 'agents', name: 'default', body: { spec: { maxConcurrentTasks: 1 } } },
    mergePatch);
  // A slot frees (e1 ends): still one Running (e2) at a limit of 1, so nobody is admitted.
  await s.node!.finish((await s.pod(own, e1.status!.podName!))!, { ...SUCCEED, phase: 'Succeeded' });
  await s.waitForPhase(own, 'e1', 'Completed');
  await waitFor(async () => {
    const a = await s.getAgent(own, 'default');
    return a.status?.observedGeneration === 2 && a.status.runningTasks === 1 && a.status.queuedTasks === 3;
  }, { timeoutMs: 10_000, description: 'the Agent to count 1 running and 3 queued at its new limit' });
  expect((await s.getTask(own, 'e2')).status?.phase).toBe('Running');
  expect((await s.pod(own, e2.status!.podName!))?.metadata?.uid).toBe(e2Pod?.metadata?.uid); // not restarted
  expect((await s.getTask(own, 'e3')).status?.phase).toBe('Queued');

  await s.custom.patchNamespacedCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', namespace: own, plural: 'agents', name: 'default', body: { spec: { maxConcurrentTasks: 3, executorImage: 'registry.example/devbox:v2' } } },
    mergePatch);
  const [e3, e4] = await Promise.all([started('e3', own), started('e4', own)]);
  expect(await image(e3)).toBe('registry.example/devbox:v2');
  expect(await image(e4)).toBe('registry.example/devbox:v2');
  expect(await image(e2)).toBe('registry.example/devbox:v1');
  expect((await s.pod(own, e2.status!.podName!))?.metadata?.uid).toBe(e2Pod?.metadata?.uid);
  const e5 = await s.waitForTask(own, 'e5', (t) => t.status?.queuePosition === 1, 'first in the queue');
  expect(condition(e5, 'Queued')?.message).toContain('limit of 3 Tasks');
});

test('an Agent deleted while Tasks wait: they go back to Pending with AgentNotFound (no queue position); the running one finishes; they resume when it is back', async () => {
  const own = await s.namespace();
  await s.createAgent(own, 'doomed', { maxConcurrentTasks: 1 });
  for (const name of ['d1', 'd2', 'd3']) await s.createTask(own, name, { description: name, agentRef: { name: 'doomed' } });
  const d1 = await started('d1', own);
  await s.waitForTask(own, 'd3', (t) => t.status?.queuePosition === 2, 'second in the queue');

  await s.custom.deleteNamespacedCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', namespace: own, plural: 'agents', name: 'doomed' });
  for (const name of ['d2', 'd3']) {
    const waiting = await s.waitForTask(own, name, (t) => condition(t, 'Ready')?.reason === 'AgentNotFound', 'blocked by AgentNotFound');
    expect(waiting.status?.phase).toBe('Pending');
    expect(condition(waiting, 'Ready')?.message).toBe(`Agent ${own}/doomed not found; the Task starts once it exists`);
    // It is not in any queue while its Agent is gone.
    expect({ queuePosition: waiting.status?.queuePosition, queued: condition(waiting, 'Queued')?.status }).toEqual({ queuePosition: undefined, queued: 'False' });
  }
  // The running Task keeps its Pod and ends as it ends.
  await s.node!.finish((await s.pod(own, d1.status!.podName!))!, { ...SUCCEED, phase: 'Succeeded' });
  expect(condition(await s.waitForPhase(own, 'd1', 'Completed'), 'Ready')?.reason).toBe('Succeeded');

  await s.createAgent(own, 'doomed', { maxConcurrentTasks: 1 });
  await started('d2', own);
  const d3 = await s.waitForTask(own, 'd3', (t) => t.status?.phase === 'Queued' && t.status.queuePosition === 1, 'first in the queue again');
  expect(condition(d3, 'Queued')).toMatchObject({ status: 'True', reason: 'AgentAtCapacity' });
});

test('afterwards the controller still works: a healthy Task completes, and no reconcile ever failed', async () => {
  outcomes.set('healthy', SUCCEED);
  await s.createTask(ns, 'healthy', { description: 'x' });
  expect(condition(await s.waitForPhase(ns, 'healthy', 'Completed'), 'Ready')?.reason).toBe('Succeeded');
  expect({ errors: await reconcileErrors(), logged: logger.problems.filter((p) => p.level === 'error') }).toEqual({ errors: 0, logged: [] });
  const busiest = [...reconciles].sort((a, b) => b[1] - a[1]).slice(0, 5);
  process.stderr.write(`[bad-input] most reconciled keys over the whole file: ${JSON.stringify(busiest)}\n`);
});
