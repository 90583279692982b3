/** `kubeopencode logs TASK`: the log of a container of the Task's Pod (wherever the Pod runs). */
import { defineKubeCommand } from './kube/command.js';
import { copyLog, waitForStart } from './kube/logs.js';
import { KubeObject } from './kube/output.js';
import { resourcePath, TASKS } from './kube/resources.js';
import { Command, flag, parseCount, PlainError, str } from './lib/cli.js';
import { TaskStatus } from '../api/task.js';

export const command: Command = defineKubeCommand({
  name: 'logs',
  summary: 'Print the log of a Task\'s Pod (the agent container unless -c says otherwise)',
  positionals: [{ name: 'task', arg: 'TASK', required: true, description: 'The Task' }],
  options: {
    follow: { type: 'boolean', short: 'f', description: 'Keep streaming until the container ends (waits for it to start)' },
    container: { type: 'string', short: 'c', arg: 'NAME', default: 'agent', description: 'Container: agent, or an init container (context-init, git-0, url-0, ...)' },
    tail: { type: 'string', arg: 'LINES', description: 'Only the last LINES lines' },
  },
  details: 'A cross-namespace Task\'s Pod runs in its Agent\'s namespace (status.podNamespace); it is found there.',
  run: async (values, connect, log) => {
    const name = str(values.task)!;
    const tail = values.tail === undefined ? undefined : parseCount('tail', str(values.tail), 0);
    const { client, target } = await connect();
    const task = await client.get<KubeObject>(resourcePath(TASKS, target.namespace, name));
    const status = task.status as TaskStatus | undefined;
    if (!status?.podName) throw new PlainError(`error: Task "${name}" has no Pod${status?.phase ? ` (phase ${status.phase})` : ''}`);
    const logTarget = { namespace: status.podNamespace ?? target.namespace, pod: status.podName, container: str(values.container)! };
    const signal = new AbortController().signal;
    if (flag(values.follow)) {
      const started = await waitForStart(client, logTarget, signal, (reason) => log.info(`waiting for container ${logTarget.container} to start (${reason})`));
      if (!started) throw new PlainError(`error: container "${logTarget.container}" of Pod ${logTarget.pod} never started: the Pod has ended`);
    }
    await copyLog(client, logTarget, process.stdout, { follow: flag(values.follow), signal, tail });
    return 0;
  },
});
