import { TaskObject } from '../../src/reconciler/objects.js';
import { kubeTime } from '../../src/reconciler/runtime/time.js';
import { changes, setCondition, TaskTransitions } from '../../src/reconciler/status.js';

const base: TaskObject = { metadata: { name: 't', namespace: 'ns', generation: 3 }, spec: { description: 'x' } };

describe('conditions (pure)', () => {
  test('lastTransitionTime changes only when the status changes', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, '2026-01-01T00:00:00Z', 1);
    const sameStatus = setCondition(first, { type: 'Ready', status: 'False', reason: 'B', message: 'b' }, '2026-01-01T00:00:09Z', 2);
    expect(sameStatus).toEqual([{ type: 'Ready', status: 'False', reason: 'B', message: 'b', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2 }]);
    const flipped = setCondition(sameStatus, { type: 'Ready', status: 'True', reason: 'C', message: 'c' }, '2026-01-01T00:00:10Z');
    expect(flipped[0].lastTransitionTime).toBe('2026-01-01T00:00:10Z');
  });

  test('kubeTime is RFC 3339 to the second', () => {
    expect(kubeTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05Z');
  });
});

describe('Task transitions (pure)', () => {
  const now = '2026-01-01T00:00:00Z';

  test('accepted: Pending, Ready Unknown, observedGeneration', () => {
    const { status, event } = new TaskTransitions(base, now).accepted();
    expect(status).toMatchObject({ phase: 'Pending', observedGeneration: 3, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Accepted' }] });
    expect(event).toEqual({ type: 'Normal', reason: 'Accepted', message: 'Task accepted' });
  });

  test('queued, then admitted: queuePosition removed, Queued=False Admitted', () => {
    const queued = new TaskTransitions(base, now).queued(2, 3, 'ns/agent');
    expect(queued.status).toMatchObject({ phase: 'Queued', queuePosition: 2, conditions: [{ type: 'Queued', status: 'True', reason: 'AgentAtCapacity' }] });
    const task = { ...base, status: queued.status } as TaskObject;
    expect(new TaskTransitions(task, now).queued(1, 3, 'ns/agent').event).toBeUndefined();
    const admitted = new TaskTransitions(task, now).admitted('p', 'ns', 'ns/agent');
    expect(admitted.status).toMatchObject({ phase: 'Running', podName: 'p', podNamespace: 'ns', queuePosition: null });
    expect(admitted.status.conditions).toContainEqual(expect.objectContaining({ type: 'Queued', status: 'False', reason: 'Admitted' }));
  });

  test('stopped: Completed with Stopped=True UserStopped', () => {
    const { status } = new TaskTransitions(base, now).stopped();
    expect(status.phase).toBe('Completed');
    expect(status.completionTime).toBe(now);
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: 'Stopped', status: 'True', reason: 'UserStopped' }));
  });

  test('changes() ignores lastTransitionTime and sees removals', () => {
    const accepted = new TaskTransitions(base, now).accepted();
    const task = { ...base, status: accepted.status } as TaskObject;
    expect(changes(task, new TaskTransitions(task, '2026-02-02T00:00:00Z').accepted().status)).toBe(false);
    expect(changes(task, { queuePosition: null })).toBe(false);
    expect(changes({ ...task, status: { ...task.status, queuePosition: 2 } } as TaskObject, { queuePosition: null })).toBe(true);
  });
});
