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
 *
 * cron-parser's prev() and next() disagree next to a daylight-saving change (next() moves a
 * skipped wall-clock time forward, prev() skips it), and next() is what nextDue() shows: so
 * the answer is walked forward with next(), from a little before prev()'s answer (at most a
 * couple of hours of minutes: bounded).
 */
export function latestDue(schedule: Schedule, after: Date, now: Date): Date | undefined {
  if (now.getTime() <= after.getTime()) return undefined;
  const hint = times(schedule, new Date(now.getTime() + 1)).prev().toDate();
  const from = Math.max(after.getTime(), hint.getTime() - DST_SLACK_MS);
  const forward = times(schedule, new Date(from));
  let latest: Date | undefined;
  for (let due = forward.next().toDate(); due.getTime() <= now.getTime(); due = forward.next().toDate()) latest = due;
  return latest;
}

/** More than any daylight-saving shift. */
const DST_SLACK_MS = 2 * 3600_000;

/** The first due time strictly after `now`. */
export function nextDue(schedule: Schedule, now: Date): Date {
  return times(schedule, now).next().toDate();
}
