/**
 * Time intervals with Alertmanager's semantics (prometheus/alertmanager timeinterval/timeinterval.go:
 * ContainsTime, parseTime, the Unmarshal checks; docs/configuration.md `<time_interval>`), evaluated
 * on the wall clock of an IANA zone. The DST cases fail with a fixed offset: Europe/Berlin is
 * +01:00 until 2026-03-29 01:00Z and from 2026-10-25 01:00Z, +02:00 between; America/New_York is
 * -05:00 until 2026-03-08 07:00Z and from 2026-11-01 06:00Z, -04:00 between (IANA tzdata rules
 * for CET/CEST and EST/EDT).
 */
import { describe, expect, it } from 'vitest';

import { parseAlertingDocument } from '../../../lib/alerts/alertingConfig.js';
import { latestOccurrence } from '../../../lib/alerts/digestSchedule.js';
import { intervalContains, type TimeIntervalEntry, timeIntervalEntrySchema } from '../../../lib/alerts/timeIntervals.js';
import { SECRETS } from '../../harness/alerts.js';

function entry(raw: Record<string, unknown>): TimeIntervalEntry {
  return timeIntervalEntrySchema.parse(raw);
}

const at = (iso: string) => new Date(iso);

describe('time interval fields', () => {
  it('times: the start is inclusive, the end exclusive, 24:00 ends the day', () => {
    const office = entry({ times: [{ startTime: '09:00', endTime: '17:00' }] });
    expect(intervalContains([office], at('2026-11-18T08:59:59Z'))).toBe(false);
    expect(intervalContains([office], at('2026-11-18T09:00:00Z'))).toBe(true);
    expect(intervalContains([office], at('2026-11-18T16:59:59Z'))).toBe(true);
    expect(intervalContains([office], at('2026-11-18T17:00:00Z'))).toBe(false);
    const evening = entry({ times: [{ startTime: '20:00', endTime: '24:00' }] });
    expect(intervalContains([evening], at('2026-11-18T23:59:00Z'))).toBe(true);
    expect(intervalContains([evening], at('2026-11-19T00:00:00Z'))).toBe(false);
  });

  it('weekdays: names and inclusive ranges, any case', () => {
    const weekdays = entry({ weekdays: ['Monday:friday'] });
    // 2026-11-16 is a Monday.
    const days = [15, 16, 17, 18, 19, 20, 21].map((day) => intervalContains([weekdays], at(`2026-11-${day}T12:00:00Z`)));
    expect(days).toEqual([false, true, true, true, true, true, false]);
    const weekend = entry({ weekdays: ['saturday', 'sunday'] });
    expect([15, 16, 21].map((day) => intervalContains([weekend], at(`2026-11-${day}T12:00:00Z`)))).toEqual([true, false, true]);
  });

  it('daysOfMonth: ranges and negative days from the end of the month (leap years included)', () => {
    const last = entry({ daysOfMonth: ['-1'] });
    expect(intervalContains([last], at('2026-02-28T12:00:00Z'))).toBe(true);
    expect(intervalContains([last], at('2028-02-28T12:00:00Z'))).toBe(false);
    expect(intervalContains([last], at('2028-02-29T12:00:00Z'))).toBe(true);
    expect(intervalContains([last], at('2026-04-30T12:00:00Z'))).toBe(true);
    const firstWeekAndLastThree = entry({ daysOfMonth: ['1:7', '-3:-1'] });
    expect([1, 7, 8, 27, 28, 29, 30].map((day) => intervalContains([firstWeekAndLastThree], at(`2026-11-${String(day).padStart(2, '0')}T12:00:00Z`)))).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      true,
    ]);
    // A start past the month's end matches nothing; an end past it is clamped (Alertmanager).
    const late = entry({ daysOfMonth: ['30:31'] });
    expect(intervalContains([late], at('2026-02-28T12:00:00Z'))).toBe(false);
    expect(intervalContains([late], at('2026-04-30T12:00:00Z'))).toBe(true);
    const wholeMonth = entry({ daysOfMonth: ['1:-1'] });
    expect(intervalContains([wholeMonth], at('2026-02-28T12:00:00Z'))).toBe(true);
  });

  it('months by name or number, years as ranges', () => {
    const quarter = entry({ months: ['january:march', 12] });
    expect(['01', '03', '04', '11', '12'].map((month) => intervalContains([quarter], at(`2026-${month}-15T12:00:00Z`)))).toEqual([
      true,
      true,
      false,
      false,
      true,
    ]);
    const years = entry({ years: ['2026:2027'] });
    expect(['2025', '2026', '2027', '2028'].map((year) => intervalContains([years], at(`${year}-06-15T12:00:00Z`)))).toEqual([false, true, true, false]);
  });

  it('an entry matches when all its fields do; an interval when any entry does', () => {
    const weekdayMornings = entry({ weekdays: ['monday:friday'], times: [{ startTime: '06:00', endTime: '09:00' }] });
    const sundays = entry({ weekdays: ['sunday'] });
    expect(intervalContains([weekdayMornings], at('2026-11-16T07:00:00Z'))).toBe(true);
    expect(intervalContains([weekdayMornings], at('2026-11-15T07:00:00Z'))).toBe(false);
    expect(intervalContains([weekdayMornings, sundays], at('2026-11-15T07:00:00Z'))).toBe(true);
    expect(intervalContains([entry({})], at('2026-11-15T07:00:00Z'))).toBe(true);
    expect(intervalContains([], at('2026-11-15T07:00:00Z'))).toBe(false);
  });

  it('location: the wall clock of the zone decides, date and weekday included', () => {
    const tokyoMonday = entry({ weekdays: ['monday'], times: [{ startTime: '08:00', endTime: '10:00' }], location: 'Asia/Tokyo' });
    // Sunday 23:30 UTC is Monday 08:30 in Tokyo.
    expect(intervalContains([tokyoMonday], at('2026-11-15T23:30:00Z'))).toBe(true);
    expect(intervalContains([tokyoMonday], at('2026-11-16T23:30:00Z'))).toBe(false);
    const lastDayInAuckland = entry({ daysOfMonth: ['-1'], location: 'Pacific/Auckland' });
    expect(intervalContains([lastDayInAuckland], at('2026-11-29T12:00:00Z'))).toBe(true);
  });
});

