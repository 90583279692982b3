/**
 * reconcileCronTask: makes a CronTask's Tasks on schedule. The decision is planCronTask's
 * (pure); this does the I/O in an order that a crash at any point leaves repairable:
 * delete replaced Tasks, make the new ones (their names come from the due time, so making
 * one twice finds the first), write the status, prune history.
 */
import { CRONTASK_TASKS, done, ReconcileContext, requeueAfter, Result, taskKey } from './context.js';
import { CronPlan, planCronTask, TaskToMake } from './cron-plan.js';
import { CronTaskObject, keyOf, TaskObject } from './objects.js';
import { isConflict, isNotFound } from './runtime/api-errors.js';
import { Annotations, API_VERSION, Kinds, Labels } from '../api/constants.js';

export async function reconcileCronTask(ctx: ReconcileContext, key: string): Promise<Result> {
  const cron = ctx.caches.cronTasks.get(key);
  if (!cron || cron.metadata.deletionTimestamp) return done;
  const owned = ownedTasks(ctx, cron);
  const plan = planCronTask(cron, owned, ctx.now());
  for (const task of plan.replace) await deleteTask(ctx, task);
  for (const task of plan.make) await makeTask(ctx, cron, task);
  const written = await writeStatus(ctx, cron, plan);
  if (!written) return requeueAfter(0);
  for (const task of plan.prune) await deleteTask(ctx, task);
  for (const event of plan.events) ctx.events.record(Kinds.cronTask.kind, cron, event, ctx.now());
  return plan.requeueAfterMs === undefined ? done : requeueAfter(plan.requeueAfterMs);
}

/** The Tasks this CronTask made: its label, and its ownerReference (a look-alike label alone is not enough). */
function ownedTasks(ctx: ReconcileContext, cron: CronTaskObject): TaskObject[] {
  return ctx.caches.tasks.byIndex(CRONTASK_TASKS, `${cron.metadata.namespace}/${cron.metadata.name}`)
    .filter((t) => t.metadata.ownerReferences?.some((o) => o.uid === cron.metadata.uid));
}

/** The Task of a template, owned by the CronTask (deleting the CronTask deletes its Tasks). */
export function taskFor(cron: CronTaskObject, make: TaskToMake): TaskObject {
  const template = cron.spec.taskTemplate;
  return {
    apiVersion: API_VERSION,
    kind: Kinds.task.kind,
    metadata: {
      name: make.name,
      namespace: cron.metadata.namespace,
      labels: { ...template.metadata?.labels, [Labels.cronTask]: cron.metadata.name },
      annotations: { ...template.metadata?.annotations, [Annotations.scheduledAt]: make.scheduledAt },
      ownerReferences: [{
        apiVersion: API_VERSION,
        kind: Kinds.cronTask.kind,
        name: cron.metadata.name,
        uid: cron.metadata.uid!,
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: template.spec,
  };
}

async function makeTask(ctx: ReconcileContext, cron: CronTaskObject, make: TaskToMake): Promise<void> {
  const { task, created } = await ctx.kube.createTask(taskFor(cron, make));
  ctx.caches.tasks.upsert(task);
  // The cache now holds it, so its watch event will wake no one: start its own reconcile here.
  ctx.enqueue(taskKey(keyOf(task)));
  if (created) ctx.logger.info('created Task', { task: make.name, scheduledAt: make.scheduledAt });
}

async function deleteTask(ctx: ReconcileContext, task: TaskObject): Promise<void> {
  try {
    await ctx.kube.deleteTask(task);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** False when the CronTask changed meanwhile (409): the reconcile starts over on the fresh one. */
async function writeStatus(ctx: ReconcileContext, cron: CronTaskObject, plan: CronPlan): Promise<boolean> {
  const { status } = plan;
  if (sameJson(cron.status ?? {}, status)) return true;
  // Fields the plan leaves unset are removed (merge patch: null).
  const nulls = Object.fromEntries(['lastScheduleTime', 'nextScheduleTime', 'lastSuccessfulTime', 'lastManualRun']
    .filter((k) => status[k as keyof typeof status] === undefined).map((k) => [k, null]));
  try {
    ctx.caches.cronTasks.upsert(await ctx.kube.patchCronTaskStatus(cron, { ...nulls, ...status }));
    return true;
  } catch (e) {
    if (isNotFound(e)) return true;
    if (!isConflict(e)) throw e;
    return false;
  }
}

/** Equal as JSON, whatever the order of keys (the API server may return them in another order). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([x], [y]) => (x < y ? -1 : 1));
      return Object.fromEntries(entries.map(([k, x]) => [k, canonical(x)]));
    }
    return v;
  };
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
