import { latestDue, nextDue, scheduleError } from '../../src/reconciler/cron-schedule.js';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | undefined) => d?.toISOString();

describe('cron schedule arithmetic (pure)', () => {
  test('latestDue: the latest due time in (after, now], "now" itself included', () => {
    const every15 = { expression: '*/15 * * * *' };
    expect(iso(latestDue(every15, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:40:00Z')))).toBe('2026-01-01T00:30:00.000Z');
    expect(iso(latestDue(every15, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:30:00Z')))).toBe('2026-01-01T00:30:00.000Z');
    expect(latestDue(every15, at('2026-01-01T00:30:00Z'), at('2026-01-01T00:40:00Z'))).toBeUndefined();
    expect(latestDue(every15, at('2026-01-01T00:40:00Z'), at('2026-01-01T00:40:00Z'))).toBeUndefined();
  });

  test('after a long outage only the latest missed time is due (one catch-up)', () => {
    expect(iso(latestDue({ expression: '@hourly' }, at('2026-01-01T00:00:00Z'), at('2026-01-03T05:59:00Z')))).toBe('2026-01-03T05:00:00.000Z');
  });

  test('nextDue is strictly after now; time zones move the wall clock', () => {
    expect(iso(nextDue({ expression: '0 9 * * 1-5', timeZone: 'Europe/Berlin' }, at('2026-03-27T08:00:00Z')))).toBe('2026-03-30T07:00:00.000Z');
    expect(iso(nextDue({ expression: '0 9 * * *', timeZone: 'Asia/Kolkata' }, at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T03:30:00.000Z');
    expect(iso(nextDue({ expression: '0 0 * * *' }, at('2026-01-01T00:00:00Z')))).toBe('2026-01-02T00:00:00.000Z');
  });

  test('spring forward (America/New_York, 2026-03-08 02:00 -> 03:00): 02:30 does not exist and is due an hour later, once', () => {
    const daily = { expression: '30 2 * * *', timeZone: 'America/New_York' };
    expect(iso(nextDue(daily, at('2026-03-07T12:00:00Z')))).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
    expect(iso(nextDue(daily, at('2026-03-08T07:30:00Z')))).toBe('2026-03-09T06:30:00.000Z'); // 02:30 EDT the next day
  });

  test('fall back (America/New_York, 2026-11-01 02:00 -> 01:00): 01:30 happens twice and is due once', () => {
    const daily = { expression: '30 1 * * *', timeZone: 'America/New_York' };
    const first = nextDue(daily, at('2026-10-31T12:00:00Z'));
    expect(iso(first)).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
    expect(iso(nextDue(daily, first))).toBe('2026-11-02T06:30:00.000Z'); // not 01:30 EST the same night
    // Hourly runs every real hour through the change: 01:00 EDT, 01:00 EST, 02:00 EST.
    const hourly = { expression: '0 * * * *', timeZone: 'America/New_York' };
    const a = nextDue(hourly, at('2026-11-01T04:30:00Z'));
    const b = nextDue(hourly, a);
    const c = nextDue(hourly, b);
    expect([a, b, c].map(iso)).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z']);
  });

  test('scheduleError names what is wrong', () => {
    expect(scheduleError({ expression: '0 3 * * 1-5', timeZone: 'Europe/Berlin' })).toBeUndefined();
    expect(scheduleError({ expression: '@daily' })).toBeUndefined();
    expect(scheduleError({ expression: '61 * * * *' })).toMatch(/^schedule "61 \* \* \* \*": .*59/);
    expect(scheduleError({ expression: '* * * *' })).toContain('must have five fields');
    expect(scheduleError({ expression: '0 * * * * *' })).toContain('must have five fields');
    expect(scheduleError({ expression: '* * * * *', timeZone: 'Mars/Olympus' })).toContain('"Mars/Olympus" is not a time zone');
  });
});

describe('latestDue next to daylight-saving changes (pure)', () => {
  test('the moved spring-forward run is found as nextDue shows it, once', () => {
    const daily = { expression: '30 2 * * *', timeZone: 'America/New_York' };
    const shown = nextDue(daily, at('2027-03-14T05:00:00Z'));
    expect(iso(shown)).toBe('2027-03-14T07:30:00.000Z');
    expect(iso(latestDue(daily, at('2027-03-14T05:00:00Z'), at('2027-03-14T07:30:01Z')))).toBe('2027-03-14T07:30:00.000Z');
    expect(latestDue(daily, at('2027-03-14T07:30:00Z'), at('2027-03-15T06:00:00Z'))).toBeUndefined();
  });

  test('every minute across the fall-back hour: each real minute, the latest is the one just past', () => {
    const minutely = { expression: '* * * * *', timeZone: 'America/New_York' };
    expect(iso(latestDue(minutely, at('2026-11-01T05:00:00Z'), at('2026-11-01T06:59:30Z')))).toBe('2026-11-01T06:59:00.000Z');
  });
});
