/**
 * Conditional Task status writes that other writers cannot starve.
 *
 * Every status write carries the resourceVersion it was decided on, so a write based on a
 * stale view is refused (409) instead of overwriting what someone else set. But most of what
 * others write to a Task does not touch what the reconciler decides on: a user's labels and
 * annotations, another controller's conditions. When a write is refused for such a change,
 * it is sent again at once on the fresh object, keeping everything the other writer set;
 * when anything the decision depended on changed, the conflict goes back to the caller, which
 * decides again from the fresh state.
 */
import { StatusPatch, TaskObject } from './objects.js';
import { isConflict } from './runtime/api-errors.js';
import { Condition } from '../api/conditions.js';
import { Annotations, ConditionType } from '../api/constants.js';
import { TaskStatus } from '../api/task.js';

/** The condition types the reconciler owns; any other type belongs to someone else. */
const OWN_CONDITIONS: readonly string[] = Object.values(ConditionType);

/** Immediate retries on the fresh object before the conflict goes back to the caller. */
const RETRIES = 8;

export interface TaskStatusWriter {
  patchTaskStatus(task: TaskObject, status: StatusPatch<TaskStatus>): Promise<TaskObject>;
  getTask(namespace: string, name: string): Promise<TaskObject>;
}

/** What a reconcile decision about a Task depends on: its spec, deletion, stop request and the reconciler's own status. */
function decisionInputs(task: TaskObject): string {
  const { conditions, ...status } = task.status ?? {};
  return JSON.stringify({
    generation: task.metadata.generation,
    deletionTimestamp: task.metadata.deletionTimestamp,
    stop: task.metadata.annotations?.[Annotations.stop],
    status,
    conditions: (conditions ?? []).filter((c) => OWN_CONDITIONS.includes(c.type)),
  });
}

/** The fresh list of conditions with the reconciler's own types as `decided` has them. */
function rebase(fresh: readonly Condition[] | undefined, decided: readonly Condition[]): Condition[] {
  const own = new Map(decided.filter((c) => OWN_CONDITIONS.includes(c.type)).map((c) => [c.type, c]));
  const merged = (fresh ?? []).flatMap((c) => (OWN_CONDITIONS.includes(c.type) ? (own.has(c.type) ? [own.get(c.type)!] : []) : [c]));
  for (const c of own.values()) if (!merged.some((m) => m.type === c.type)) merged.push(c);
  return merged;
}

/**
 * The Task changed in what a decision depended on, so the write was not retried: `fresh` is
 * the Task as the API server has it now, for the cache (no need to read it again).
 */
export class TaskChangedError extends Error {
  public readonly code = 409;

  constructor(public readonly fresh: TaskObject) {
    super(`Task ${fresh.metadata.namespace}/${fresh.metadata.name} changed since it was read`);
    this.name = 'TaskChangedError';
  }
}

/**
 * Writes `status` to `task`, conditional on its resourceVersion; on a conflict with a change
 * that leaves the decision's inputs as they were, again on the fresh object. Throws a
 * TaskChangedError when they changed, the 409 itself after RETRIES.
 */
export async function patchTaskStatusRetrying(kube: TaskStatusWriter, task: TaskObject, status: StatusPatch<TaskStatus>): Promise<TaskObject> {
  let base = task;
  let patch = status;
  for (let attempt = 0; ; attempt++) {
    try {
      return await kube.patchTaskStatus(base, patch);
    } catch (e) {
      if (!isConflict(e) || attempt >= RETRIES) throw e;
      const fresh = await kube.getTask(task.metadata.namespace, task.metadata.name);
      if (fresh.metadata.uid !== task.metadata.uid || decisionInputs(fresh) !== decisionInputs(task)) throw new TaskChangedError(fresh);
      base = fresh;
      patch = status.conditions ? { ...status, conditions: rebase(fresh.status?.conditions, status.conditions) } : status;
    }
  }
}
