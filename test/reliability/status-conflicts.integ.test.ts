/**
 * Faults: other writers change a Task while the reconciler moves it through its phases.
 *
 * - A user keeps writing labels and annotations (merge patches of metadata). Each one changes
 *   the Task's resourceVersion, so the reconciler's conditional status writes get 409 Conflict;
 *   they are retried from a fresh read, and no label, annotation or finalizer of the user's is
 *   ever lost.
 * - A second controller owns a condition type of its own (`example.com/Reviewed`) and keeps
 *   updating it with server-side apply on the status subresource, as controllers sharing a
 *   status do. What "not overwritten" means for status: the conditions are a list-map keyed by
 *   type, and each writer owns its types. In every version of the Task the API server stored
 *   (checked on every watch event), once the Reviewed condition exists it stays, never goes back
 *   to an older message, and in the end it is exactly what the reviewer last wrote; the
 *   reconciler's own fields (phase, Ready, outputs) end right; and the reviewer's applies never
 *   conflict with the reconciler (it never takes ownership of a condition it does not set).
 *
 * Twice: with writers that pause between rounds (a busy Task, every ~0.5 s), and with writers
 * that never pause (each Task changed every ~0.1-0.2 s), which must not starve the reconciler.
 * How often a user's write falls between the reconciler's read and its write is chance; in the
 * pausing run one more writer makes it certain, once per Task, so every Task's status goes
 * through a refused write and its retry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, V1Pod } from '@kubernetes/client-node';
import { ResumingWatch, taskKeyOf } from './support.js';
import { waitFor } from '../../harness/wait.js';
import { formatTerminationMessage } from '../../src/api/outputs-format.js';
import { TaskObject } from '../../src/reconciler/objects.js';
import { isConflict } from '../../src/reconciler/runtime/api-errors.js';
import { condition, Scenario } from '../reconciler/support.js';

jest.setTimeout(120_000);

const G = { group: 'kubeopencode.io', version: 'v1alpha1', plural: 'tasks' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const REVIEWED = 'example.com/Reviewed';
const HOLD = 'team.example.com/hold';
const NOTE = 'team.example.com/note-';

const RACED = 'team.example.com/raced';

const s = new Scenario('conflicts');
let conflicts = 0;
let statusWrites = 0;
let raceOncePerTask = false;
const raced = new Set<string>();

beforeAll(async () => {
  await s.start();
  s.outcome = (pod: V1Pod) => ({
    phase: 'Succeeded',
    runMs: 1500,
    terminationMessage: formatTerminationMessage({ parameters: { who: `${pod.metadata!.annotations!['kubeopencode.io/task-namespace']}/${pod.metadata!.annotations!['kubeopencode.io/task']}` }, truncated: [], missing: [] }),
  });
  // Count the reconciler's status writes, and those the API server refused with 409 Conflict.
  const kube = s.controller!.context.kube;
  const patchTaskStatus = kube.patchTaskStatus.bind(kube);
  kube.patchTaskStatus = async (task, status) => {
    statusWrites++;
    // A racing writer that is sure to win once per Task: its write lands between the
    // reconciler's read and its status write, so that write is refused with 409 and retried.
    const key = taskKeyOf(task);
    if (raceOncePerTask && !raced.has(key)) {
      raced.add(key);
      await s.kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject({ ...G, namespace: task.metadata.namespace!, name: task.metadata.name!, body: { metadata: { annotations: { [RACED]: 'true' } } } }, mergePatch);
    }
    try {
      return await patchTaskStatus(task, status);
    } catch (e) {
      if (isConflict(e)) conflicts++;
      throw e;
    }
  };
});
afterAll(() => s.stop());


/** Runs `count` Tasks (half cross-namespace on a limited Agent) while the two writers write, every `pauseMs`; checks everything. */
async function runWithWriters(count: number, pauseMs: number, timeoutMs: number, raceEveryTask: boolean): Promise<void> {
  [conflicts, statusWrites, raceOncePerTask] = [0, 0, raceEveryTask];
  const platform = await s.namespace();
  const team = await s.namespace();
  await s.createAgent(platform, 'shared', { maxConcurrentTasks: 2 });
  await s.createAgent(team, 'local', {});
  // Every stored version of every Task, checked as it comes.
  const violations: string[] = [];
  const lastSeen = new Map<string, { notes: number; reviewed?: number }>();
  const held = new Set<string>();
  const watch = new ResumingWatch(s.kc, `/apis/kubeopencode.io/v1alpha1/namespaces/${team}/tasks`, {}, (type, t: TaskObject) => {
    if (type === 'DELETED') return;
    const key = taskKeyOf(t);
    const rv = t.metadata.resourceVersion;
    const notes = Object.keys(t.metadata.annotations ?? {}).filter((k) => k.startsWith(NOTE)).map((k) => Number(k.slice(NOTE.length)));
    const highest = notes.length ? Math.max(...notes) : -1;
    if (notes.length !== highest + 1) violations.push(`${key}@${rv}: annotations ${NOTE}0..${highest} incomplete (${notes.length})`);
    if (highest >= 0 && t.metadata.labels?.['team.example.com/step'] !== String(highest)) violations.push(`${key}@${rv}: label step ${t.metadata.labels?.['team.example.com/step']}, note ${highest}`);
    if (held.has(key) && !t.metadata.finalizers?.includes(HOLD)) violations.push(`${key}@${rv}: the user's finalizer is gone: ${t.metadata.finalizers}`);
    const reviewed = condition(t, REVIEWED);
    const before = lastSeen.get(key) ?? { notes: -1 };
    if (before.reviewed !== undefined && !reviewed) violations.push(`${key}@${rv}: ${REVIEWED} removed`);
    const review = reviewed ? Number(reviewed.message.replace('review ', '')) : undefined;
    if (review !== undefined && before.reviewed !== undefined && review < before.reviewed) violations.push(`${key}@${rv}: ${REVIEWED} went back from ${before.reviewed} to ${review}`);
    if (highest < before.notes) violations.push(`${key}@${rv}: annotations went back from ${before.notes} to ${highest}`);
    lastSeen.set(key, { notes: Math.max(highest, before.notes), reviewed: review ?? before.reviewed });
  });

  const names = Array.from({ length: count }, (_, i) => `t-${String(i).padStart(2, '0')}`);
  const onShared = (i: number) => i % 2 === 0;
  for (const [i, name] of names.entries()) {
    const hold = i % 4 === 0;
    if (hold) held.add(`${team}/${name}`);
    await s.createTask(team, name, {
      description: name,
      agentRef: onShared(i) ? { name: 'shared', namespace: platform } : { name: 'local' },
      outputs: { parameters: [{ name: 'who', path: '.outputs/who' }] },
    }, hold ? { finalizers: [HOLD] } : {});
  }

  const custom = s.kc.makeApiClient(CustomObjectsApi);
  const finished = async () => (await s.listTasks(team)).every((t) => t.status?.phase === 'Completed' || t.status?.phase === 'Failed');
  let running = true;
  const written = new Map<string, { notes: number; review: number }>(names.map((n) => [n, { notes: -1, review: -1 }]));
  const reviewerErrors: string[] = [];
  // The user: one new annotation and a new label value per write, every Task at once, in rounds.
  const user = (async () => {
    for (let round = 0; running; round++) {
      await Promise.all(names.map(async (name) => {
        const n = written.get(name)!.notes + 1;
        await custom.patchNamespacedCustomObject({ ...G, namespace: team, name, body: { metadata: { labels: { 'team.example.com/step': String(n) }, annotations: { [`${NOTE}${n}`]: `round ${round}` } } } }, mergePatch);
        written.get(name)!.notes = n;
      }));
      await sleep(pauseMs);
    }
  })();
  // The second controller: server-side apply of its own condition only, without force.
  const reviewer = (async () => {
    while (running) {
      await Promise.all(names.map(async (name) => {
        const m = written.get(name)!.review + 1;
        const body = {
          apiVersion: 'kubeopencode.io/v1alpha1',
          kind: 'Task',
          metadata: { name, namespace: team },
          status: { conditions: [{ type: REVIEWED, status: 'True', reason: 'Reviewed', message: `review ${m}`, lastTransitionTime: '2026-01-01T00:00:00Z' }] },
        };
        try {
          await custom.patchNamespacedCustomObjectStatus({ ...G, namespace: team, name, body, fieldManager: 'reviewer' }, apply);
          written.get(name)!.review = m;
        } catch (e) {
          reviewerErrors.push(`${name}: ${(e as { code?: number }).code} ${(e as { body?: string }).body}`);
        }
      }));
      await sleep(pauseMs);
    }
  })();
  try {
    await waitFor(finished, { timeoutMs, intervalMs: 250, description: 'all Tasks to finish' }).catch(async (e: Error) => {
      const phases = (await s.listTasks(team)).map((t) => `${t.metadata.name} ${t.status?.phase}/${condition(t, 'Ready')?.reason}${t.status?.startTime ? '' : ' (no Pod yet)'}`);
      throw new Error(`${e.message}; ${statusWrites} status writes, ${conflicts} refused with 409; Tasks: ${phases.join(', ')}`);
    });
    running = false;
    await Promise.all([user, reviewer]);
    // The last versions reach the watch, then nothing may be missing.
    await waitFor(() => names.every((n) => lastSeen.get(`${team}/${n}`)?.notes === written.get(n)!.notes && lastSeen.get(`${team}/${n}`)?.reviewed === written.get(n)!.review),
      { timeoutMs: 10_000, description: 'the watch to see the last writes' });
  } finally {
    running = false;
    await watch.stop();
  }
  process.stderr.write(`[conflicts] ${statusWrites} status writes by the reconciler, ${conflicts} refused with 409 and retried; `
    + `user writes per Task ${JSON.stringify([...written.values()].map((w) => w.notes + 1))}, reviewer writes per Task ${JSON.stringify([...written.values()].map((w) => w.review + 1))}\n`);

  expect(violations).toEqual([]);
  expect(reviewerErrors).toEqual([]);
  expect(conflicts).toBeGreaterThanOrEqual(raceEveryTask ? count : 1);
  for (const t of await s.listTasks(team)) {
    const w = written.get(t.metadata.name)!;
    expect({ name: t.metadata.name, phase: t.status?.phase, ready: condition(t, 'Ready')?.reason, who: t.status?.outputs?.parameters?.who })
      .toEqual({ name: t.metadata.name, phase: 'Completed', ready: 'Succeeded', who: `${team}/${t.metadata.name}` });
    expect(condition(t, REVIEWED)).toEqual({ type: REVIEWED, status: 'True', reason: 'Reviewed', message: `review ${w.review}`, lastTransitionTime: '2026-01-01T00:00:00Z' });
    expect(Object.keys(t.metadata.annotations ?? {}).filter((k) => k.startsWith(NOTE))).toHaveLength(w.notes + 1);
    const i = names.indexOf(t.metadata.name);
    const finalizers = [...(i % 4 === 0 ? [HOLD] : []), ...(onShared(i) ? ['kubeopencode.io/task-cleanup'] : [])];
    expect([...(t.metadata.finalizers ?? [])].sort()).toEqual(finalizers.sort());
  }
  // Let the held Tasks go.
  for (const key of held) {
    const name = key.split('/')[1];
    const t = await s.getTask(team, name);
    const metadata = { resourceVersion: t.metadata.resourceVersion, finalizers: t.metadata.finalizers!.filter((f) => f !== HOLD) };
    await custom.patchNamespacedCustomObject({ ...G, namespace: team, name, body: { metadata } }, mergePatch);
  }
}

test('writers that pause ~0.5 s between rounds: a user\'s labels and annotations and a second writer\'s condition survive every transition; the reconciler\'s conflicts are retried', async () => {
  await runWithWriters(12, 500, 90_000, true);
});

test('writers that never pause (each Task changed every ~0.1-0.2 s) do not starve the reconciler', async () => {
  await runWithWriters(6, 0, 60_000, false);
});
