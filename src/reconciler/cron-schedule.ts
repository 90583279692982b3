/**
 * Schedule arithmetic of a CronTask (pure): the latest due time not yet acted on, and the
 * next one. cron-parser does the calendar and time-zone work (its luxon-backed dates follow
 * the IANA rules): a wall-clock time the clock skips when it springs forward is due an hour
 * later that day, one it passes twice when it falls back is due once.
 */
import { CronExpressionParser } from 'cron-parser';
import { scheduleProblem, timeZoneProblem } from '../api/crontask.js';

export interface Schedule {
  /** The cron expression, five fields or a macro. */
  readonly expression: string;
  /** @default UTC */
  readonly timeZone?: string;
}

/** Why the schedule cannot be computed, or undefined when it can. */
export function scheduleError(schedule: Schedule): string | undefined {
  const expression = scheduleProblem(schedule.expression);
  if (expression) return `schedule "${schedule.expression}": ${expression}`;
  return schedule.timeZone === undefined ? undefined : timeZoneProblem(schedule.timeZone);
}

function times(schedule: Schedule, from: Date) {
  return CronExpressionParser.parse(schedule.expression.trim(), { currentDate: from, tz: schedule.timeZone ?? 'UTC' });
}

/**
 * The latest due time in (after, now], or undefined. Only the latest: runs missed while no
 * controller ran (or while a run was forbidden) are caught up once, not one by one.
 */
export function latestDue(schedule: Schedule, after: Date, now: Date): Date | undefined {
  if (now.getTime() <= after.getTime()) return undefined;
  // prev() is strictly before its start: start just after `now` so that `now` itself counts.
  const latest = times(schedule, new Date(now.getTime() + 1)).prev().toDate();
  return latest.getTime() > after.getTime() ? latest : undefined;
}

/** The first due time strictly after `now`. */
export function nextDue(schedule: Schedule, now: Date): Date {
  return times(schedule, now).next().toDate();
}
