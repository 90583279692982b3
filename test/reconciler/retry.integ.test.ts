/**
 * Retries on the real control plane: each attempt is a Pod of its own (the simulated node
 * decides its fate by its name), the Task stays Running between attempts without holding a
 * slot, a due retry takes its original place in line, a stop cancels a pending retry, and a
 * controller restart during a backoff neither loses nor doubles an attempt.
 */
import { jest } from '@jest/globals';
import { V1Pod } from '@kubernetes/client-node';
import { condition, Scenario } from './support.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';

jest.setTimeout(120_000);

const s = new Scenario('retry');
let ns: string;

/** Which attempt a Pod runs: retries' Pods carry `-<attempt>-` before the hash. */
const attemptOf = (pod: V1Pod) => Number(/-(\d+)-[0-9a-f]{8}$/.exec(pod.metadata!.name!)?.[1] ?? 1);
/** Per Task, the outcome of each attempt (missing: the last one given). */
const plans = new Map<string, ('fail' | 'succeed' | 'run')[]>();

beforeAll(async () => {
  s.outcome = (pod) => {
    const task = pod.metadata!.annotations!['kubeopencode.io/task'];
    const plan = plans.get(task) ?? ['succeed'];
    const fate = plan[Math.min(attemptOf(pod), plan.length) - 1];
    if (fate === 'run') return { phase: 'Running' };
    if (fate === 'fail') return { phase: 'Failed', exitCode: 3, reason: 'Error' };
    const attempt = attemptOf(pod);
    return { phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: { attempt: String(attempt) }, truncated: [], missing: [] }) };
  };
  await s.start();
  ns = await s.namespace();
  await s.createAgent(ns, 'unlimited', { outputs: { parameters: [{ name: 'attempt', path: '.outputs/attempt' }] } });
  await s.createAgent(ns, 'limited', { maxConcurrentTasks: 1, retryPolicy: { limit: 1, backoff: { initialSeconds: 2 } } });
});
afterAll(() => s.stop());

const FAST = { limit: 2, backoff: { initialSeconds: 1, factor: 1 } };
const podsOf = async (task: string) => (await s.core.listNamespacedPod({ namespace: ns, labelSelector: `kubeopencode.io/task=${task}` })).items
  .map((p) => p.metadata!.name!).sort();

test('failed attempts are tried again with new Pods; outputs come from the last; every attempt is recorded', async () => {
  plans.set('flaky', ['fail', 'fail', 'succeed']);
  await s.createTask(ns, 'flaky', { description: 'x', agentRef: { name: 'unlimited' }, retryPolicy: FAST });
  const waiting = await s.waitForTask(ns, 'flaky', (t) => !!t.status?.nextAttemptTime, 'waiting to retry');
  expect(waiting.status?.phase).toBe('Running');
  expect(condition(waiting, 'Retrying')).toMatchObject({ status: 'True', reason: 'RetryScheduled' });
  const done = await s.waitForPhase(ns, 'flaky', 'Completed', 30_000);
  expect(done.status?.attempts?.map((a) => [a.attempt, a.reason, a.exitCode ?? null])).toEqual([[1, 'PodFailed', 3], [2, 'PodFailed', 3], [3, 'Succeeded', null]]);
  expect(done.status?.outputs?.parameters).toEqual({ attempt: '3' });
  expect(new Set(done.status!.attempts!.map((a) => a.podName)).size).toBe(3);
  expect(await podsOf('flaky')).toEqual([...done.status!.attempts!.map((a) => a.podName)].sort());
  expect(condition(done, 'Retrying')?.status).toBe('False');
  const events = (await s.taskEvents(ns, 'flaky')).map((e) => e.reason);
  expect(events.filter((r) => r === 'RetryScheduled')).toHaveLength(2);
});

test('the limit holds: past it the Task fails with the last attempt\'s reason; retryOn leaves other failures alone', async () => {
  plans.set('doomed', ['fail']);
  await s.createTask(ns, 'doomed', { description: 'x', agentRef: { name: 'unlimited' }, retryPolicy: { limit: 1, backoff: { initialSeconds: 1 } } });
  const failed = await s.waitForPhase(ns, 'doomed', 'Failed', 30_000);
  expect(failed.status?.attempts).toHaveLength(2);
  expect(condition(failed, 'Ready')).toMatchObject({ reason: 'PodFailed' });

  plans.set('not-on-failure', ['fail']);
  await s.createTask(ns, 'not-on-failure', { description: 'x', agentRef: { name: 'unlimited' }, retryPolicy: { limit: 3, retryOn: ['PodLost'] } });
  const once = await s.waitForPhase(ns, 'not-on-failure', 'Failed', 30_000);
  expect(once.status?.attempts).toHaveLength(1);
  expect(await podsOf('not-on-failure')).toHaveLength(1);
});

