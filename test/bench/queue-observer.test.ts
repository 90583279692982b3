/**
 * The queue scenario's judge (pure logic on hand-made watch events, no cluster): it must
 * catch a FIFO overtake and count Running Tasks right, or the bench's "met" means nothing.
 */
import { QueueObserver } from '../../bench/scenarios/queue.js';
import { TaskObject } from '../../src/reconciler/objects.js';

function task(name: string, createdSecond: number, phase?: string): TaskObject {
  return {
    apiVersion: 'kubeopencode.io/v1alpha1',
    kind: 'Task',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, createdSecond)) as never },
    spec: { description: 'x', agentRef: { name: 'a' } },
    ...(phase ? { status: { phase } } : {}),
  } as TaskObject;
}

function play(events: [string, TaskObject][]): QueueObserver {
  const observer = new QueueObserver();
  events.forEach(([type, obj], i) => observer.onTask({ type, at: i, obj }));
  return observer;
}

test('Tasks admitted in creation order: no violation, and the Running count follows the phases', () => {
  const o = play([
    ['ADDED', task('a', 1)], ['ADDED', task('b', 2)], ['ADDED', task('c', 3)],
    ['MODIFIED', task('a', 1, 'Running')], ['MODIFIED', task('b', 2, 'Running')],
    ['MODIFIED', task('a', 1, 'Completed')], ['MODIFIED', task('c', 3, 'Running')],
    ['MODIFIED', task('b', 2, 'Completed')], ['MODIFIED', task('c', 3, 'Completed')],
  ]);
  expect(o.overtakes).toEqual([]);
  expect(o.maxRunning).toBe(2);
  expect(o.completedAt).toEqual([5, 7, 8]);
});

test('a younger Task running before an older waiting one is a violation', () => {
  const o = play([
    ['ADDED', task('a', 1)], ['ADDED', task('b', 2)],
    ['MODIFIED', task('b', 2, 'Running')], ['MODIFIED', task('a', 1, 'Running')],
  ]);
  expect(o.overtakes).toEqual(['ns/b overtook ns/a']);
  expect(o.maxRunning).toBe(2);
});

test('a deleted Running Task frees its place in the count', () => {
  const o = play([
    ['ADDED', task('a', 1)], ['MODIFIED', task('a', 1, 'Running')], ['DELETED', task('a', 1, 'Running')],
    ['ADDED', task('b', 2)], ['MODIFIED', task('b', 2, 'Running')],
  ]);
  expect(o.maxRunning).toBe(1);
});
