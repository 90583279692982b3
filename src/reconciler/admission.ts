/**
 * FIFO admission of Tasks to an Agent with maxConcurrentTasks: pure functions over the
 * Agent's Tasks from every namespace.
 *
 * Order: creationTimestamp first; Kubernetes keeps it to the second, so Tasks created in
 * the same second are taken by namespace, then name (both compared as plain strings).
 * The order depends only on stored fields, so it survives a reconciler restart.
 */
import { TaskObject } from './objects.js';
import { isRetryDue, isWaitingToRetry } from './retry.js';
import { Annotations, ConditionType, Phase, Reason } from '../api/constants.js';

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

/** A Task holds a slot from admission until it finishes, except while a failed attempt waits to be retried. */
export const holdsSlot = (task: TaskObject): boolean => task.status?.phase === Phase.running && !isWaitingToRetry(task);

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

/**
 * How long a new Task that its own reconcile has not looked at yet (no phase) holds its place
 * in line. Tasks created together reach the Task workers in any order; without this, a later
 * one that was checked first would be admitted ahead of an earlier one. Bounded, so that a
 * Task whose first status write keeps failing cannot stop its Agent's queue.
 */
export const UNCHECKED_HOLD_MS = 30_000;

/** A new Task: no phase yet, and neither being deleted nor stopped. */
const isNew = (task: TaskObject): boolean => !task.status?.phase && !task.metadata.deletionTimestamp && !isStopRequested(task);

/**
 * A Task still blocked as AgentNotFound, seen while its Agent exists again: its own reconcile
 * (which the Agent's enqueued) clears that, and Tasks that were blocked together are cleared
 * in any order. Until then it holds its place, or a later one cleared first would overtake
 * it; for at most UNCHECKED_HOLD_MS from the Agent's creation, for the reason above.
 */
function awaitsRecheck(task: TaskObject, nowMs: number, agentCreatedMs: number): boolean {
  if (task.status?.phase !== Phase.pending || task.metadata.deletionTimestamp || isStopRequested(task)) return false;
  const ready = task.status.conditions?.find((c) => c.type === ConditionType.ready);
  return ready?.status === 'False' && ready.reason === Reason.agentNotFound && nowMs - agentCreatedMs < UNCHECKED_HOLD_MS;
}

/** A Task that may still turn out to be waiting: new and not checked yet, or about to be rechecked. */
function holdsPlace(task: TaskObject, nowMs: number, agentCreatedMs: number): boolean {
  if (awaitsRecheck(task, nowMs, agentCreatedMs)) return true;
  if (!isNew(task)) return false;
  const created = Date.parse(task.metadata.creationTimestamp ?? '') || 0;
  return nowMs - created < UNCHECKED_HOLD_MS;
}

export interface AdmissionPlan {
  /** Tasks holding a slot now. */
  readonly running: number;
  /** Tasks to admit now, in order (those admitted before among them). */
  readonly admit: readonly TaskObject[];
  /** Tasks that keep waiting, with their place in line (1 is next). */
  readonly queue: readonly { readonly task: TaskObject; readonly position: number }[];
}

export interface AdmissionInput {
  /** The time the bounded holds are measured at. @default Date.now() */
  readonly nowMs?: number;
  /** Which new Tasks (no phase) their own reconcile found ready to wait. @default none */
  readonly isChecked?: (task: TaskObject) => boolean;
  /** When the Agent was created (ms since the epoch), which makes an AgentNotFound stale. @default never */
  readonly agentCreatedMs?: number;
  /**
   * Whether a waiting Task was admitted already and its Running write has not landed: its
   * write is on its way, or the Pod of its current attempt exists (the reconcile that made it
   * may have been killed before the write). It holds a slot, and is admitted again whatever
   * the limit. @default none was
   */
  readonly admittedBefore?: (task: TaskObject) => boolean;
}

/**
 * Which of an Agent's Tasks to admit, given its limit (undefined or 0: no limit): waiting
 * Tasks in FIFO order while slots are free, but none behind a Task that may still turn out
 * to be waiting (new and not checked yet, or blocked as AgentNotFound by an Agent now back).
 */
export function planAdmission(tasks: readonly TaskObject[], limit: number | undefined, input: AdmissionInput = {}): AdmissionPlan {
  const { nowMs = Date.now(), isChecked = () => false, agentCreatedMs = -Infinity, admittedBefore = () => false } = input;
  // A retry whose backoff is over waits for a slot in its original place (creationTimestamp).
  const retryWaits = (t: TaskObject) => isRetryDue(t, nowMs) && !isStopRequested(t) && !t.metadata.deletionTimestamp;
  const waits = (t: TaskObject) => isWaiting(t) || (isNew(t) && isChecked(t)) || retryWaits(t);
  const admittedAlready = new Set(tasks.filter((t) => waits(t) && admittedBefore(t)));
  const running = tasks.filter(holdsSlot).length + admittedAlready.size;
  const line = tasks.filter((t) => !admittedAlready.has(t) && (waits(t) || holdsPlace(t, nowMs, agentCreatedMs))).sort(fifoCompare);
  const firstUnchecked = line.findIndex((t) => !waits(t));
  const waiting = line.filter(waits);
  const free = !limit ? waiting.length : Math.max(0, limit - running);
  const admissible = firstUnchecked < 0 ? free : Math.min(free, firstUnchecked);
  return {
    running,
    admit: [...admittedAlready, ...waiting.slice(0, admissible)].sort(fifoCompare),
    queue: waiting.slice(admissible).map((task, i) => ({ task, position: i + 1 })),
  };
}
