import { manualTaskName, overHistory, planCronTask, scheduledTaskName } from '../../src/reconciler/cron-plan.js';
import { CronTaskObject, TaskObject } from '../../src/reconciler/objects.js';

const CREATED = '2026-01-01T00:00:00Z';

function cron(spec: Partial<CronTaskObject['spec']> = {}, status: CronTaskObject['status'] = {}, annotations?: Record<string, string>): CronTaskObject {
  return {
    metadata: { name: 'nightly', namespace: 'ns', uid: 'cron-uid', generation: 1, creationTimestamp: CREATED, annotations },
    spec: { schedule: '0 * * * *', taskTemplate: { spec: { description: 'x' } }, ...spec },
    status,
  };
}

function task(name: string, phase?: string, completion?: string, extra: object = {}): TaskObject {
  return {
    metadata: { name, namespace: 'ns', uid: `${name}-uid`, creationTimestamp: CREATED },
    spec: { description: 'x' },
    status: phase ? { phase: phase as never, completionTime: completion, ...extra } : undefined,
  };
}

const names = (list: readonly { name?: string; metadata?: { name: string } }[]) => list.map((t) => t.name ?? t.metadata!.name);
const now = (iso: string) => new Date(iso);

describe('planCronTask (pure, injected clock)', () => {
  test('nothing due yet: no Task, next time shown, requeue at it', () => {
    const plan = planCronTask(cron(), [], now('2026-01-01T00:20:00Z'));
    expect(plan.make).toEqual([]);
    expect(plan.status.nextScheduleTime).toBe('2026-01-01T01:00:00Z');
    expect(plan.requeueAfterMs).toBe(40 * 60_000);
    expect(plan.status.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Scheduled', message: 'Next Task at 2026-01-01T01:00:00Z' });
  });

  test('due: one Task named after its due time; lastScheduleTime and active move', () => {
    const plan = planCronTask(cron(), [], now('2026-01-01T01:00:05Z'));
    expect(plan.make).toEqual([{ name: scheduledTaskName('nightly', new Date('2026-01-01T01:00:00Z')), scheduledAt: '2026-01-01T01:00:00Z' }]);
    expect(plan.make[0].name).toBe(`nightly-${Date.parse('2026-01-01T01:00:00Z') / 60_000}`);
    expect(plan.status.lastScheduleTime).toBe('2026-01-01T01:00:00Z');
    expect(plan.status.active).toEqual([{ name: plan.make[0].name }]);
    expect(plan.events.map((e) => e.reason)).toEqual(['TaskCreated']);
  });

  test('already made for that time: nothing more (the status says so)', () => {
    const plan = planCronTask(cron({}, { lastScheduleTime: '2026-01-01T01:00:00Z' }), [task('nightly-1', 'Running')], now('2026-01-01T01:30:00Z'));
    expect(plan.make).toEqual([]);
    expect(plan.status.active).toEqual([{ name: 'nightly-1', uid: 'nightly-1-uid' }]);
  });

  test('after downtime: one catch-up for the latest missed time, not one per missed time', () => {
    const plan = planCronTask(cron({}, { lastScheduleTime: '2026-01-01T01:00:00Z' }), [], now('2026-01-01T07:10:00Z'));
    expect(plan.make.map((m) => m.scheduledAt)).toEqual(['2026-01-01T07:00:00Z']);
  });

  test('startingDeadlineSeconds: a time missed by more is skipped', () => {
    const late = planCronTask(cron({ startingDeadlineSeconds: 300 }, { lastScheduleTime: '2026-01-01T01:00:00Z' }), [], now('2026-01-01T02:10:00Z'));
    expect(late.make).toEqual([]);
    const inTime = planCronTask(cron({ startingDeadlineSeconds: 900 }, { lastScheduleTime: '2026-01-01T01:00:00Z' }), [], now('2026-01-01T02:10:00Z'));
    expect(inTime.make.map((m) => m.scheduledAt)).toEqual(['2026-01-01T02:00:00Z']);
  });

  test('Forbid: while a Task runs the due time waits (lastScheduleTime stays); once it ended, it is caught up', () => {
    const running = [task('nightly-a', 'Running')];
    const waiting = planCronTask(cron({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: '2026-01-01T01:00:00Z' }), running, now('2026-01-01T02:00:30Z'));
    expect(waiting.make).toEqual([]);
    expect(waiting.status.lastScheduleTime).toBe('2026-01-01T01:00:00Z');
    expect(waiting.events.map((e) => e.reason)).toEqual(['ConcurrencyForbidden']);
    expect(waiting.status.conditions?.[0].message).toContain('nightly-a still runs (concurrencyPolicy Forbid)');
    const ended = [task('nightly-a', 'Completed', '2026-01-01T02:05:00Z')];
    const caughtUp = planCronTask(cron({ concurrencyPolicy: 'Forbid' }, waiting.status), ended, now('2026-01-01T02:05:01Z'));
    expect(caughtUp.make.map((m) => m.scheduledAt)).toEqual(['2026-01-01T02:00:00Z']);
  });

  test('Forbid says so once: the same wait again records no second Event', () => {
    const running = [task('nightly-a', 'Running')];
    const first = planCronTask(cron({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: '2026-01-01T01:00:00Z' }), running, now('2026-01-01T02:00:30Z'));
    const again = planCronTask(cron({ concurrencyPolicy: 'Forbid' }, first.status), running, now('2026-01-01T02:01:30Z'));
    expect(again.events).toEqual([]);
  });

  test('Replace: running Tasks are deleted, then the new one made; Allow keeps both', () => {
    const running = [task('nightly-a', 'Running'), task('nightly-b', 'Completed', '2026-01-01T01:10:00Z')];
    const replace = planCronTask(cron({ concurrencyPolicy: 'Replace' }, { lastScheduleTime: '2026-01-01T01:00:00Z' }), running, now('2026-01-01T02:00:01Z'));
    expect(names(replace.replace)).toEqual(['nightly-a']);
    expect(replace.status.active?.map((a) => a.name)).toEqual([replace.make[0].name]);
    const allow = planCronTask(cron({}, { lastScheduleTime: '2026-01-01T01:00:00Z' }), running, now('2026-01-01T02:00:01Z'));
    expect(allow.replace).toEqual([]);
    expect(allow.status.active?.map((a) => a.name)).toEqual(['nightly-a', allow.make[0].name]);
  });

  test('suspend: nothing on schedule, no next time, no requeue; a due time is caught up after resuming', () => {
    const suspended = planCronTask(cron({ suspend: true }, { lastScheduleTime: '2026-01-01T01:00:00Z' }), [], now('2026-01-01T03:30:00Z'));
    expect(suspended.make).toEqual([]);
    expect(suspended.status.nextScheduleTime).toBeUndefined();
    expect(suspended.requeueAfterMs).toBeUndefined();
    expect(suspended.status.conditions?.[0]).toMatchObject({ reason: 'Suspended' });
    const resumed = planCronTask(cron({}, suspended.status), [], now('2026-01-01T03:30:00Z'));
    expect(resumed.make.map((m) => m.scheduledAt)).toEqual(['2026-01-01T03:00:00Z']);
  });

  test('a manual run: each new value of kubeopencode.io/run-now makes one Task, even while suspended or Forbid', () => {
    const annotated = cron({ suspend: true, concurrencyPolicy: 'Forbid' }, {}, { 'kubeopencode.io/run-now': '1700000000' });
    const plan = planCronTask(annotated, [task('nightly-a', 'Running')], now('2026-01-01T00:20:00Z'));
    expect(plan.make).toEqual([{ name: manualTaskName('nightly', '1700000000'), scheduledAt: 'manual' }]);
    expect(plan.status.lastManualRun).toBe('1700000000');
    const done = planCronTask(cron({ suspend: true }, plan.status, { 'kubeopencode.io/run-now': '1700000000' }), [], now('2026-01-01T00:21:00Z'));
    expect(done.make).toEqual([]);
  });

  test('history: the oldest finished Tasks beyond each limit are pruned; lastSuccessfulTime from Completed, not stopped, Tasks', () => {
    const tasks = [
      task('c1', 'Completed', '2026-01-01T01:00:00Z'), task('c2', 'Completed', '2026-01-01T02:00:00Z'),
      task('c3', 'Completed', '2026-01-01T03:00:00Z'), task('f1', 'Failed', '2026-01-01T01:30:00Z'),
      task('f2', 'Failed', '2026-01-01T02:30:00Z'), task('r1', 'Running'),
      task('s1', 'Completed', '2026-01-01T04:00:00Z', { conditions: [{ type: 'Stopped', status: 'True', reason: 'UserStopped', message: '', lastTransitionTime: CREATED }] }),
    ];
    expect(names(overHistory(tasks, 2, 1))).toEqual(['c1', 'f1', 'c2']);
    const plan = planCronTask(cron({ successfulHistoryLimit: 2, failedHistoryLimit: 1 }), tasks, now('2026-01-01T04:10:00Z'));
    expect(names(plan.prune)).toEqual(['c1', 'f1', 'c2']);
    expect(plan.status.lastSuccessfulTime).toBe('2026-01-01T03:00:00Z');
  });

  test('an invalid time zone or schedule: Ready=False with the reason, once as an Event; nothing on schedule', () => {
    const plan = planCronTask(cron({ timeZone: 'Mars/Olympus' }), [], now('2026-01-01T05:00:00Z'));
    expect(plan.make).toEqual([]);
    expect(plan.status.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'InvalidSchedule' });
    expect(plan.events.map((e) => e.reason)).toEqual(['InvalidSchedule']);
    expect(planCronTask(cron({ timeZone: 'Mars/Olympus' }, plan.status), [], now('2026-01-01T05:01:00Z')).events).toEqual([]);
    expect(planCronTask(cron({ schedule: '0 25 * * *' }), [], now('2026-01-01T05:00:00Z')).status.conditions?.[0].message).toContain('0-23');
  });

  test('requeues never wait longer than an hour (a yearly schedule relies on resyncs and events beyond)', () => {
    expect(planCronTask(cron({ schedule: '@yearly' }), [], now('2026-01-01T00:20:00Z')).requeueAfterMs).toBe(3_600_000);
  });
});
