/**
 * A Task deleted while its reconcile runs: the reconcile's reads and writes of the Task get
 * 404, and that ends it cleanly (done, no error log, no reconcile_errors_total count, no
 * retry). Each case fills a controller's cache from the API server, deletes the Task there
 * (no finalizer, so it is gone at once), then runs ONE reconcile as a worker would, with no
 * watches: its cache still holds the Task, as it does when the deletion races the reconcile.
 */
import { jest } from '@jest/globals';
import { Scenario } from './support.js';
import { RecordingLogger } from '../../harness/operator/in-process-operator.js';
import { Annotations } from '../../src/api/constants.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';
import { Metrics } from '../../src/reconciler/runtime/metrics.js';
import { METRICS_PREFIX } from '../../src/reconciler/task-metrics.js';

jest.setTimeout(60_000);

const s = new Scenario('task-deleted');
let ns: string;

afterAll(() => s.stop());
beforeAll(async () => {
  ns = await s.namespace();
  await s.createAgent(ns, 'unlimited');
  await s.createAgent(ns, 'limited', { maxConcurrentTasks: 1 });
});

async function deleteTask(name: string): Promise<void> {
  await s.custom.deleteNamespacedCustomObject({ group: 'kubeopencode.io', version: 'v1alpha1', namespace: ns, plural: 'tasks', name });
  await expect(s.getTask(ns, name)).rejects.toMatchObject({ code: 404 });
}

const metricLine = async (metrics: Metrics, name: string) => (await metrics.expose()).split('\n').filter((l) => l.startsWith(name)).join('\n');

test.each([
  ['a new Task, while its Pod is created and its first status written', 'unlimited', undefined],
  ['a Running Task, while its Pod is followed', 'unlimited', 'running'],
  ['a Running Task asked to stop, while its Pod is deleted and Stopped written', 'limited', 'stopping'],
] as const)('%s', async (_what, agent, state) => {
  const name = `t-${agent}-${state ?? 'new'}`;
  await s.createTask(ns, name, { description: 'x', agentRef: { name: agent } });
  if (state) {
    // Bring it to that state with a controller first, then stop that controller.
    await s.restartController();
    await s.waitForTask(ns, name, (t) => !!t.status?.startTime, 'Running with its Pod');
    await s.controller!.stop();
    s.controller = undefined;
  }
  if (state === 'stopping') await s.annotateTask(ns, name, { [Annotations.stop]: 'true' });
  const deleted = name;

  const logger = new RecordingLogger();
  const metrics = new Metrics({ prefix: METRICS_PREFIX, defaultMetrics: false });
  const controller = s.newController({ logger, metrics });
  try {
    controller.caches.agents.upsert(await s.getAgent(ns, agent) as AgentObject);
    controller.caches.tasks.upsert(await s.getTask(ns, deleted) as TaskObject);
    await deleteTask(deleted);

    await controller.reconcile(`task:${ns}/${deleted}`);

    expect(logger.problems).toEqual([]);
    expect(await metricLine(metrics, 'kubeopencode_reconcile_errors_total')).toBe('');
    expect(await metricLine(metrics, 'kubeopencode_reconcile_total')).toBe('kubeopencode_reconcile_total{kind="task",result="done"} 1');
    // Nothing retries the Task (its Agent may be woken: a slot is free).
    const queued: string[] = [];
    while (controller.queue.length > 0) queued.push((await controller.queue.get())!);
    expect(queued.filter((k) => k.startsWith('task:'))).toEqual([]);
  } finally {
    await controller.stop();
  }
});
