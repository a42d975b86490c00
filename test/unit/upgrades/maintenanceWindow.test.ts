import { describe, expect, it } from 'vitest';

import { nextMaintenanceWindow } from '../../../lib/upgrades/maintenanceWindow.js';

// Monday 23 November 2026, 08:00 UTC.
const MONDAY = new Date('2026-11-23T08:00:00.000Z');

describe('maintenance windows', () => {
  it('weekly: waits for the next matching day and time', () => {
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } }, durationHours: 4, startTime: '02:00' }, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-11-25T02:00:00.000Z' });
  });

  it('is open while inside the window, including one that began the day before', () => {
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '06:00' }, MONDAY)).toEqual({ kind: 'open' });
    expect(nextMaintenanceWindow({ schedule: { daily: { intervalDays: 1 } }, durationHours: 12, startTime: '22:00' }, MONDAY)).toEqual({ kind: 'open' });
  });

  it('honours the UTC offset', () => {
    // 02:00 at +05:30 is 20:30 UTC the day before: Tuesday 20:30 UTC for a Wednesday window.
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } }, durationHours: 4, startTime: '02:00', utcOffset: '+05:30' }, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-11-24T20:30:00.000Z' });
  });

  it('daily with an interval counts from the start date; monthly picks the day of month', () => {
    expect(nextMaintenanceWindow({ schedule: { daily: { intervalDays: 3 } }, durationHours: 2, startTime: '01:00', startDate: '2026-11-22' }, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-11-25T01:00:00.000Z' });
    expect(nextMaintenanceWindow({ schedule: { absoluteMonthly: { intervalMonths: 1, dayOfMonth: 1 } }, durationHours: 4, startTime: '00:00' }, MONDAY)).toEqual({ kind: 'wait', opensAt: '2026-12-01T00:00:00.000Z' });
  });

  it('says so when it cannot tell', () => {
    expect(nextMaintenanceWindow({ schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'First', dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '00:00' }, MONDAY).kind).toBe('unsupported');
    expect(nextMaintenanceWindow({ schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Monday' } }, durationHours: 4, startTime: '25h' }, MONDAY).kind).toBe('unsupported');
  });
});
