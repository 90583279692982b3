import { fifoCompare, isWaiting, planAdmission } from '../../src/reconciler/admission.js';
import { positionOutdated } from '../../src/reconciler/agent.js';
import { TaskObject } from '../../src/reconciler/objects.js';

const task = (name: string, namespace: string, created: string, phase?: string, extra: Partial<TaskObject['metadata']> = {}, ready?: 'True' | 'False' | 'Unknown'): TaskObject => ({
  metadata: { name, namespace, creationTimestamp: created, ...extra },
  spec: { description: 'x' },
  status: phase ? { phase: phase as never, conditions: ready ? [{ type: 'Ready', status: ready, reason: 'R', message: '', lastTransitionTime: created }] : [] } : undefined,
});

/** A Pending Task blocked because its Agent was not found. */
const blockedByMissingAgent = (name: string, created: string): TaskObject => ({
  metadata: { name, namespace: 'a', creationTimestamp: created },
  spec: { description: 'x' },
  status: { phase: 'Pending' as never, conditions: [{ type: 'Ready', status: 'False', reason: 'AgentNotFound', message: '', lastTransitionTime: created }] },
});

describe('FIFO order (pure)', () => {
  test('older first; within a second, by namespace, then name', () => {
    const list = [
      task('b', 'ns1', '2026-01-01T00:00:01Z'),
      task('z', 'ns0', '2026-01-01T00:00:02Z'),
      task('a', 'ns1', '2026-01-01T00:00:01Z'),
      task('c', 'ns0', '2026-01-01T00:00:01Z'),
    ];
    expect([...list].sort(fifoCompare).map((t) => `${t.metadata.namespace}/${t.metadata.name}`)).toEqual(['ns0/c', 'ns1/a', 'ns1/b', 'ns0/z']);
  });
});

