/**
 * CronTask: a Task made on a schedule, with the semantics of Kubernetes' CronJob where they
 * apply (schedule and time zone, concurrency policy, starting deadline, suspend, history
 * limits), and a manual run through an annotation.
 */
import { CronExpressionParser } from 'cron-parser';
import { Condition, conditionsSchema } from './conditions.js';
import { arr, bool, int, JSONSchema, obj, Rule, str, stringMap, timestamp, withRules } from './schema.js';
import { taskSpecSchema } from './task.js';

/** The macros Kubernetes' CronJob takes besides five fields. */
export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

/** Five whitespace-separated fields, or a macro (RE2 and JavaScript alike). */
const CRON_SHAPE = `^\\s*(${CRON_MACROS.join('|')}|\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\S+)\\s*$`;

/** Why `schedule` is not a schedule (the parser's own words), or undefined when it is one. */
export function scheduleProblem(schedule: string): string | undefined {
  if (!new RegExp(CRON_SHAPE).test(schedule)) return 'must have five fields (minute hour day-of-month month day-of-week) or be a macro such as @hourly';
  try {
    CronExpressionParser.parse(schedule.trim(), { tz: 'UTC' });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Why `timeZone` is not an IANA time zone name, or undefined when it is one. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return `"${timeZone}" is not a time zone of the IANA database (such as Europe/Berlin or UTC)`;
  }
}

const scheduleRule: Rule = {
  // The API server checks the shape (five fields or a macro); the values (minute 0-59, ...)
  // are checked by `kubeopencode render`, the constructs, and the reconciler's Ready condition.
  rule: `self.matches('${CRON_SHAPE.replace(/\\/g, '\\\\')}')`,
  message: 'must have five fields (minute hour day-of-month month day-of-week) or be a macro such as @hourly',
  holds: (s: string) => new RegExp(CRON_SHAPE).test(s),
};

const noTimeZoneInScheduleRule: Rule = {
  rule: "!self.contains('TZ=')",
  message: 'must not set the time zone with TZ= or CRON_TZ=: use spec.timeZone',
  holds: (s: string) => !s.includes('TZ='),
};

const timeZoneRule: Rule = {
  // An IANA name's shape; whether the database knows it is checked where the schedule is computed.
  rule: "self.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$')",
  message: 'must be an IANA time zone name such as Europe/Berlin or UTC',
  holds: (z: string) => /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(z),
};

export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

export const cronTaskSpecSchema: JSONSchema = obj('When to make Tasks, and the Task to make.', {
  schedule: withRules(str('When to make a Task: five cron fields (minute hour day-of-month month day-of-week), ' +
    'e.g. "0 3 * * 1-5", or a macro (@hourly, @daily, @weekly, @monthly, @yearly).', { minLength: 1, maxLength: 256 }),
  noTimeZoneInScheduleRule, scheduleRule),
  timeZone: withRules(str('The time zone of the schedule (IANA name, e.g. Europe/Berlin). Default: UTC. ' +
    'A time the clock skips (spring forward) runs an hour later that day; a time it repeats (fall back) runs once.',
  { maxLength: 64 }), timeZoneRule),
  concurrencyPolicy: str('What to do when a Task of this CronTask still runs at the next scheduled time: Allow ' +
    '(start another), Forbid (skip the new one; it starts once the running one ends, if still within ' +
    'startingDeadlineSeconds), Replace (delete the running one, then start the new one).',
  { enum: [...CONCURRENCY_POLICIES], default: 'Allow' }),
  startingDeadlineSeconds: int('A scheduled time missed by more than this many seconds (controller down, Forbid) is ' +
    'skipped. Unset: the latest missed time is caught up, once, whenever that is.', { minimum: 0, maximum: 365 * 24 * 3600 }),
  suspend: bool('Make no Task on schedule while true (manual runs still work). Default: false.', { default: false }),
  successfulHistoryLimit: int('Completed Tasks to keep; older ones are deleted. Default: 3.', { minimum: 0, maximum: 1000, default: 3 }),
  failedHistoryLimit: int('Failed Tasks to keep; older ones are deleted. Default: 1.', { minimum: 0, maximum: 1000, default: 1 }),
  taskTemplate: obj('The Task to make at each scheduled time.', {
    metadata: obj('Labels and annotations of each Task (its name is made from the CronTask\'s and the time).', {
      labels: stringMap('Labels of each Task.'),
      annotations: stringMap('Annotations of each Task.'),
    }),
    spec: taskSpecSchema,
  }, { required: ['spec'] }),
}, { required: ['schedule', 'taskTemplate'] });

export const cronTaskStatusSchema: JSONSchema = obj('What the reconciler observed of this CronTask.', {
  observedGeneration: { ...int('The metadata.generation last acted on.', { minimum: 0 }), format: 'int64' },
  active: arr('Tasks of this CronTask that have not finished.', obj('A Task.', {
    name: str('Name of the Task.'),
    uid: str('UID of the Task.'),
  }), { 'x-kubernetes-list-type': 'atomic' }),
  lastScheduleTime: timestamp('The scheduled time of the latest Task made on schedule.'),
  lastSuccessfulTime: timestamp('When the latest Completed Task finished.'),
  nextScheduleTime: timestamp('The next time a Task is due (unset while suspended or when the schedule is invalid).'),
  lastManualRun: str('The value of the kubeopencode.io/run-now annotation last acted on.', { maxLength: 256 }),
  conditions: conditionsSchema,
});

export interface CronTaskStatus {
  readonly observedGeneration?: number;
  readonly active?: readonly { readonly name: string; readonly uid?: string }[];
  readonly lastScheduleTime?: string;
  readonly lastSuccessfulTime?: string;
  readonly nextScheduleTime?: string;
  readonly lastManualRun?: string;
  readonly conditions?: readonly Condition[];
}
