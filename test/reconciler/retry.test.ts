import { planAdmission } from '../../src/reconciler/admission.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { backoffMs, currentAttempt, decideRetry, isRetryDue } from '../../src/reconciler/retry.js';
import { kubeTime } from '../../src/reconciler/runtime/time.js';
import { TaskTransitions } from '../../src/reconciler/status.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const agent = (retryPolicy?: object): AgentObject => ({ metadata: { name: 'a', namespace: 'ns' }, spec: { retryPolicy } as never });
interface TaskShape { retryPolicy?: object; attempts?: number; phase?: string; nextAttemptTime?: string; created?: string }
function task(name: string, extra: TaskShape = {}): TaskObject {
  return {
    metadata: { name, namespace: 'ns', uid: `${name}-uid`, creationTimestamp: extra.created ?? '2026-01-01T11:00:00Z' },
    spec: { description: 'x', retryPolicy: extra.retryPolicy } as never,
    status: {
      phase: (extra.phase ?? 'Running') as never,
      podName: `${name}-pod`,
      startTime: '2026-01-01T11:30:00Z',
      attempts: Array.from({ length: extra.attempts ?? 0 }, (_, i) => ({ attempt: i + 1, podName: `p${i + 1}`, reason: 'PodFailed' })),
      nextAttemptTime: extra.nextAttemptTime,
    },
  };
}
const failed = { reason: 'PodFailed', message: 'container agent failed (Error, exit code 3)', exitCode: 3 };

describe('retries (pure)', () => {
  test('backoff: initialSeconds, times factor per retry, at most maxSeconds', () => {
    const policy = { limit: 5, backoff: { initialSeconds: 10, factor: 3, maxSeconds: 100 } };
    expect([1, 2, 3, 4].map((n) => backoffMs(policy, n))).toEqual([10_000, 30_000, 90_000, 100_000]);
    expect(backoffMs({ limit: 1 }, 1)).toBe(10_000);
  });

  test.each([
    ['no policy', undefined, undefined, failed, false],
    ['limit 0', { limit: 0 }, undefined, failed, false],
    ['the Agent\'s policy', undefined, { limit: 1 }, failed, true],
    ['the Task\'s replaces the Agent\'s as a whole', { limit: 0 }, { limit: 3 }, failed, false],
    ['PodLost', { limit: 1 }, undefined, { reason: 'PodLost', message: 'gone' }, true],
    ['Timeout', { limit: 1 }, undefined, { reason: 'Timeout', message: 'too long' }, true],
    ['not in retryOn', { limit: 1, retryOn: ['PodLost'] }, undefined, failed, false],
    ['a stop is never retried', { limit: 1 }, undefined, { reason: 'UserStopped', message: 'stop' }, false],
    ['an input error is never retried', { limit: 1 }, undefined, { reason: 'ContextError', message: 'missing' }, false],
  ] as const)('%s', (_what, taskPolicy, agentPolicy, end, expected) => {
    expect(decideRetry(task('t', { retryPolicy: taskPolicy }), agent(agentPolicy), end, NOW).retry).toBe(expected);
  });

  test('the limit counts retries: with limit 2, attempts 1 and 2 are retried, attempt 3 is the last', () => {
    const policy = { limit: 2, backoff: { initialSeconds: 5 } };
    const first = decideRetry(task('t', { retryPolicy: policy, attempts: 0 }), agent(), failed, NOW);
    expect(first).toEqual({ retry: true, nextAttempt: 2, nextAttemptAt: new Date(NOW.getTime() + 5_000) });
    expect(decideRetry(task('t', { retryPolicy: policy, attempts: 1 }), agent(), failed, NOW)).toMatchObject({ retry: true, nextAttempt: 3 });
    expect(decideRetry(task('t', { retryPolicy: policy, attempts: 2 }), agent(), failed, NOW)).toEqual({ retry: false });
    expect(currentAttempt(task('t', { attempts: 2 }))).toBe(3);
  });

  test('retryScheduled: Running, no Pod, the attempt recorded, Retrying with the time; admitted clears it', () => {
    const t = task('t', { retryPolicy: { limit: 1 } });
    const record = { attempt: 1, podName: 't-pod', reason: 'PodFailed', message: failed.message, exitCode: 3 };
    const scheduled = new TaskTransitions(t, kubeTime(NOW)).retryScheduled([record], '2026-01-01T12:00:10Z', 'PodFailed', failed.message);
    expect(scheduled.status).toMatchObject({ phase: 'Running', podName: null, startTime: null, attempts: [record], nextAttemptTime: '2026-01-01T12:00:10Z' });
    expect(scheduled.status.conditions?.find((c) => c.type === 'Retrying')).toMatchObject({ status: 'True', reason: 'RetryScheduled' });
    expect(scheduled.event?.message).toContain('attempt 2 starts at 2026-01-01T12:00:10Z');
    const waiting: TaskObject = { ...t, status: { ...t.status, ...scheduled.status } as never };
    const admitted = new TaskTransitions(waiting, kubeTime(NOW)).admitted('t-2-pod', 'ns', 'ns/a');
    expect(admitted.status).toMatchObject({ phase: 'Running', podName: 't-2-pod', nextAttemptTime: null });
    expect(admitted.status.conditions?.find((c) => c.type === 'Retrying')).toMatchObject({ status: 'False', reason: 'RetryStarted' });
    // A stop meanwhile ends it and clears the wait.
    expect(new TaskTransitions(waiting, kubeTime(NOW)).stopped().status).toMatchObject({ phase: 'Completed', nextAttemptTime: null });
  });
});

describe('admission with retries (pure)', () => {
  const created = (s: number) => `2026-01-01T11:00:0${s}Z`;
  const running = (name: string, s: number) => task(name, { phase: 'Running', created: created(s) });
  const queued = (name: string, s: number) => ({ ...task(name, { phase: 'Queued', created: created(s) }), status: { phase: 'Queued' as never } });
  const retrying = (name: string, s: number, due: string) => task(name, { phase: 'Running', created: created(s), attempts: 1, nextAttemptTime: due });

  test('a retry in its backoff holds no slot and no place: newer Tasks are admitted meanwhile', () => {
    const plan = planAdmission([retrying('a', 0, '2026-01-01T12:00:30Z'), queued('b', 1)], 1, { nowMs: NOW.getTime() });
    expect(plan.running).toBe(0);
    expect(plan.admit.map((t) => t.metadata.name)).toEqual(['b']);
  });

  test('a due retry takes its original place in line, ahead of Tasks created after it', () => {
    const plan = planAdmission([running('b', 1), retrying('a', 0, '2026-01-01T11:59:00Z'), queued('c', 2)], 2, { nowMs: NOW.getTime() });
    expect(plan.admit.map((t) => t.metadata.name)).toEqual(['a']);
    expect(plan.queue.map((q) => [q.task.metadata.name, q.position])).toEqual([['c', 1]]);
    const full = planAdmission([running('b', 1), retrying('a', 0, '2026-01-01T11:59:00Z'), queued('c', 2)], 1, { nowMs: NOW.getTime() });
    expect(full.queue.map((q) => [q.task.metadata.name, q.position])).toEqual([['a', 1], ['c', 2]]);
  });

  test('isRetryDue compares with the time', () => {
    expect(isRetryDue(retrying('a', 0, '2026-01-01T12:00:00Z'), NOW.getTime())).toBe(true);
    expect(isRetryDue(retrying('a', 0, '2026-01-01T12:00:01Z'), NOW.getTime())).toBe(false);
  });
});
