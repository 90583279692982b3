/**
 * `kubeopencode run --watch`: follows a Task to its end. Phase changes (and the place in the
 * queue) go to stderr as they happen; the agent container's log streams to stdout once its
 * Pod runs (again for each retry's Pod); the outputs come last. Resolves to the exit code:
 * 0 Completed, 1 Failed (or deleted).
 */
import { stringify } from 'yaml';
import { kubectlMessage } from './kube/errors.js';
import { copyLog, LogTarget, waitForStart } from './kube/logs.js';
import { resourcePath, TASKS } from './kube/resources.js';
import { DeletedError, follow } from './kube/watch.js';
import { Log } from './lib/cli.js';
import { ConditionType, FINISHED_PHASES, Phase } from '../api/constants.js';
import { TaskStatus } from '../api/task.js';
import type { RestClient } from '../reconciler/runtime/rest-client.js';

/** How long the log may keep streaming after the Task has ended (the container's last lines). */
const LOG_DRAIN_MS = 10_000;
/** How long a log not yet started may take to start after the Task has ended (a GET of the Pod or two). */
const LOG_START_MS = 5_000;

/** One line of where the Task is, e.g. `Queued (position 2 for Agent team/opencode)`. */
export function phaseLine(s: TaskStatus | undefined): string | undefined {
  if (!s?.phase) return undefined;
  const cond = (type: string) => s.conditions?.find((c) => c.type === type);
  const why = (type: string, status = 'True') => {
    const c = cond(type);
    return c && c.status === status ? `: ${c.reason}${c.message ? ` (${c.message})` : ''}` : '';
  };
  switch (s.phase) {
    case Phase.pending: return `Pending${why(ConditionType.ready, 'False')}`;
    case Phase.queued: return `Queued${s.queuePosition ? `, position ${s.queuePosition}` : ''}`;
    case Phase.running: {
      if (cond(ConditionType.retrying)?.status === 'True') return `Running, waiting to retry${why(ConditionType.retrying)}`;
      const pod = s.podName ? `, Pod ${s.podNamespace ? `${s.podNamespace}/` : ''}${s.podName}` : '';
      return `Running${s.queuePosition ? `, waiting for a slot at position ${s.queuePosition}` : pod}`;
    }
    case Phase.completed: return `Completed${why(ConditionType.stopped)}`;
    default: return `${s.phase}${why(ConditionType.ready, 'False')}`;
  }
}

/** Streams one Pod's agent log; never throws: a log that cannot be read is a warning. */
class LogFollower {
  private readonly abort = new AbortController();
  private streaming = false;
  public readonly done: Promise<void>;

  constructor(client: RestClient, private readonly target: LogTarget, private readonly log: Log) {
    this.done = this.run(client).catch((e) => {
      if (!this.abort.signal.aborted) log.warn(`cannot read the log of Pod ${target.namespace}/${target.pod}: ${kubectlMessage(e) ?? (e as Error).message}`);
    });
  }

  private async run(client: RestClient): Promise<void> {
    if (!await waitForStart(client, this.target, this.abort.signal)) {
      this.log.info(`the ${this.target.container} container of Pod ${this.target.namespace}/${this.target.pod} never started: no log`);
      return;
    }
    this.streaming = true;
    const bytes = await copyLog(client, this.target, process.stdout, { follow: true, signal: this.abort.signal });
    if (!bytes) this.log.info(`the ${this.target.container} container's log is empty (Pod ${this.target.namespace}/${this.target.pod})`);
  }

  /** After the Task ended: the log gets a moment for its last lines (or to be read at all), then is cut. */
  public async finish(): Promise<void> {
    const timer = setTimeout(() => this.abort.abort(), this.streaming ? LOG_DRAIN_MS : LOG_START_MS);
    await this.done;
    clearTimeout(timer);
  }
}

export async function watchTask(client: RestClient, namespace: string, name: string, log: Log): Promise<number> {
  const say = (line: string) => process.stderr.write(`task ${name}: ${line}\n`);
  let shown: string | undefined;
  let follower: LogFollower | undefined;
  let loggedPod: string | undefined;
  let last: TaskStatus | undefined;
  try {
    for await (const task of follow(client, resourcePath(TASKS, namespace), name, new AbortController().signal)) {
      last = task.status as TaskStatus | undefined;
      const line = phaseLine(last);
      if (line && line !== shown) say(line);
      shown = line ?? shown;
      const pod = last?.podName;
      if (pod && pod !== loggedPod && (last?.phase === Phase.running || FINISHED_PHASES.includes(last!.phase!))) {
        await follower?.finish();
        loggedPod = pod;
        follower = new LogFollower(client, { namespace: last?.podNamespace ?? namespace, pod, container: 'agent' }, log);
      }
      if (last?.phase && FINISHED_PHASES.includes(last.phase)) break;
    }
  } catch (e) {
    if (!(e instanceof DeletedError)) throw e;
    await follower?.finish();
    say('deleted before it ended');
    return 1;
  }
  await follower?.finish();
  const outputs = last?.outputs?.parameters ?? {};
  if (Object.keys(outputs).length) process.stdout.write(stringify({ outputs }, { lineWidth: 0 }));
  return last?.phase === Phase.completed ? 0 : 1;
}