describe('isWaiting (pure)', () => {
  test.each([
    ['Pending', undefined, {}, true],
    ['Queued', 'Unknown', {}, true],
    ['Pending', 'False', {}, false],
    ['Running', undefined, {}, false],
    ['Completed', undefined, {}, false],
    ['Pending', undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' }, false],
    ['Queued', undefined, { annotations: { 'kubeopencode.io/stop': 'true' } }, false],
  ] as const)('%s with Ready=%s and %j -> %s', (phase, ready, meta, expected) => {
    expect(isWaiting(task('t', 'ns', '2026-01-01T00:00:00Z', phase, meta as never, ready))).toBe(expected);
  });
});

interface AdmissionCase {
  what: string;
  tasks: TaskObject[];
  limit: number | undefined;
  running: number;
  admit: string[];
  queue: [string, number][];
  /** When the Agent was created. @default long ago */
  agentCreated?: string;
}

describe('planAdmission (pure, table-driven)', () => {
  const t0 = '2026-01-01T00:00:00Z';
  const t1 = '2026-01-01T00:00:01Z';
  test.each([
    {
      what: 'fills free slots in FIFO order, queues the rest with positions',
      tasks: [task('r1', 'a', t0, 'Running'), task('w2', 'a', t1, 'Pending'), task('w1', 'a', t0, 'Queued'), task('w3', 'b', t1, 'Pending')],
      limit: 2,
      running: 1,
      admit: ['w1'],
      queue: [['w2', 1], ['w3', 2]],
    },
    {
      what: 'admits nothing when full',
      tasks: [task('r1', 'a', t0, 'Running'), task('r2', 'a', t0, 'Running'), task('w1', 'a', t1, 'Pending')],
      limit: 2,
      running: 2,
      admit: [],
      queue: [['w1', 1]],
    },
    {
      what: 'never admits more than the limit, even above it already (limit lowered)',
      tasks: [task('r1', 'a', t0, 'Running'), task('r2', 'a', t0, 'Running'), task('r3', 'a', t0, 'Running'), task('w1', 'a', t1, 'Pending')],
      limit: 1,
      running: 3,
      admit: [],
      queue: [['w1', 1]],
    },
    {
      what: 'without a limit admits every waiting Task',
      tasks: [task('w1', 'a', t0, 'Pending'), task('w2', 'a', t1, 'Queued')],
      limit: 0,
      running: 0,
      admit: ['w1', 'w2'],
      queue: [],
    },
    {
      what: 'skips blocked, stopped and finished Tasks',
      tasks: [task('blocked', 'a', t0, 'Pending', {}, 'False'), task('done', 'a', t0, 'Completed'), task('stopped', 'a', t0, 'Pending', { annotations: { 'kubeopencode.io/stop': 'true' } }), task('ok', 'a', t1, 'Pending')],
      limit: 5,
      running: 0,
      admit: ['ok'],
      queue: [],
    },
    {
      what: 'admits nobody behind a new Task not checked yet (no phase): it may be waiting too',
      tasks: [task('w0', 'a', t0, 'Pending'), task('x-new', 'a', t0), task('w2', 'a', t1, 'Pending')],
      limit: 5,
      running: 0,
      admit: ['w0'],
      queue: [['w2', 1]],
    },
    {
      what: 'a new Task not checked 30 s after its creation no longer holds the line',
      tasks: [task('stale', 'a', '2025-12-31T23:59:00Z'), task('w1', 'a', t1, 'Pending')],
      limit: 5,
      running: 0,
      admit: ['w1'],
      queue: [],
    },
    {
      what: 'new Tasks being deleted or stopped hold nothing',
      tasks: [task('gone', 'a', t0, undefined, { deletionTimestamp: t1 }), task('stop', 'a', t0, undefined, { annotations: { 'kubeopencode.io/stop': 'true' } }), task('w1', 'a', t1, 'Pending')],
      limit: 5,
      running: 0,
      admit: ['w1'],
      queue: [],
    },
    {
      what: 'new Tasks their reconcile checked wait in line like Pending ones: admitted or queued in FIFO order',
      tasks: [task('checked-1', 'a', t0), task('w1', 'a', t0, 'Pending'), task('checked-2', 'a', t1), task('checked-3', 'a', t1)],
      limit: 2,
      running: 0,
      admit: ['checked-1', 'w1'],
      queue: [['checked-2', 1], ['checked-3', 2]],
    },
    {
      what: 'a checked new Task keeps its place however old it is (the reconciler was down)',
      tasks: [task('checked-old', 'a', '2025-06-01T00:00:00Z'), task('w1', 'a', t1, 'Pending')],
      limit: 1,
      running: 0,
      admit: ['checked-old'],
      queue: [['w1', 1]],
    },
    {
      what: 'a Task still saying AgentNotFound for an Agent created just now holds its place: one behind it is not admitted first',
      tasks: [blockedByMissingAgent('d2', '2025-06-01T00:00:00Z'), task('d3', 'a', '2025-06-01T00:00:01Z', 'Pending')],
      limit: 1,
      running: 0,
      admit: [],
      queue: [['d3', 1]],
      agentCreated: t1,
    },
    {
      what: 'an AgentNotFound that outlives the hold (counted from the Agent\'s creation) holds no one',
      tasks: [blockedByMissingAgent('d2', '2025-06-01T00:00:00Z'), task('d3', 'a', '2025-06-01T00:00:01Z', 'Pending')],
      limit: 1,
      running: 0,
      admit: ['d3'],
      queue: [],
      agentCreated: '2025-12-31T23:59:00Z',
    },
    {
      what: 'a checked new Task being stopped does not wait',
      tasks: [task('checked-stop', 'a', t0, undefined, { annotations: { 'kubeopencode.io/stop': 'true' } }), task('w1', 'a', t1, 'Pending')],
      limit: 1,
      running: 0,
      admit: ['w1'],
      queue: [],
    },
    {
      what: 'a waiting Task whose Pod exists (admitted, Running not recorded yet) holds a slot and is admitted again, even when full',
      tasks: [task('r1', 'a', t0, 'Running'), task('w1', 'a', t0, 'Queued'), task('pod-w2', 'a', t1, 'Queued')],
      limit: 1,
      running: 2,
      admit: ['pod-w2'],
      queue: [['w1', 1]],
    },
    {
      what: 'Tasks with and without their Pod are admitted together in FIFO order',
      tasks: [task('w3', 'a', t1, 'Queued'), task('pod-w2', 'a', t1, 'Queued'), task('w1', 'a', t0, 'Pending'), task('w4', 'b', t1, 'Queued')],
      limit: 3,
      running: 1,
      admit: ['w1', 'pod-w2', 'w3'],
      queue: [['w4', 1]],
    },
    {
      what: 'a Pod of a Task that no longer waits (stopped, blocked) holds nothing here: its own reconcile deals with it',
      tasks: [task('pod-stop', 'a', t0, 'Queued', { annotations: { 'kubeopencode.io/stop': 'true' } }), task('pod-blocked', 'a', t0, 'Pending', {}, 'False'), task('w1', 'a', t1, 'Pending')],
      limit: 1,
      running: 0,
      admit: ['w1'],
      queue: [],
    },
  ] as AdmissionCase[])('$what', ({ tasks, limit, running, admit, queue, agentCreated }) => {
    const plan = planAdmission(tasks, limit, {
      nowMs: Date.parse('2026-01-01T00:00:02Z'),
      isChecked: (t) => t.metadata.name.startsWith('checked'),
      admittedBefore: (t) => t.metadata.name.startsWith('pod-'),
      agentCreatedMs: Date.parse(agentCreated ?? '2025-01-01T00:00:00Z'),
    });
    expect(plan.running).toBe(running);
    expect(plan.admit.map((t) => t.metadata.name)).toEqual(admit);
    expect(plan.queue.map((q) => [q.task.metadata.name, q.position])).toEqual(queue);
  });
});

describe('positionOutdated: when a queued Task\'s written position is rewritten (pure)', () => {
  test.each<[number | undefined, number, boolean, string]>([
    [undefined, 7, true, 'never written'],
    [3, 3, false, 'unchanged'],
    [4, 3, true, 'moved within the first 10: exact'],
    [11, 10, true, 'reached the first 10'],
    [400, 361, false, 'less than 10% off, further back'],
    [400, 360, true, '10% off'],
    [100, 111, true, 'moved back by more than 10%'],
  ])('written %p, now %p -> %p (%s)', (written, position, expected, _why) => {
    expect(positionOutdated(written, position)).toBe(expected);
  });
});