describe('time intervals across DST changes (fail with a fixed offset)', () => {
  const berlinOffice = entry({ weekdays: ['monday:friday'], times: [{ startTime: '09:00', endTime: '17:00' }], location: 'Europe/Berlin' });

  it('Europe/Berlin 09:00-17:00 on the Mondays after the last Sundays of March and October', () => {
    // 2026-03-30: CEST, 09:00 local = 07:00Z.
    expect(intervalContains([berlinOffice], at('2026-03-30T06:59:00Z'))).toBe(false);
    expect(intervalContains([berlinOffice], at('2026-03-30T07:00:00Z'))).toBe(true);
    expect(intervalContains([berlinOffice], at('2026-03-30T14:59:00Z'))).toBe(true);
    expect(intervalContains([berlinOffice], at('2026-03-30T15:00:00Z'))).toBe(false);
    // 2026-10-26: CET again, 09:00 local = 08:00Z.
    expect(intervalContains([berlinOffice], at('2026-10-26T07:59:00Z'))).toBe(false);
    expect(intervalContains([berlinOffice], at('2026-10-26T08:00:00Z'))).toBe(true);
    expect(intervalContains([berlinOffice], at('2026-10-26T15:59:00Z'))).toBe(true);
    expect(intervalContains([berlinOffice], at('2026-10-26T16:00:00Z'))).toBe(false);
  });

  it('America/New_York 09:00-17:00 before and after the March change', () => {
    const newYork = entry({ times: [{ startTime: '09:00', endTime: '17:00' }], location: 'America/New_York' });
    expect(intervalContains([newYork], at('2026-03-06T13:59:00Z'))).toBe(false);
    expect(intervalContains([newYork], at('2026-03-06T14:00:00Z'))).toBe(true);
    expect(intervalContains([newYork], at('2026-03-09T12:59:00Z'))).toBe(false);
    expect(intervalContains([newYork], at('2026-03-09T13:00:00Z'))).toBe(true);
    expect(intervalContains([newYork], at('2026-03-09T20:59:00Z'))).toBe(true);
    expect(intervalContains([newYork], at('2026-03-09T21:00:00Z'))).toBe(false);
  });

  it('the skipped hour matches no instant; the repeated hour matches twice as long', () => {
    const twoToThree = entry({ times: [{ startTime: '02:00', endTime: '03:00' }], location: 'Europe/Berlin' });
    const minutesIn = (day: string) => {
      let count = 0;
      for (let minute = 0; minute < 24 * 60; minute += 1)
        if (intervalContains([twoToThree], new Date(Date.parse(`${day}T00:00:00Z`) - 3_600_000 + minute * 60_000))) count += 1;
      return count;
    };
    expect(minutesIn('2026-03-29')).toBe(0);
    expect(minutesIn('2026-10-25')).toBe(120);
    expect(minutesIn('2026-11-15')).toBe(60);
  });
});

