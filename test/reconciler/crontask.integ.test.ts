/**
 * CronTasks on the real control plane, with the controller's clock in the test's hand: the
 * test moves it past a due time and wakes the CronTask, so nothing waits for a real minute.
 * Tasks made run on the simulated node; the test ends their Pods when it wants them done.
 */
import { jest } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Scenario } from './support.js';
import { waitFor } from '../../harness/wait.js';
import { cronTaskKey } from '../../src/reconciler/context.js';
import { CronTaskObject, TaskObject } from '../../src/reconciler/objects.js';

jest.setTimeout(120_000);

const G = { group: 'kubeopencode.io', version: 'v1alpha1' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const s = new Scenario('crontask');
let ns: string;

/** The controller's clock: starts at the real time (so creation times make sense), moved by the test. */
const clock = { offsetMs: 0 };
const now = () => new Date(Date.now() + clock.offsetMs);

/**
 * Once a day, far from any real due time during a test: only the test's moves of the clock
 * make Tasks, never a real timer firing meanwhile.
 */
const DAILY = '0 3 * * *';

// Each test starts on the real clock, so that a new CronTask has no due time behind it.
beforeEach(() => {
  clock.offsetMs = 0;
});

beforeAll(async () => {
  await s.start({ now });
  ns = await s.namespace();
  await s.createAgent(ns, 'default');
});
afterAll(() => s.stop());

async function createCronTask(name: string, spec: object, annotations?: Record<string, string>): Promise<CronTaskObject> {
  const body = {
    apiVersion: 'kubeopencode.io/v1alpha1',
    kind: 'CronTask',
    metadata: { name, annotations },
    spec: { taskTemplate: { metadata: { labels: { team: 'a' } }, spec: { description: `made by ${name}` } }, ...spec },
  };
  return await s.custom.createNamespacedCustomObject({ ...G, namespace: ns, plural: 'crontasks', body }) as CronTaskObject;
}

const getCronTask = async (name: string) => await s.custom.getNamespacedCustomObject({ ...G, namespace: ns, plural: 'crontasks', name }) as CronTaskObject;
const madeBy = async (name: string) => (await s.listTasks(ns)).filter((t) => t.metadata.labels?.['kubeopencode.io/crontask'] === name)
  .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));

/** Moves the clock to the next due time of the CronTask (plus a second) and wakes it. */
async function advanceToNextDue(name: string): Promise<string> {
  const cron = await waitFor(async () => {
    const c = await getCronTask(name);
    return c.status?.nextScheduleTime ? c : undefined;
  }, { description: `CronTask ${name} to show its next schedule time`, timeoutMs: 30_000 });
  const due = cron.status!.nextScheduleTime!;
  clock.offsetMs = Date.parse(due) + 1000 - Date.now();
  s.controller!.queue.add(cronTaskKey(`${ns}/${name}`));
  return due;
}

async function waitForMade(name: string, count: number, what: string): Promise<TaskObject[]> {
  return waitFor(async () => {
    const tasks = await madeBy(name);
    return tasks.length === count ? tasks : undefined;
  }, { description: `${count} Task(s) made by ${name}: ${what}`, timeoutMs: 30_000 });
}

async function endPodOf(task: TaskObject): Promise<void> {
  const running = await s.waitForTask(ns, task.metadata.name, (t) => !!t.status?.startTime, 'Running with its Pod');
  await s.core.patchNamespacedPodStatus({ namespace: ns, name: running.status!.podName!, body: { status: { phase: 'Succeeded' } } }, mergePatch);
  await s.waitForPhase(ns, task.metadata.name, 'Completed');
}