test('with maxConcurrentTasks, a waiting retry frees its slot and, once due, takes its original place ahead of newer Tasks', async () => {
  plans.set('first', ['fail', 'run']);
  plans.set('second', ['run']);
  plans.set('third', ['succeed']);
  await s.createTask(ns, 'first', { description: 'x', agentRef: { name: 'limited' } });
  await s.waitForTask(ns, 'first', (t) => !!t.status?.nextAttemptTime, 'waiting to retry');
  // first's slot is free while it waits: second (created after it) is admitted.
  await s.createTask(ns, 'second', { description: 'x', agentRef: { name: 'limited' } });
  await s.waitForTask(ns, 'second', (t) => !!t.status?.startTime, 'Running');
  await new Promise((r) => setTimeout(r, 1100)); // third is created a second later than first's creation, at least
  await s.createTask(ns, 'third', { description: 'x', agentRef: { name: 'limited' } });
  // first's backoff ends while second holds the slot: first waits in line ahead of third.
  const inLine = await s.waitForTask(ns, 'first', (t) => t.status?.queuePosition === 1, 'first in line');
  expect(inLine.status?.phase).toBe('Running');
  // Positions of Tasks already in line are refreshed in batches: wait for third's.
  await s.waitForTask(ns, 'third', (t) => t.status?.queuePosition === 2, 'second in line, behind first');
  // second ends: the slot goes to first's retry, not to third.
  const pod = await s.pod(ns, (await s.getTask(ns, 'second')).status!.podName!);
  await s.node!.finish(pod!, { phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: {}, truncated: [], missing: [] }) });
  const retried = await s.waitForTask(ns, 'first', (t) => !!t.status?.startTime, 'its second attempt running');
  expect(retried.status?.attempts).toHaveLength(1);
  const third = await s.getTask(ns, 'third');
  expect(third.status?.phase).toBe('Queued');
  const firstPod = await s.pod(ns, retried.status!.podName!);
  await s.node!.finish(firstPod!, { phase: 'Succeeded', terminationMessage: formatTerminationMessage({ parameters: {}, truncated: [], missing: [] }) });
  await s.waitForPhase(ns, 'first', 'Completed', 30_000);
  await s.waitForPhase(ns, 'third', 'Completed', 30_000);
});

test('a stop cancels a pending retry: Completed/UserStopped, no further Pod', async () => {
  plans.set('stopped', ['fail', 'succeed']);
  await s.createTask(ns, 'stopped', { description: 'x', agentRef: { name: 'unlimited' }, retryPolicy: { limit: 2, backoff: { initialSeconds: 3 } } });
  await s.waitForTask(ns, 'stopped', (t) => !!t.status?.nextAttemptTime, 'waiting to retry');
  await s.annotateTask(ns, 'stopped', { 'kubeopencode.io/stop': 'true' });
  const stopped = await s.waitForPhase(ns, 'stopped', 'Completed');
  expect(condition(stopped, 'Stopped')).toMatchObject({ status: 'True', reason: 'UserStopped' });
  expect(stopped.status?.nextAttemptTime).toBeUndefined();
  await new Promise((r) => setTimeout(r, 3500));
  expect(await podsOf('stopped')).toHaveLength(1);
});

test('a controller restart during a backoff neither loses nor doubles an attempt', async () => {
  plans.set('restarted', ['fail', 'succeed']);
  await s.createTask(ns, 'restarted', { description: 'x', agentRef: { name: 'unlimited' }, retryPolicy: { limit: 3, backoff: { initialSeconds: 3 } } });
  await s.waitForTask(ns, 'restarted', (t) => !!t.status?.nextAttemptTime, 'waiting to retry');
  await s.restartController();
  await s.restartController();
  const done = await s.waitForPhase(ns, 'restarted', 'Completed', 30_000);
  expect(done.status?.attempts?.map((a) => a.attempt)).toEqual([1, 2]);
  expect(await podsOf('restarted')).toHaveLength(2);
  await waitFor(async () => (await podsOf('restarted')).length === 2, { description: 'still two Pods', timeoutMs: 2000 });
  expect(done.status?.outputs?.parameters).toEqual({ attempt: '2' });
});
