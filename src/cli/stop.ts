/** `kubeopencode stop TASK`: asks the operator to stop a Task (the kubeopencode.io/stop=true annotation). */
import { defineKubeCommand } from './kube/command.js';
import { KubeObject } from './kube/output.js';
import { qualifiedName, resourcePath, TASKS } from './kube/resources.js';
import { Command, str } from './lib/cli.js';
import { Annotations, FINISHED_PHASES, TaskPhase } from '../api/constants.js';

export const command: Command = defineKubeCommand({
  name: 'stop',
  summary: 'Stop a Task: its Pod is deleted and it ends Completed with reason UserStopped',
  positionals: [{ name: 'task', arg: 'TASK', required: true, description: 'The Task to stop' }],
  options: {},
  details: `Same as: kubectl annotate task TASK ${Annotations.stop}=true`,
  run: async (values, connect) => {
    const name = str(values.task)!;
    const { client, target } = await connect();
    const task = await client.request<KubeObject>('PATCH', resourcePath(TASKS, target.namespace, name), {
      body: { metadata: { annotations: { [Annotations.stop]: 'true' } } },
      contentType: 'application/merge-patch+json',
    });
    const phase = task.status?.phase as TaskPhase | undefined;
    const done = phase && FINISHED_PHASES.includes(phase) ? ` (it had already ended ${phase}: nothing to stop)` : '';
    process.stdout.write(`${qualifiedName(TASKS, name)} stop requested${done}\n`);
    return 0;
  },
});
