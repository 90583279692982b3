/**
 * The Agent admits a Task from its cache; when the Task changed on the API server meanwhile
 * (here: a user asked it to stop), the admission write is refused (409), the Pod made for it is
 * deleted, and the Task is read again into the cache. That read takes the change in, so the change's own watch event will find
 * nothing new and wake no one: the Agent must queue the Task's reconcile itself. One Agent
 * reconcile is run by hand on caches filled from the API server, no watches, on the real
 * API server (so the 409 is the real one).
 */
import { jest } from '@jest/globals';
import { Scenario } from './support.js';
import { Annotations } from '../../src/api/constants.js';
import { reconcileAgent } from '../../src/reconciler/agent.js';
import { AgentObject, TaskObject } from '../../src/reconciler/objects.js';

jest.setTimeout(60_000);

const s = new Scenario('agent-conflict');

test('an admission refused because the Task changed meanwhile queues the Task\'s own reconcile, and admits nothing', async () => {
  const ns = await s.namespace();
  const agent = await s.createAgent(ns, 'limited', { maxConcurrentTasks: 1 });
  const task = await s.createTask(ns, 'stopped-meanwhile', { description: 'x', agentRef: { name: 'limited' } });

  const controller = s.newController();
  try {
    controller.caches.agents.upsert(await s.getAgent(ns, 'limited') as AgentObject);
    controller.caches.tasks.upsert(await s.getTask(ns, 'stopped-meanwhile') as TaskObject);
    // The Task's own reconcile has checked it: the Agent may admit it.
    controller.context.admission.taskChecked({ key: `${ns}/stopped-meanwhile`, uid: task.metadata.uid });
    // The user's stop request reaches the API server after the cache was filled.
    await s.annotateTask(ns, 'stopped-meanwhile', { [Annotations.stop]: 'true' });

    await reconcileAgent(controller.context, `${ns}/${agent.metadata.name}`);
    // The admission's Running write goes out after the reconcile (ordered-writes.ts).
    await controller.context.admissionWrites.flush();

    const queued: string[] = [];
    while (controller.queue.length > 0) queued.push((await controller.queue.get())!);
    expect(queued).toContain(`task:${ns}/stopped-meanwhile`);
    expect(controller.caches.tasks.get(`${ns}/stopped-meanwhile`)?.metadata.annotations?.[Annotations.stop]).toBe('true');
    expect((await s.getTask(ns, 'stopped-meanwhile')).status?.phase).toBeUndefined();
    // The Pod the admission made before its write must not run on for a stopped Task.
    const pods = (await s.core.listNamespacedPod({ namespace: ns })).items;
    expect(pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name)).toEqual([]);
  } finally {
    await controller.stop();
  }
});
