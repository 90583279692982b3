/** `kubeopencode wait TASK --for=phase=Completed`: until the Task gets there, can no longer get there, or time runs out. */
import { defineKubeCommand } from './kube/command.js';
import { parseDuration } from './kube/duration.js';
import { qualifiedName, resourcePath, TASKS } from './kube/resources.js';
import { DeletedError, follow } from './kube/watch.js';
import { Command, list, PlainError, str, UsageError } from './lib/cli.js';
import { FINISHED_PHASES, TASK_PHASES } from '../api/constants.js';
import { TaskStatus } from '../api/task.js';

interface Wanted {
  readonly text: string;
  readonly holds: (s: TaskStatus | undefined) => boolean;
}

/** `phase=Completed`, `condition=Ready` (status True) or `condition=Stopped=False`. */
export function parseFor(value: string): Wanted {
  const [what, arg, status = 'True', ...rest] = value.split('=');
  if (what === 'phase' && arg && value.split('=').length === 2) {
    const phase = TASK_PHASES.find((p) => p.toLowerCase() === arg.toLowerCase());
    if (!phase) throw new UsageError(`--for: unknown phase "${arg}"; phases: ${TASK_PHASES.join(', ')}`);
    return { text: `phase=${phase}`, holds: (s) => s?.phase === phase };
  }
  if (what === 'condition' && arg && !rest.length) {
    const wanted = ['True', 'False', 'Unknown'].find((v) => v.toLowerCase() === status.toLowerCase());
    if (!wanted) throw new UsageError(`--for: condition status must be True, False or Unknown, got "${status}"`);
    return { text: `condition=${arg}=${wanted}`, holds: (s) => s?.conditions?.some((c) => c.type === arg && c.status === wanted) ?? false };
  }
  throw new UsageError(`--for must be phase=PHASE or condition=TYPE[=STATUS], got "${value}"`);
}

/** Why a finished Task ended, for the message saying it will never get there. */
function ending(s: TaskStatus): string {
  const reason = s.conditions?.find((c) => c.type === 'Stopped' && c.status === 'True') ?? s.conditions?.find((c) => c.type === 'Ready');
  return reason ? ` (${reason.reason}${reason.message ? `: ${reason.message}` : ''})` : '';
}

export const command: Command = defineKubeCommand({
  name: 'wait',
  summary: 'Wait until a Task reaches a phase or condition (exit 1 on timeout or when it never can)',
  positionals: [{ name: 'task', arg: 'TASK', required: true, description: 'The Task to wait for' }],
  options: {
    for: { type: 'string', arg: 'WHAT', multiple: true, required: true, description: 'phase=PHASE or condition=TYPE[=STATUS]; several must all hold' },
    timeout: { type: 'string', arg: 'DURATION', default: '30s', description: 'How long to wait, e.g. 90s, 10m, 1h' },
  },
  details: `Examples:
  kubeopencode wait fix-bug --for=phase=Completed --timeout 10m
  kubeopencode wait fix-bug --for=condition=Ready`,
  run: async (values, connect) => {
    const name = str(values.task)!;
    const wanted = list(values.for).map(parseFor);
    const timeoutMs = parseDuration('timeout', str(values.timeout)!);
    const { client, target } = await connect();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let last: TaskStatus | undefined;
    try {
      for await (const task of follow(client, resourcePath(TASKS, target.namespace), name, abort.signal)) {
        last = task.status as TaskStatus | undefined;
        if (wanted.every((w) => w.holds(last))) {
          process.stdout.write(`${qualifiedName(TASKS, name)} condition met\n`);
          return 0;
        }
        if (last?.phase && FINISHED_PHASES.includes(last.phase)) {
          const missing = wanted.filter((w) => !w.holds(last)).map((w) => w.text).join(', ');
          throw new PlainError(`error: Task "${name}" ended ${last.phase}${ending(last)}: it will never be ${missing}`);
        }
      }
    } catch (e) {
      if (e instanceof DeletedError) throw new PlainError(`error: Task "${name}" was deleted before it was ${wanted.map((w) => w.text).join(', ')}`);
      if (!abort.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
    }
    const now = last?.phase ? `it is ${last.phase}` : 'it has no phase yet';
    throw new PlainError(`error: timed out after ${str(values.timeout)} waiting for ${wanted.map((w) => w.text).join(', ')} on tasks/${name} (${now})`);
  },
});
