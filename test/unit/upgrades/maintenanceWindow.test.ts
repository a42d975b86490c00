import { describe, expect, it } from 'vitest';

import { nextMaintenanceWindow } from '../../../lib/upgrades/maintenanceWindow.js';

// Monday 23 November 2026, 08:00 UTC.
const MONDAY = new Date('2026-11-23T08:00:00.000Z');

describe('maintenance windows', () => {
  it('weekly: waits for the next matching day and time', () => {
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } }, durationHours: 4, startTime: '02:00' }, MONDAY)).toEqual(
      { kind: 'wait', opensAt: '2026-11-25T02:00:00.000Z' },
    );
  });

  it('is open while inside the window, including one that began the day before', () => {
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '06:00' }, MONDAY)).toEqual({
      kind: 'open',
    });
    expect(nextMaintenanceWindow({ schedule: { daily: { intervalDays: 1 } }, durationHours: 12, startTime: '22:00' }, MONDAY)).toEqual({ kind: 'open' });
  });

  it('honours the UTC offset', () => {
    // 02:00 at +05:30 is 20:30 UTC the day before: Tuesday 20:30 UTC for a Wednesday window.
    expect(
      nextMaintenanceWindow(
        { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } }, durationHours: 4, startTime: '02:00', utcOffset: '+05:30' },
        MONDAY,
      ),
    ).toEqual({ kind: 'wait', opensAt: '2026-11-24T20:30:00.000Z' });
  });

  it('daily with an interval counts from the start date; monthly picks the day of month', () => {
    expect(nextMaintenanceWindow({ schedule: { daily: { intervalDays: 3 } }, durationHours: 2, startTime: '01:00', startDate: '2026-11-22' }, MONDAY)).toEqual({
      kind: 'wait',
      opensAt: '2026-11-25T01:00:00.000Z',
    });
    expect(
      nextMaintenanceWindow({ schedule: { absoluteMonthly: { intervalMonths: 1, dayOfMonth: 1 } }, durationHours: 4, startTime: '00:00' }, MONDAY),
    ).toEqual({ kind: 'wait', opensAt: '2026-12-01T00:00:00.000Z' });
  });

  it('says so when it cannot tell', () => {
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '25h' }, MONDAY).kind).toBe(
      'unsupported',
    );
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Mondy' } }, durationHours: 4, startTime: '01:00' }, MONDAY).kind).toBe(
      'unsupported',
    );
    expect(
      nextMaintenanceWindow(
        { schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Fifth', dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '01:00' },
        MONDAY,
      ).kind,
    ).toBe('unsupported');
    expect(
      nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '01:00', utcOffset: '5' }, MONDAY)
        .kind,
    ).toBe('unsupported');
    // Every 2 weeks, but from when? The resource does not say: not guessed.
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 2, dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '01:00' }, MONDAY)).toEqual({
      kind: 'unsupported',
      reason: 'a schedule with an interval above 1 and no startDate has no known phase',
    });
    expect(
      nextMaintenanceWindow(
        { schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '01:00', notAllowedDates: [{ start: '2026-12-24', end: '2026-12-20' }] },
        MONDAY,
      ).kind,
    ).toBe('unsupported');
  });

  it('relative-monthly: the nth or last weekday of the month, every intervalMonths from the start date', () => {
    // First Monday of December 2026 is the 7th; the last Friday of November 2026 is the 27th.
    expect(
      nextMaintenanceWindow(
        { schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'First', dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '00:00' },
        MONDAY,
      ),
    ).toEqual({ kind: 'wait', opensAt: '2026-12-07T00:00:00.000Z' });
    expect(
      nextMaintenanceWindow(
        { schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Last', dayOfWeek: 'Friday' } }, durationHours: 4, startTime: '00:00' },
        MONDAY,
      ),
    ).toEqual({ kind: 'wait', opensAt: '2026-11-27T00:00:00.000Z' });
    // Fourth Monday of November 2026 is today (the 23rd), 08:00 is inside a 00:00 + 10 h window.
    expect(
      nextMaintenanceWindow(
        { schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Fourth', dayOfWeek: 'Monday' } }, durationHours: 10, startTime: '00:00' },
        MONDAY,
      ),
    ).toEqual({ kind: 'open' });
    // The official example's schedule: every 3 months from January 2023 (Jan, Apr, Jul, Oct): first Monday of January 2027 is the 4th.
    expect(
      nextMaintenanceWindow(
        {
          schedule: { relativeMonthly: { intervalMonths: 3, weekIndex: 'First', dayOfWeek: 'Monday' } },
          durationHours: 10,
          utcOffset: '+05:30',
          startDate: '2023-01-01',
          startTime: '08:30',
        },
        MONDAY,
      ),
    ).toEqual({ kind: 'wait', opensAt: '2027-01-04T03:00:00.000Z' });
  });

  it('weekly intervals count calendar weeks from the week of the start date (Azure/AKS#5720)', () => {
    // Every 2 weeks on Sunday from Tuesday 2026-04-14: the service first opens on 2026-04-26, not 2026-04-19.
    const spec = { schedule: { weekly: { intervalWeeks: 2, dayOfWeek: 'Sunday' } }, durationHours: 4, startTime: '02:00', startDate: '2026-04-14' };
    expect(nextMaintenanceWindow(spec, new Date('2026-04-14T12:00:00Z'))).toEqual({ kind: 'wait', opensAt: '2026-04-26T02:00:00.000Z' });
    expect(nextMaintenanceWindow(spec, new Date('2026-04-27T12:00:00Z'))).toEqual({ kind: 'wait', opensAt: '2026-05-10T02:00:00.000Z' });
    // Before the start date the window is inactive.
    expect(nextMaintenanceWindow({ schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '02:00', startDate: '2026-12-01' }, MONDAY)).toEqual({
      kind: 'wait',
      opensAt: '2026-12-01T02:00:00.000Z',
    });
  });
});