test('a due time makes one Task: owned by the CronTask, labelled, from the template; the status says when', async () => {
  await createCronTask('daily', { schedule: DAILY });
  const due = await advanceToNextDue('daily');
  const [task] = await waitForMade('daily', 1, 'the first due time');
  expect(task.metadata.name).toBe(`daily-${Date.parse(due) / 60_000}`);
  expect(task.metadata.labels).toMatchObject({ 'team': 'a', 'kubeopencode.io/crontask': 'daily' });
  expect(task.metadata.annotations?.['kubeopencode.io/scheduled-at']).toBe(due);
  expect(task.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronTask', name: 'daily', controller: true });
  expect(task.spec.description).toBe('made by daily');
  const cron = await waitFor(async () => {
    const c = await getCronTask('daily');
    return c.status?.lastScheduleTime === due ? c : undefined;
  }, { description: 'lastScheduleTime to be written' });
  expect(cron.status?.active?.map((a) => a.name)).toEqual([task.metadata.name]);
  expect(Date.parse(cron.status!.nextScheduleTime!) - Date.parse(due)).toBe(24 * 3600_000);
  // The same due time again (a second wake) makes nothing more.
  s.controller!.queue.add(cronTaskKey(`${ns}/daily`));
  await new Promise((r) => setTimeout(r, 500));
  expect(await madeBy('daily')).toHaveLength(1);
});

test('Forbid: the next due time waits while a Task runs, and is made once it ends', async () => {
  await createCronTask('forbid', { schedule: DAILY, concurrencyPolicy: 'Forbid' });
  await advanceToNextDue('forbid');
  const [first] = await waitForMade('forbid', 1, 'the first due time');
  await s.waitForTask(ns, first.metadata.name, (t) => !!t.status?.startTime, 'Running');
  const second = await advanceToNextDue('forbid');
  await waitFor(async () => (await getCronTask('forbid')).status?.conditions?.[0]?.message.includes('still runs (concurrencyPolicy Forbid)'),
    { description: 'the CronTask to say the due time waits' });
  expect(await madeBy('forbid')).toHaveLength(1);
  await endPodOf(first);
  const tasks = await waitForMade('forbid', 2, 'the waiting due time, once the first ended');
  expect(tasks.map((t) => t.metadata.annotations?.['kubeopencode.io/scheduled-at'])).toContain(second);
});

test('Replace: the running Task is deleted and the new one made', async () => {
  await createCronTask('replace', { schedule: DAILY, concurrencyPolicy: 'Replace' });
  await advanceToNextDue('replace');
  const [first] = await waitForMade('replace', 1, 'the first due time');
  await s.waitForTask(ns, first.metadata.name, (t) => !!t.status?.startTime, 'Running');
  await advanceToNextDue('replace');
  const [second] = await waitFor(async () => {
    const tasks = await madeBy('replace');
    return tasks.length === 1 && tasks[0].metadata.name !== first.metadata.name ? tasks : undefined;
  }, { description: 'the first Task to be replaced by the second' });
  expect(second.metadata.name).not.toBe(first.metadata.name);
});

test('history: beyond successfulHistoryLimit the oldest Completed Task is deleted', async () => {
  await createCronTask('history', { schedule: DAILY, successfulHistoryLimit: 1 });
  await advanceToNextDue('history');
  const [first] = await waitForMade('history', 1, 'the first');
  await endPodOf(first);
  await advanceToNextDue('history');
  const both = await waitForMade('history', 2, 'the second');
  const second = both.find((t) => t.metadata.name !== first.metadata.name)!;
  await endPodOf(second);
  const kept = await waitForMade('history', 1, 'the first pruned once the second completed');
  expect(kept[0].metadata.name).toBe(second.metadata.name);
  const cron = await getCronTask('history');
  expect(cron.status?.lastSuccessfulTime).toBeDefined();
});

test('a manual run with the run-now annotation, while suspended; deleting the CronTask deletes its Tasks', async () => {
  await createCronTask('manual', { schedule: '0 0 1 1 *', suspend: true }, { 'kubeopencode.io/run-now': 'first' });
  const [task] = await waitForMade('manual', 1, 'the manual run');
  expect(task.metadata.annotations?.['kubeopencode.io/scheduled-at']).toBe('manual');
  // The CronTask's status is written after the Task it made, so it may come a moment later.
  const suspended = await waitFor(async () => (await getCronTask('manual')).status?.conditions?.[0], { description: 'the CronTask\'s condition' });
  expect(suspended).toMatchObject({ reason: 'Suspended' });
  await s.custom.deleteNamespacedCustomObject({ ...G, namespace: ns, plural: 'crontasks', name: 'manual' });
  await waitForMade('manual', 0, 'the garbage collector to delete the Task with its CronTask');
});

test('the API server refuses a malformed schedule; the reconciler says why a time zone is unknown', async () => {
  await expect(createCronTask('bad-shape', { schedule: '* * * *' })).rejects.toMatchObject({ body: expect.stringContaining('must have five fields') });
  await createCronTask('bad-zone', { schedule: '@daily', timeZone: 'Mars/Olympus' });
  const cron = await waitFor(async () => {
    const c = await getCronTask('bad-zone');
    return c.status?.conditions?.[0]?.reason === 'InvalidSchedule' ? c : undefined;
  }, { description: 'the InvalidSchedule condition' });
  expect(cron.status?.conditions?.[0].message).toContain('"Mars/Olympus" is not a time zone');
});

test('time zones and daylight saving on the real control plane: 02:30 New York on the spring-forward day runs at 03:30 EDT, once', async () => {
  // 2027-03-14 02:00 EST -> 03:00 EDT in America/New_York (07:00Z); put the clock just before.
  clock.offsetMs = Date.parse('2027-03-14T05:00:00Z') - Date.now();
  // A deadline, or the months between its real creation and the clock would owe a catch-up run.
  await createCronTask('dst', { schedule: '30 2 * * *', timeZone: 'America/New_York', startingDeadlineSeconds: 600 });
  const due = await advanceToNextDue('dst');
  expect(due).toBe('2027-03-14T07:30:00Z'); // 03:30 EDT: 02:30 does not exist that day
  const [task] = await waitForMade('dst', 1, 'the spring-forward run').catch(async (e: Error) => {
    throw new Error(`${e.message}; CronTask status: ${JSON.stringify((await getCronTask('dst')).status)}; clock ${now().toISOString()}`);
  });
  expect(task.metadata.annotations?.['kubeopencode.io/scheduled-at']).toBe(due);
  // The next one is 02:30 EDT the day after (06:30Z), not a second run the same day.
  const cron = await waitFor(async () => {
    const c = await getCronTask('dst');
    return c.status?.lastScheduleTime === due ? c : undefined;
  }, { description: 'the CronTask to record the run' });
  expect(cron.status?.nextScheduleTime).toBe('2027-03-15T06:30:00Z');
});
