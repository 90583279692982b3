/** `kubeopencode describe task NAME`: everything about one Task, its Pod and its Events, for people. */
import { defineKubeCommand } from './kube/command.js';
import { describeTask } from './kube/describe-task.js';
import { KubeObject } from './kube/output.js';
import { resourcePath, resourceType, TASKS } from './kube/resources.js';
import { Command, str } from './lib/cli.js';
import { TaskStatus } from '../api/task.js';
import { ApiError } from '../reconciler/runtime/api-errors.js';
import type { RestClient } from '../reconciler/runtime/rest-client.js';
import { corePath } from '../reconciler/runtime/rest-client.js';

/** A read that may be refused or find nothing: the reason instead of the object then. */
async function readOrWhy<T>(client: RestClient, path: string, query?: Record<string, string>): Promise<T | string> {
  try {
    return await client.get<T>(path, query);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return 'not found';
    if (e instanceof ApiError && e.code === 403) return 'cannot read it: Forbidden';
    throw e;
  }
}

export const command: Command = defineKubeCommand({
  name: 'describe',
  summary: 'Show a Task in detail: spec, status, conditions, outputs, its Pod\'s containers and its Events',
  positionals: [
    { name: 'resource', arg: 'task', required: true, description: 'task (tk)' },
    { name: 'name', arg: 'NAME', required: true, description: 'The Task' },
  ],
  options: {},
  run: async (values, connect) => {
    resourceType(str(values.resource)!, [TASKS]);
    const name = str(values.name)!;
    const { client, target } = await connect();
    const task = await client.get<KubeObject>(resourcePath(TASKS, target.namespace, name));
    const status = task.status as TaskStatus | undefined;
    const pod = status?.podName
      ? await readOrWhy<KubeObject>(client, corePath('pods', status.podNamespace ?? target.namespace, status.podName))
      : undefined;
    const selector = `involvedObject.kind=Task,involvedObject.name=${name},involvedObject.uid=${task.metadata.uid}`;
    const events = await readOrWhy<{ items: never[] }>(client, corePath('events', target.namespace), { fieldSelector: selector });
    let text = describeTask(task, pod, typeof events === 'string' ? [] : events.items);
    if (typeof events === 'string') text = text.replace(/Events: {2}<none>\n$/, `Events:  (${events})\n`);
    process.stdout.write(text);
    return 0;
  },
});
