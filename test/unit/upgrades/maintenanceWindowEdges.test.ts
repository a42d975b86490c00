/**
 * Edges of lib/upgrades/maintenanceWindow.ts that the StrykerJS run left unguarded
 * (docs/mutation-testing.md): every refusal says exactly what it cannot read (an upgrade never
 * starts on a schedule we misread), and the boundaries of windows and blackouts.
 */
import { describe, expect, it } from 'vitest';

import { type MaintenanceWindowSpec, nextMaintenanceWindow } from '../../../lib/upgrades/maintenanceWindow.js';

// Monday 23 November 2026, 08:00 UTC.
const MONDAY = new Date('2026-11-23T08:00:00.000Z');
const WEEKLY: MaintenanceWindowSpec = { schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } }, durationHours: 4, startTime: '02:00' };
const refusal = (spec: Partial<MaintenanceWindowSpec>) => nextMaintenanceWindow({ ...WEEKLY, ...spec }, MONDAY);

describe('maintenance windows we cannot read are refused, saying why', () => {
  it('schedules', () => {
    expect(refusal({ schedule: {} })).toEqual({ kind: 'unsupported', reason: 'the maintenance window has no schedule' });
    expect(refusal({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Mondy' } } })).toEqual({
      kind: 'unsupported',
      reason: "weekly dayOfWeek 'Mondy' is not a day of the week",
    });
    expect(refusal({ schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'First', dayOfWeek: 'Fri' } } })).toEqual({
      kind: 'unsupported',
      reason: "relativeMonthly dayOfWeek 'Fri' is not a day of the week",
    });
    expect(refusal({ schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Fifth', dayOfWeek: 'Friday' } } })).toEqual({
      kind: 'unsupported',
      reason: "relativeMonthly weekIndex 'Fifth' is not First, Second, Third, Fourth or Last",
    });
    expect(refusal({ durationHours: 0 })).toEqual({ kind: 'unsupported', reason: 'durationHours 0 is not a positive number of hours' });
    expect(refusal({ durationHours: Number.NaN }).kind).toBe('unsupported');
  });

  it('times, offsets and dates must be exactly their format', () => {
    for (const startTime of ['24:00', '12:60', '1:00', '01:00x', 'x01:00']) {
      expect(refusal({ startTime }), startTime).toEqual({ kind: 'unsupported', reason: `startTime '${startTime}' is not HH:mm` });
    }
    expect(refusal({ startTime: '23:59' }).kind).toBe('wait');
    for (const utcOffset of ['+0530', 'x+05:30', '+05:30x']) {
      expect(refusal({ utcOffset }), utcOffset).toEqual({ kind: 'unsupported', reason: `utcOffset '${utcOffset}' is not +HH:mm or -HH:mm` });
    }
    for (const startDate of ['2026-02-30', '2026-1-01', 'x2026-01-01', '2026-01-01x']) {
      expect(refusal({ startDate }), startDate).toEqual({ kind: 'unsupported', reason: `startDate '${startDate}' is not YYYY-MM-DD` });
    }
    for (const span of [
      { start: '2026-12-31', end: '2026-12-30' },
      { start: '2026-12-32', end: '2026-12-31' },
      { start: '2026-12-01', end: 'soon' },
    ]) {
      expect(refusal({ notAllowedDates: [span] }), JSON.stringify(span)).toEqual({
        kind: 'unsupported',
        reason: `notAllowedDates ${span.start}..${span.end} is not a span of YYYY-MM-DD dates`,
      });
    }
    // A one-day span is a span.
    expect(refusal({ notAllowedDates: [{ start: '2026-11-25', end: '2026-11-25' }] })).toMatchObject({ kind: 'wait', opensAt: '2026-12-02T02:00:00.000Z' });
  });
});

describe('boundaries', () => {
  it('a window that closes exactly now is over; one that opens exactly now is open', () => {
    const daily: MaintenanceWindowSpec = { schedule: { daily: { intervalDays: 1 } }, durationHours: 2, startTime: '06:00' };
    expect(nextMaintenanceWindow(daily, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-11-24T06:00:00.000Z' });
    expect(nextMaintenanceWindow({ ...daily, startTime: '08:00' }, MONDAY)).toEqual({ kind: 'open' });
    expect(nextMaintenanceWindow({ ...daily, startTime: '08:01' }, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-11-23T08:01:00.000Z' });
  });

  it("a blackout ends at its last day's midnight in the window's offset, and starts at its first", () => {
    // Daily 00:00 at -05:00 (05:00 UTC); blackout the 24th..25th local: the 26th's window is the first allowed.
    const spec: MaintenanceWindowSpec = {
      schedule: { daily: { intervalDays: 1 } },
      durationHours: 1,
      startTime: '00:00',
      utcOffset: '-05:00',
      notAllowedDates: [{ start: '2026-11-24', end: '2026-11-25' }],
    };
    expect(nextMaintenanceWindow(spec, MONDAY)).toEqual({
      kind: 'wait',
      opensAt: '2026-11-26T05:00:00.000Z',
      blackout: { start: '2026-11-24', end: '2026-11-25' },
      reason: 'maintenance is blocked by notAllowedDates 2026-11-24..2026-11-25 (utcOffset -05:00); the next allowed window opens at 2026-11-26T05:00:00.000Z',
    });
    // The same at +05:00: local midnight is 19:00 UTC the day before.
    expect(nextMaintenanceWindow({ ...spec, utcOffset: '+05:00' }, MONDAY)).toMatchObject({
      kind: 'wait',
      opensAt: '2026-11-25T19:00:00.000Z',
      blackout: { start: '2026-11-24', end: '2026-11-25' },
    });
    // A window that begins at 23:30 local the day before the blackout is not inside it.
    expect(nextMaintenanceWindow({ ...spec, startTime: '23:30' }, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-11-24T04:30:00.000Z' });
  });

  it('every other month on a day of month counts months from the start date, across a year end', () => {
    const spec: MaintenanceWindowSpec = {
      schedule: { absoluteMonthly: { intervalMonths: 2, dayOfMonth: 5 } },
      durationHours: 4,
      startTime: '00:00',
      startDate: '2026-10-01',
    };
    expect(nextMaintenanceWindow(spec, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-12-05T00:00:00.000Z' });
    expect(nextMaintenanceWindow({ ...spec, startDate: '2026-11-01' }, MONDAY)).toEqual({ kind: 'wait', opensAt: '2027-01-05T00:00:00.000Z' });
    expect(nextMaintenanceWindow({ ...spec, schedule: { absoluteMonthly: { intervalMonths: 3, dayOfMonth: 5 } }, startDate: '2026-08-01' }, MONDAY)).toEqual({
      kind: 'wait',
      opensAt: '2027-02-05T00:00:00.000Z',
    });
  });

  it('the last weekday of a month, and a relative schedule only on its own weekday', () => {
    // Last Friday of November 2026 is the 27th; of December, the 25th.
    const spec: MaintenanceWindowSpec = {
      schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Last', dayOfWeek: 'Friday' } },
      durationHours: 4,
      startTime: '00:00',
    };
    expect(nextMaintenanceWindow(spec, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-11-27T00:00:00.000Z' });
    expect(nextMaintenanceWindow(spec, new Date('2026-11-28T00:00:00.000Z'))).toEqual({ kind: 'wait', opensAt: '2026-12-25T00:00:00.000Z' });
  });
});
