/**
 * Deleting finished Tasks, as KubeOpenCodeConfig's cleanup says: after
 * ttlSecondsAfterFinished, and beyond maxRetainedTasks per namespace (oldest first).
 * Their Pods and ConfigMaps go with them (ownerReferences, or the finalizer across
 * namespaces).
 */
import { done, ReconcileContext, requeueAfter, Result, retentionKey, TASKS_BY_NAMESPACE } from './context.js';
import { TaskObject } from './objects.js';
import { isNotFound } from './runtime/api-errors.js';
import { FINISHED_PHASES } from '../api/constants.js';

const finishedAt = (t: TaskObject): number => Date.parse(t.status?.completionTime ?? '') || 0;

/** The finished Tasks of a namespace beyond `max`, oldest first (pure). */
export function overRetention(tasks: readonly TaskObject[], max: number): TaskObject[] {
  const finished = tasks
    .filter((t) => t.status?.phase && FINISHED_PHASES.includes(t.status.phase) && !t.metadata.deletionTimestamp)
    .sort((a, b) => finishedAt(a) - finishedAt(b) || (a.metadata.name < b.metadata.name ? -1 : 1));
  return finished.slice(0, Math.max(0, finished.length - max));
}

const cleanupSettings = (ctx: ReconcileContext) => ctx.caches.configs.list()[0]?.spec.cleanup;

/** After a Task finished: its TTL, and (through one queued pass per namespace) retention. */
export async function cleanupFinished(ctx: ReconcileContext, task: TaskObject): Promise<Result> {
  const cleanup = cleanupSettings(ctx);
  if (!cleanup) return done;
  if (cleanup.maxRetainedTasks !== undefined) ctx.enqueue(retentionKey(task.metadata.namespace));
  const ttl = cleanup.ttlSecondsAfterFinished;
  if (ttl === undefined || task.metadata.deletionTimestamp) return done;
  const left = finishedAt(task) + ttl * 1000 - ctx.now().getTime();
  if (left > 0) return requeueAfter(left);
  await deleteQuietly(ctx, task, `finished more than ${ttl} s ago`);
  return done;
}

async function deleteQuietly(ctx: ReconcileContext, task: TaskObject, why: string): Promise<void> {
  try {
    await ctx.kube.deleteTask(task);
    ctx.logger.info('deleted finished Task', { task: `${task.metadata.namespace}/${task.metadata.name}`, why });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** Keeps at most maxRetainedTasks finished Tasks in a namespace. */
export async function reconcileRetention(ctx: ReconcileContext, namespace: string): Promise<Result> {
  const max = cleanupSettings(ctx)?.maxRetainedTasks;
  if (max === undefined) return done;
  for (const old of overRetention(ctx.caches.tasks.byIndex(TASKS_BY_NAMESPACE, namespace), max)) {
    await deleteQuietly(ctx, old, `more than ${max} finished Tasks in namespace ${namespace}`);
  }
  return done;
}