/**
 * Blackouts (`notAllowedDates`): whole days in the window's UTC offset, both ends included. Source:
 * the MaintenanceWindow documentation on Learn (javascript/api/@azure/arm-containerservice/
 * maintenancewindow): with `+02:00`, `2022-12-23`..`2023-01-03` blocks 2022-12-22 22:00Z to
 * 2023-01-03 22:00Z; the official example MaintenanceConfigurationsGet_MaintenanceWindow.json has two spans.
 */
describe('maintenance windows with blackouts', () => {
  const weeklyWednesday = { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } }, durationHours: 4, startTime: '02:00' };

  it('a window inside a blackout is skipped: the verdict names the next allowed window and the blackout', () => {
    const verdict = nextMaintenanceWindow({ ...weeklyWednesday, notAllowedDates: [{ start: '2026-11-24', end: '2026-11-26' }] }, MONDAY);
    expect(verdict).toEqual({
      kind: 'wait',
      opensAt: '2026-12-02T02:00:00.000Z',
      blackout: { start: '2026-11-24', end: '2026-11-26' },
      reason: 'maintenance is blocked by notAllowedDates 2026-11-24..2026-11-26 (utcOffset +00:00); the next allowed window opens at 2026-12-02T02:00:00.000Z',
    });
  });

  it('an open window is closed while a blackout covers now', () => {
    const verdict = nextMaintenanceWindow(
      { schedule: { daily: { intervalDays: 1 } }, durationHours: 12, startTime: '22:00', notAllowedDates: [{ start: '2026-11-23', end: '2026-11-23' }] },
      MONDAY,
    );
    expect(verdict).toMatchObject({ kind: 'wait', opensAt: '2026-11-24T00:00:00.000Z', blackout: { start: '2026-11-23', end: '2026-11-23' } });
  });

  it('blackout days are in the window offset: the end day is blocked to its local midnight', () => {
    // +02:00: 2026-11-23..2026-11-24 blocks 2026-11-22 22:00Z to 2026-11-24 22:00Z; a 24 h daily window from 00:00 local resumes at 22:00Z.
    const verdict = nextMaintenanceWindow(
      {
        schedule: { daily: { intervalDays: 1 } },
        durationHours: 24,
        startTime: '00:00',
        utcOffset: '+02:00',
        notAllowedDates: [{ start: '2026-11-23', end: '2026-11-24' }],
      },
      MONDAY,
    );
    expect(verdict).toMatchObject({ kind: 'wait', opensAt: '2026-11-24T22:00:00.000Z' });
  });

  it('blackouts elsewhere change nothing', () => {
    expect(nextMaintenanceWindow({ ...weeklyWednesday, notAllowedDates: [{ start: '2026-12-23', end: '2027-01-05' }] }, MONDAY)).toEqual({
      kind: 'wait',
      opensAt: '2026-11-25T02:00:00.000Z',
    });
  });

  it('the official example: daily every 3 days from 2023-01-01 at 09:30 -07:00, with the year-end freeze', () => {
    // Windows fall on 2023-12-21, 12-24, ... 2024-01-05, 01-08 (local, day 354 is 12-21); 12-24 .. 01-05 are inside 2023-12-23..2024-01-05.
    const spec = {
      schedule: { daily: { intervalDays: 3 } },
      durationHours: 4,
      utcOffset: '-07:00',
      startDate: '2023-01-01',
      startTime: '09:30',
      notAllowedDates: [
        { start: '2023-02-18', end: '2023-02-25' },
        { start: '2023-12-23', end: '2024-01-05' },
      ],
    };
    const verdict = nextMaintenanceWindow(spec, new Date('2023-12-23T00:00:00Z'));
    expect(verdict).toMatchObject({ kind: 'wait', opensAt: '2024-01-08T16:30:00.000Z', blackout: { start: '2023-12-23', end: '2024-01-05' } });
  });
});
