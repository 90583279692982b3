/**
 * What a CronTask's reconcile does now (pure): which Task to make (on schedule, or a manual
 * run), which running Tasks to delete (Replace), which finished ones to prune, and the
 * status to show. The semantics are Kubernetes CronJob's where they apply:
 *
 * - Due times are counted from lastScheduleTime (or the CronTask's creation); with
 *   startingDeadlineSeconds, times older than that are skipped. Only the latest due time is
 *   acted on, so a controller that was down catches up once, not once per missed time.
 * - Forbid: while a Task runs, a due time waits (lastScheduleTime stays), and is caught up
 *   when the running Task ends, if still within the deadline.
 * - Replace: running Tasks are deleted, then the new one is made.
 * - suspend: nothing on schedule; manual runs still work (as `kubectl create job --from`).
 * - A Task's name is derived from its due time, so making it twice (a crash between the
 *   create and the status write) finds the first one.
 */
import { createHash } from 'node:crypto';
import { latestDue, nextDue, Schedule, scheduleError } from './cron-schedule.js';
import { CronTaskObject, TaskObject } from './objects.js';
import { kubeTime } from './runtime/time.js';
import { ConditionInput, setCondition } from './status.js';
import { Annotations, ConditionType, FINISHED_PHASES, Phase, Reason } from '../api/constants.js';
import { CronTaskStatus } from '../api/crontask.js';

/** Beyond this a requeue is not kept waiting in a timer: the periodic resync and events cover it. */
const MAX_WAIT_MS = 60 * 60 * 1000;

export interface CronEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** A Task to make: its name and what it is for. */
export interface TaskToMake {
  readonly name: string;
  /** The due time (RFC 3339), or `manual`. */
  readonly scheduledAt: string;
}

export interface CronPlan {
  /** Tasks to make, in order. */
  readonly make: readonly TaskToMake[];
  /** Running Tasks to delete first (Replace). */
  readonly replace: readonly TaskObject[];
  /** Finished Tasks beyond the history limits, oldest first. */
  readonly prune: readonly TaskObject[];
  /** The status once the above is done. */
  readonly status: CronTaskStatus;
  readonly events: readonly CronEvent[];
  /** When to look again (undefined: only when something changes). */
  readonly requeueAfterMs?: number;
}

const isFinished = (t: TaskObject) => !!t.status?.phase && FINISHED_PHASES.includes(t.status.phase);
const isStopped = (t: TaskObject) => t.status?.conditions?.some((c) => c.type === ConditionType.stopped && c.status === 'True') ?? false;
const finishedAt = (t: TaskObject) => Date.parse(t.status?.completionTime ?? '') || Date.parse(t.metadata.creationTimestamp ?? '') || 0;
const oldestFirst = (a: TaskObject, b: TaskObject) => finishedAt(a) - finishedAt(b) || (a.metadata.name < b.metadata.name ? -1 : 1);

