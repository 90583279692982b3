/**
 * FIFO admission of Tasks to an Agent with maxConcurrentTasks: pure functions over the
 * Agent's Tasks from every namespace.
 *
 * Order: creationTimestamp first; Kubernetes keeps it to the second, so Tasks created in
 * the same second are taken by namespace, then name (both compared as plain strings).
 * The order depends only on stored fields, so it survives a reconciler restart.
 */
import { TaskObject } from './objects.js';
import { Annotations, ConditionType, Phase } from '../api/constants.js';

export function fifoCompare(a: TaskObject, b: TaskObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.namespace;
  const nb = b.metadata.namespace;
  if (na !== nb) return na < nb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

export const isStopRequested = (task: TaskObject): boolean => task.metadata.annotations?.[Annotations.stop] === 'true';

/** A Task holds a slot from admission until it finishes. */
export const holdsSlot = (task: TaskObject): boolean => task.status?.phase === Phase.running;

/**
 * A Task waits for a slot when it is Pending or Queued, is not being deleted or stopped,
 * and nothing blocks it (its Ready condition is not False: no missing Agent or context).
 */
export function isWaiting(task: TaskObject): boolean {
  const phase = task.status?.phase;
  if (phase !== Phase.pending && phase !== Phase.queued) return false;
  if (task.metadata.deletionTimestamp || isStopRequested(task)) return false;
  const ready = task.status?.conditions?.find((c) => c.type === ConditionType.ready);
  return ready?.status !== 'False';
}

export interface AdmissionPlan {
  /** Tasks holding a slot now. */
  readonly running: number;
  /** Tasks to admit now, in order. */
  readonly admit: readonly TaskObject[];
  /** Tasks that keep waiting, with their place in line (1 is next). */
  readonly queue: readonly { readonly task: TaskObject; readonly position: number }[];
}

/** Which of an Agent's Tasks to admit, given its limit (undefined or 0: no limit). */
export function planAdmission(tasks: readonly TaskObject[], limit: number | undefined): AdmissionPlan {
  const running = tasks.filter(holdsSlot).length;
  const waiting = tasks.filter(isWaiting).sort(fifoCompare);
  const free = !limit ? waiting.length : Math.max(0, limit - running);
  return {
    running,
    admit: waiting.slice(0, free),
    queue: waiting.slice(free).map((task, i) => ({ task, position: i + 1 })),
  };
}