describe('digest occurrences', () => {
  const schedule = parseAlertingDocument(
    `receivers: [{ name: s, type: slack, webhookUrlSetting: SLACK_URL }]
routes:
  - { name: r, receiver: s, digest: { at: ['09:00'], weekdays: ['monday:friday'], location: Europe/Berlin } }
  - { name: n, receiver: s, digest: { at: ['02:30'], location: Europe/Berlin } }`,
    'x',
    SECRETS,
  ).routes;
  const weekdays = schedule[0]?.digest;
  const night = schedule[1]?.digest;

  it('the latest local occurrence at or before now, weekends skipped', () => {
    if (weekdays === undefined) throw new Error('no digest');
    expect(latestOccurrence(weekdays, at('2026-11-16T07:59:00Z'))).toBe('2026-11-13T09:00');
    expect(latestOccurrence(weekdays, at('2026-11-16T08:00:00Z'))).toBe('2026-11-16T09:00');
    expect(latestOccurrence(weekdays, at('2026-11-21T12:00:00Z'))).toBe('2026-11-20T09:00');
  });

  it('09:00 Berlin falls due at 07:00Z in summer time and 08:00Z in winter time', () => {
    if (weekdays === undefined) throw new Error('no digest');
    expect(latestOccurrence(weekdays, at('2026-03-30T06:59:00Z'))).toBe('2026-03-27T09:00');
    expect(latestOccurrence(weekdays, at('2026-03-30T07:00:00Z'))).toBe('2026-03-30T09:00');
    expect(latestOccurrence(weekdays, at('2026-10-26T07:59:00Z'))).toBe('2026-10-23T09:00');
    expect(latestOccurrence(weekdays, at('2026-10-26T08:00:00Z'))).toBe('2026-10-26T09:00');
  });

  it('a skipped 02:30 falls due at 03:00 local; a repeated 02:30 is one occurrence', () => {
    if (night === undefined) throw new Error('no digest');
    expect(latestOccurrence(night, at('2026-03-29T00:59:00Z'))).toBe('2026-03-28T02:30');
    expect(latestOccurrence(night, at('2026-03-29T01:00:00Z'))).toBe('2026-03-29T02:30');
    // 00:30Z is 02:30 CEST, 01:30Z is 02:30 CET: the same name, so one digest.
    expect(latestOccurrence(night, at('2026-10-25T00:30:00Z'))).toBe('2026-10-25T02:30');
    expect(latestOccurrence(night, at('2026-10-25T01:30:00Z'))).toBe('2026-10-25T02:30');
  });
});
