/**
 * The Task lifecycle on the real API server: every phase transition and condition reason,
 * each in its own test. Pods are moved on by the simulated node (Pod status API).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { condition, Scenario } from './support.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';

jest.setTimeout(60_000);

const s = new Scenario('lifecycle');
let ns: string;

beforeAll(async () => {
  await s.start();
  ns = await s.namespace();
  await s.createAgent(ns, 'default', { command: ['sh', '-c', 'echo hi'] });
});
afterAll(() => s.stop());
beforeEach(() => {
  s.outcome = () => ({ phase: 'Running' });
});

test('a Task whose Agent is missing is Pending with AgentNotFound, then starts when the Agent appears', async () => {
  const own = await s.namespace();
  await s.createTask(own, 'waits', { description: 'x', agentRef: { name: 'later' } });
  const pending = await s.waitForTask(own, 'waits', (t) => condition(t, 'Ready')?.reason === 'AgentNotFound', 'blocked by AgentNotFound');
  expect(pending.status?.phase).toBe('Pending');
  expect(condition(pending, 'Ready')).toMatchObject({ status: 'False', message: `Agent ${own}/later not found; the Task starts once it exists` });
  await s.createAgent(own, 'later');
  const running = await s.waitForPhase(own, 'waits', 'Running');
  expect(condition(running, 'Ready')?.status).toBe('True');
});

test('Running: podName, podNamespace, startTime; the Pod and its ConfigMap exist, owned by the Task', async () => {
  const task = await s.createTask(ns, 'runs', { description: 'Fix the bug' });
  const running = await s.waitForTask(ns, 'runs', (t) => t.status?.phase === 'Running' && !!t.status.startTime, 'Running with a Pod');
  const podName = running.status!.podName!;
  expect(podName).toMatch(/^runs-[0-9a-f]{8}$/);
  expect(running.status!.podNamespace).toBe(ns);
  expect(condition(running, 'Ready')).toMatchObject({ status: 'True', reason: 'PodRunning' });
  expect(running.status!.observedGeneration).toBe(1);
  const pod = await s.pod(ns, podName);
  expect(pod?.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Task', name: 'runs', uid: task.metadata.uid, controller: true })]);
  const cm = await s.core.readNamespacedConfigMap({ namespace: ns, name: podName });
  expect(cm.data?.['task.md']).toBe('Fix the bug\n');
});

test('Pod Succeeded -> Completed with completionTime and outputs from the termination message', async () => {
  s.outcome = () => ({ phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: { 'pr-url': 'https://example.com/pr/1' }, truncated: [], missing: [] }) });
  await s.createTask(ns, 'succeeds', { description: 'x', outputs: { parameters: [{ name: 'pr-url', path: '.outputs/pr-url' }] } });
  const done = await s.waitForPhase(ns, 'succeeds', 'Completed');
  expect(done.status?.completionTime).toBeDefined();
  expect(done.status?.outputs?.parameters).toEqual({ 'pr-url': 'https://example.com/pr/1' });
  expect(condition(done, 'Ready')).toMatchObject({ status: 'False', reason: 'Succeeded' });
  expect(condition(done, 'OutputsTruncated')).toBeUndefined();
});

test('outputs cut at the 4096-byte cap are reported in a condition, never silently', async () => {
  s.outcome = () => ({ phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: { summary: 'abc' }, truncated: ['summary', 'log'], missing: [] }) });
  await s.createTask(ns, 'truncated', { description: 'x', outputs: { parameters: [{ name: 'summary', path: 's' }, { name: 'log', path: 'l' }] } });
  const done = await s.waitForPhase(ns, 'truncated', 'Completed');
  expect(condition(done, 'OutputsTruncated')).toMatchObject({ status: 'True', reason: 'OutputsTruncated', message: expect.stringContaining('summary, log') });
});

test('Pod Failed -> Failed with the container\'s reason, outputs still captured', async () => {
  s.outcome = () => ({ phase: 'Failed', exitCode: 3, reason: 'Error', terminationMessage: formatTerminationMessage({ parameters: { summary: 'partial' }, truncated: [], missing: [] }) });
  await s.createTask(ns, 'fails', { description: 'x', outputs: { parameters: [{ name: 'summary', path: 's' }] } });
  const failed = await s.waitForPhase(ns, 'fails', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'PodFailed', message: 'container agent failed (Error, exit code 3)' });
  expect(failed.status?.outputs?.parameters).toEqual({ summary: 'partial' });
  expect(failed.status?.completionTime).toBeDefined();
});

test('a Pod that disappears while Running -> Failed, reason PodLost', async () => {
  await s.createTask(ns, 'lost', { description: 'x' });
  const running = await s.waitForTask(ns, 'lost', (t) => !!t.status?.startTime, 'started');
  await s.core.deleteNamespacedPod({ namespace: ns, name: running.status!.podName!, gracePeriodSeconds: 0 });
  const failed = await s.waitForPhase(ns, 'lost', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'PodLost', message: `Pod ${ns}/${running.status!.podName} disappeared while the Task was running` });
});

test('timeoutSeconds -> activeDeadlineSeconds on the Pod, and Failed with reason Timeout', async () => {
  await s.createTask(ns, 'slow', { description: 'x', timeoutSeconds: 2 });
  const running = await s.waitForTask(ns, 'slow', (t) => !!t.status?.startTime, 'started');
  expect((await s.pod(ns, running.status!.podName!))?.spec?.activeDeadlineSeconds).toBe(2);
  const failed = await s.waitForPhase(ns, 'slow', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'Timeout', message: 'The Task ran longer than its timeoutSeconds (2)' });
  await s.waitForTask(ns, 'slow', () => true, 'read');
  expect(await s.pod(ns, running.status!.podName!)).toBeUndefined();
});

test('a Pod the kubelet ended for its deadline -> Failed, reason Timeout', async () => {
  s.outcome = () => ({ phase: 'Failed', podReason: 'DeadlineExceeded', exitCode: 137 });
  await s.createTask(ns, 'deadline', { description: 'x', timeoutSeconds: 600 });
  const failed = await s.waitForPhase(ns, 'deadline', 'Failed');
  expect(condition(failed, 'Ready')?.reason).toBe('Timeout');
});

test('stop annotation on a Running Task deletes the Pod: Completed, Stopped=True UserStopped', async () => {
  await s.createTask(ns, 'stop-running', { description: 'x' });
  const running = await s.waitForTask(ns, 'stop-running', (t) => !!t.status?.startTime, 'started');
  await s.annotateTask(ns, 'stop-running', { 'kubeopencode.io/stop': 'true' });
  const stopped = await s.waitForPhase(ns, 'stop-running', 'Completed');
  expect(condition(stopped, 'Stopped')).toMatchObject({ status: 'True', reason: 'UserStopped' });
  expect(await s.pod(ns, running.status!.podName!)).toBeUndefined();
});

test('stop annotation on a Pending Task: Completed, Stopped', async () => {
  await s.createTask(ns, 'stop-pending', { description: 'x', agentRef: { name: 'missing' } });
  await s.waitForTask(ns, 'stop-pending', (t) => condition(t, 'Ready')?.reason === 'AgentNotFound', 'blocked');
  await s.annotateTask(ns, 'stop-pending', { 'kubeopencode.io/stop': 'true' });
  const stopped = await s.waitForPhase(ns, 'stop-pending', 'Completed');
  expect(condition(stopped, 'Stopped')?.reason).toBe('UserStopped');
  expect(stopped.status?.podName).toBeUndefined();
});

test('capacity: excess Tasks are Queued (AgentAtCapacity, queuePosition) and admitted when a slot frees; a Queued Task can be stopped', async () => {
  const own = await s.namespace();
  await s.createAgent(own, 'default', { maxConcurrentTasks: 1 });
  await s.createTask(own, 'first', { description: 'x' });
  await s.waitForTask(own, 'first', (t) => !!t.status?.startTime, 'started');
  await s.createTask(own, 'second', { description: 'x' });
  await s.createTask(own, 'third', { description: 'x' });
  const second = await s.waitForTask(own, 'second', (t) => t.status?.queuePosition === 1, 'first in the queue');
  expect(second.status?.phase).toBe('Queued');
  expect(condition(second, 'Queued')).toMatchObject({ status: 'True', reason: 'AgentAtCapacity' });
  await s.waitForTask(own, 'third', (t) => t.status?.queuePosition === 2, 'second in the queue');
  await s.annotateTask(own, 'third', { 'kubeopencode.io/stop': 'true' });
  await s.waitForPhase(own, 'third', 'Completed');
  // The Agent's status is written at most once per status interval: wait for the one after the stop.
  const agent = await waitFor(async () => {
    const a = await s.getAgent(own, 'default');
    return a.status?.queuedTasks === 1 ? a : undefined;
  }, { timeoutMs: 10_000, description: 'Agent status to count the stopped Task out of the queue' });
  expect(agent.status).toMatchObject({ runningTasks: 1, queuedTasks: 1 });
  await s.annotateTask(own, 'first', { 'kubeopencode.io/stop': 'true' });
  const admitted = await s.waitForTask(own, 'second', (t) => !!t.status?.startTime, 'admitted and started');
  expect(condition(admitted, 'Queued')).toMatchObject({ status: 'False', reason: 'Admitted' });
  expect(admitted.status?.queuePosition).toBeUndefined();
});

test('a missing context ConfigMap keeps the Task Pending with ContextError until it appears', async () => {
  await s.createTask(ns, 'needs-cm', { description: 'x', contexts: [{ type: 'ConfigMap', configMap: { name: 'rules', key: 'md' } }] });
  const blocked = await s.waitForTask(ns, 'needs-cm', (t) => condition(t, 'Ready')?.reason === 'ContextError', 'blocked by ContextError');
  expect(blocked.status?.phase).toBe('Pending');
  expect(condition(blocked, 'Ready')?.message).toBe(`Task ${ns}/needs-cm spec.contexts[0]: ConfigMap rules not found`);
  await s.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'rules' }, data: { md: 'Be kind' } } });
  const running = await s.waitForTask(ns, 'needs-cm', (t) => !!t.status?.startTime, 'started');
  const cm = await s.core.readNamespacedConfigMap({ namespace: ns, name: running.status!.podName! });
  expect(cm.data?.['task.md']).toContain('Be kind');
});

test('conflicting mount paths fail the Task with ContextError', async () => {
  await s.createTask(ns, 'conflict', {
    description: 'x',
    contexts: [
      { type: 'Text', text: 'a', mountPath: 'same.md' }, { type: 'Text', text: 'b', mountPath: '/workspace/same.md' },
    ],
  });
  const failed = await s.waitForPhase(ns, 'conflict', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'ContextError', message: expect.stringContaining('both use the path /workspace/same.md') });
});

test('deleting a Task removes its Pod and ConfigMap (ownerReferences, garbage collector)', async () => {
  await s.createTask(ns, 'deleted', { description: 'x' });
  const running = await s.waitForTask(ns, 'deleted', (t) => !!t.status?.startTime, 'started');
  await s.deleteTask(ns, 'deleted');
  await waitFor(async () => !(await s.pod(ns, running.status!.podName!)), { timeoutMs: 30_000, description: 'the Pod to be garbage-collected' });
});

test('every transition is recorded as an Event on the Task', async () => {
  s.outcome = () => ({ phase: 'Succeeded', terminationMessage: '{"parameters":{},"truncated":[],"missing":[]}' });
  await s.createTask(ns, 'evented', { description: 'x' });
  await s.waitForPhase(ns, 'evented', 'Completed');
  const events = await waitFor(async () => {
    const list = await s.taskEvents(ns, 'evented');
    return list.some((e) => e.reason === 'Succeeded') ? list : undefined;
  }, { timeoutMs: 10_000, description: 'the Succeeded event' });
  // Its Agent has no limit: the new Task starts at once, so it goes straight to Running (no Accepted).
  const reasons = events.map((e) => e.reason);
  expect(reasons).toEqual(expect.arrayContaining(['PodCreated', 'Succeeded']));
  expect(reasons).not.toContain('Accepted');
});

test('a Pod the API server refuses as invalid -> Failed, reason PodCreationError, with the server\'s message', async () => {
  const own = await s.namespace();
  await s.createAgent(own, 'default', { podSpec: { scheduling: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } } } });
  await s.createTask(own, 'invalid-pod', { description: 'x' });
  const failed = await s.waitForPhase(own, 'invalid-pod', 'Failed');
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'PodCreationError', message: expect.stringContaining('nodeSelectorTerms') });
});

test('a Pod refused for now (its RuntimeClass does not exist yet) -> Pending with PodCreationError, then it starts', async () => {
  const own = await s.namespace();
  const runtimeClass = `${own}-sandbox`;
  await s.createAgent(own, 'default', { podSpec: { runtimeClassName: runtimeClass } });
  await s.createTask(own, 'waits-for-runtime', { description: 'x' });
  const blocked = await s.waitForTask(own, 'waits-for-runtime', (t) => condition(t, 'Ready')?.reason === 'PodCreationError', 'blocked by PodCreationError');
  // Pending from the first refusal on, not a Task without a phase.
  expect(blocked.status?.phase).toBe('Pending');
  expect(condition(blocked, 'Ready')?.message).toContain(runtimeClass);
  // Retries (with backoff: several within 1.5 s) that meet the same refusal write nothing.
  await sleep(1500);
  expect((await s.getTask(own, 'waits-for-runtime')).metadata.resourceVersion).toBe(blocked.metadata.resourceVersion);
  expect((await s.taskEvents(own, 'waits-for-runtime')).filter((e) => e.reason === 'PodCreationError')).toHaveLength(1);
  const { NodeV1Api } = await import('@kubernetes/client-node');
  const node = s.kc.makeApiClient(NodeV1Api);
  await node.createRuntimeClass({ body: { metadata: { name: runtimeClass }, handler: 'runsc' } });
  try {
    await s.waitForTask(own, 'waits-for-runtime', (t) => !!t.status?.startTime, 'started', 60_000);
  } finally {
    await node.deleteRuntimeClass({ name: runtimeClass });
  }
});

test('a termination message that is not the outputs format -> OutputsUnreadable, the Task still Completed', async () => {
  s.outcome = () => ({ phase: 'Succeeded', terminationMessage: 'panic: out of memory' });
  await s.createTask(ns, 'garbled', { description: 'x', outputs: { parameters: [{ name: 'o', path: 'o' }] } });
  const done = await s.waitForPhase(ns, 'garbled', 'Completed');
  expect(condition(done, 'OutputsTruncated')).toMatchObject({ status: 'True', reason: 'OutputsUnreadable', message: expect.stringContaining('not JSON') });
  expect(done.status?.outputs).toBeUndefined();
});