/** `<crontask>-<minutes since the epoch>`, as CronJob names its Jobs. */
export const scheduledTaskName = (cron: string, due: Date): string => `${cron}-${Math.floor(due.getTime() / 60_000)}`;
export const manualTaskName = (cron: string, token: string): string =>
  `${cron}-manual-${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;

/** The finished Tasks beyond the history limits (Completed and Failed counted apart), oldest first. */
export function overHistory(tasks: readonly TaskObject[], successfulLimit: number, failedLimit: number): TaskObject[] {
  const finished = tasks.filter((t) => isFinished(t) && !t.metadata.deletionTimestamp).sort(oldestFirst);
  const beyond = (phase: string, limit: number) => {
    const ofPhase = finished.filter((t) => t.status?.phase === phase);
    return ofPhase.slice(0, Math.max(0, ofPhase.length - limit));
  };
  return [...beyond(Phase.completed, successfulLimit), ...beyond(Phase.failed, failedLimit)].sort(oldestFirst);
}

function lastSuccess(tasks: readonly TaskObject[], previous: string | undefined): string | undefined {
  const times = tasks.filter((t) => t.status?.phase === Phase.completed && !isStopped(t))
    .map((t) => t.status?.completionTime).filter((t): t is string => !!t);
  return [previous, ...times].filter((t): t is string => !!t).sort().pop();
}

export function planCronTask(cron: CronTaskObject, owned: readonly TaskObject[], now: Date): CronPlan {
  const spec = cron.spec;
  const status = cron.status ?? {};
  const nowText = kubeTime(now);
  const condition = (input: ConditionInput) => setCondition(status.conditions, input, nowText, cron.metadata.generation);
  const events: CronEvent[] = [];
  const make: TaskToMake[] = [];
  let replace: TaskObject[] = [];
  const active = owned.filter((t) => !isFinished(t) && !t.metadata.deletionTimestamp);

  const token = cron.metadata.annotations?.[Annotations.runNow];
  const manual = token && token !== status.lastManualRun ? token : undefined;
  if (manual) make.push({ name: manualTaskName(cron.metadata.name, manual), scheduledAt: 'manual' });

  const schedule: Schedule = { expression: spec.schedule, timeZone: spec.timeZone };
  const problem = scheduleError(schedule);
  const base = {
    observedGeneration: cron.metadata.generation,
    lastManualRun: manual ?? status.lastManualRun,
    lastSuccessfulTime: lastSuccess(owned, status.lastSuccessfulTime),
  };
  const prune = overHistory(owned, spec.successfulHistoryLimit ?? 3, spec.failedHistoryLimit ?? 1);
  const activeAfter = (made: readonly TaskToMake[], replaced: readonly TaskObject[]) => [
    ...active.filter((t) => !replaced.includes(t)).map((t) => ({ name: t.metadata.name, uid: t.metadata.uid })),
    ...made.filter((m) => !active.some((t) => t.metadata.name === m.name)).map((m) => ({ name: m.name })),
  ];

  if (problem) {
    if (status.conditions?.find((c) => c.type === ConditionType.ready)?.message !== problem) {
      events.push({ type: 'Warning', reason: Reason.invalidSchedule, message: problem });
    }
    return {
      make,
      replace,
      prune,
      events,
      status: {
        ...base,
        lastScheduleTime: status.lastScheduleTime,
        nextScheduleTime: undefined,
        active: activeAfter(make, replace),
        conditions: condition({ type: ConditionType.ready, status: 'False', reason: Reason.invalidSchedule, message: problem }),
      },
    };
  }

  let lastScheduleTime = status.lastScheduleTime;
  let waiting: string | undefined;
  if (!spec.suspend) {
    const created = Date.parse(cron.metadata.creationTimestamp ?? '') || now.getTime();
    const after = Date.parse(status.lastScheduleTime ?? '') || created;
    const latest = latestDue(schedule, new Date(after), now);
    // A time missed by more than the deadline is skipped (the walk itself starts from the last run,
    // so that a run moved by a daylight-saving change is found whatever the deadline).
    const tooLate = latest && spec.startingDeadlineSeconds !== undefined && now.getTime() - latest.getTime() > spec.startingDeadlineSeconds * 1000;
    const due = tooLate ? undefined : latest;
    if (due) {
      const policy = spec.concurrencyPolicy ?? 'Allow';
      if (policy === 'Forbid' && active.length) {
        waiting = `the Task due at ${kubeTime(due)} waits: ${active.map((t) => t.metadata.name).join(', ')} still runs (concurrencyPolicy Forbid)`;
      } else {
        if (policy === 'Replace') replace = active;
        make.push({ name: scheduledTaskName(cron.metadata.name, due), scheduledAt: kubeTime(due) });
        lastScheduleTime = kubeTime(due);
      }
    }
  }

  const next = spec.suspend ? undefined : nextDue(schedule, now);
  const ready: ConditionInput = spec.suspend
    ? { type: ConditionType.ready, status: 'True', reason: Reason.suspended, message: 'Suspended: no Task is made on schedule' }
    : waiting
      ? { type: ConditionType.ready, status: 'True', reason: Reason.scheduled, message: `Next Task at ${kubeTime(next!)}; ${waiting}` }
      : { type: ConditionType.ready, status: 'True', reason: Reason.scheduled, message: `Next Task at ${kubeTime(next!)}` };
  const previousReady = status.conditions?.find((c) => c.type === ConditionType.ready);
  if (waiting && !previousReady?.message.includes(waiting)) events.push({ type: 'Normal', reason: 'ConcurrencyForbidden', message: waiting });
  for (const t of replace) events.push({ type: 'Normal', reason: 'TaskReplaced', message: `Deleted ${t.metadata.name}, which still ran (concurrencyPolicy Replace)` });
  for (const m of make) events.push({ type: 'Normal', reason: 'TaskCreated', message: `Created Task ${m.name}${m.scheduledAt === 'manual' ? ' (manual run)' : ` for ${m.scheduledAt}`}` });

  return {
    make,
    replace,
    prune,
    events,
    status: {
      ...base,
      lastScheduleTime,
      nextScheduleTime: next ? kubeTime(next) : undefined,
      active: activeAfter(make, replace),
      conditions: condition(ready),
    },
    requeueAfterMs: next ? Math.min(MAX_WAIT_MS, Math.max(0, next.getTime() - now.getTime())) : undefined,
  };
}
