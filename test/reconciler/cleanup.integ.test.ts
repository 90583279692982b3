/**
 * Cleanup of finished Tasks from KubeOpenCodeConfig: ttlSecondsAfterFinished and
 * maxRetainedTasks (per namespace). The config is given to this test's controller
 * directly, so the cluster-wide object does not disturb other tests running alongside.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { Scenario } from './support.js';
import { waitFor } from '../../harness/wait.js';

jest.setTimeout(60_000);

describe('ttlSecondsAfterFinished', () => {
  const s = new Scenario('ttl');
  beforeAll(() => s.start({ config: { cleanup: { ttlSecondsAfterFinished: 2 } } }));
  afterAll(() => s.stop());

  test('a finished Task is deleted after its TTL, with its Pod', async () => {
    const ns = await s.namespace();
    await s.createAgent(ns, 'default');
    s.outcome = () => ({ phase: 'Succeeded', terminationMessage: '{"parameters":{},"truncated":[],"missing":[]}' });
    await s.createTask(ns, 'short-lived', { description: 'x' });
    const done = await s.waitForPhase(ns, 'short-lived', 'Completed');
    const finishedAt = Date.parse(done.status!.completionTime!);
    await waitFor(async () => (await s.listTasks(ns)).length === 0, { timeoutMs: 20_000, description: 'the Task to be deleted' });
    expect(Date.now() - finishedAt).toBeGreaterThanOrEqual(1000);
    await waitFor(async () => !(await s.pod(ns, done.status!.podName!)), { timeoutMs: 20_000, description: 'the Pod to go with it' });
  });
});

describe('maxRetainedTasks', () => {
  const s = new Scenario('retain');
  beforeAll(() => s.start({ config: { cleanup: { maxRetainedTasks: 2 } } }));
  afterAll(() => s.stop());

  test('keeps the newest finished Tasks of each namespace, and every unfinished one', async () => {
    const ns = await s.namespace();
    const other = await s.namespace();
    await s.createAgent(ns, 'default');
    s.outcome = (pod) => pod.metadata!.name!.startsWith('keeps-running') ? { phase: 'Running' } : { phase: 'Succeeded', terminationMessage: '{"parameters":{},"truncated":[],"missing":[]}' };
    await s.createTask(ns, 'keeps-running', { description: 'x' });
    for (const name of ['one', 'two', 'three', 'four']) {
      await s.createTask(ns, name, { description: 'x' });
      await s.waitForTask(ns, name, (t) => t.status?.phase === 'Completed', 'Completed');
      // completionTime has one-second resolution; space them so "oldest" is well defined.
      await sleep(1100);
    }
    await s.createAgent(other, 'default');
    await s.createTask(other, 'elsewhere', { description: 'x' });
    await s.waitForPhase(other, 'elsewhere', 'Completed');
    const left = await waitFor(async () => {
      const names = (await s.listTasks(ns)).map((t) => t.metadata.name).sort();
      return names.length === 3 ? names : undefined;
    }, { timeoutMs: 20_000, description: 'retention to leave 2 finished Tasks' });
    expect(left).toEqual(['four', 'keeps-running', 'three']);
    expect((await s.listTasks(other)).map((t) => t.metadata.name)).toEqual(['elsewhere']);
  });
});
