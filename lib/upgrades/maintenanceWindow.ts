/**
 * When a cluster's planned maintenance window (`aksManagedAutoUpgradeSchedule`) next opens. Pure.
 * Daily, weekly and absolute-monthly schedules are computed, with the window's UTC offset and
 * start date; a relative-monthly schedule is reported as unsupported instead of guessed.
 */
export interface MaintenanceWindowSpec {
  schedule: {
    daily?: { intervalDays: number };
    weekly?: { intervalWeeks: number; dayOfWeek: string };
    absoluteMonthly?: { intervalMonths: number; dayOfMonth: number };
    relativeMonthly?: unknown;
  };
  durationHours: number;
  /** `+05:30`, `-08:00`; default UTC. */
  utcOffset?: string;
  /** `YYYY-MM-DD`: the first day the schedule applies. */
  startDate?: string;
  /** `HH:mm` in the window's offset. */
  startTime: string;
}

export type WindowVerdict = { kind: 'open' } | { kind: 'wait'; opensAt: string } | { kind: 'unsupported'; reason: string };

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_MS = 86_400_000;

function offsetMinutes(offset: string | undefined): number {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset ?? '+00:00');
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** Whether the schedule includes this local calendar day (given as midnight UTC of that date). */
function scheduledOn(spec: MaintenanceWindowSpec, day: number, start: number): boolean {
  if (day < start) return false;
  const date = new Date(day);
  const { daily, weekly, absoluteMonthly } = spec.schedule;
  if (daily) return Math.round((day - start) / DAY_MS) % Math.max(1, daily.intervalDays) === 0;
  if (weekly) {
    if (DAYS[date.getUTCDay()]?.toLowerCase() !== weekly.dayOfWeek.toLowerCase()) return false;
    return Math.floor(Math.round((day - start) / DAY_MS) / 7) % Math.max(1, weekly.intervalWeeks) === 0;
  }
  if (absoluteMonthly) {
    const startDate = new Date(start);
    const months = (date.getUTCFullYear() - startDate.getUTCFullYear()) * 12 + date.getUTCMonth() - startDate.getUTCMonth();
    return date.getUTCDate() === absoluteMonthly.dayOfMonth && months % Math.max(1, absoluteMonthly.intervalMonths) === 0;
  }
  return false;
}

export function nextMaintenanceWindow(spec: MaintenanceWindowSpec, now: Date): WindowVerdict {
  if (spec.schedule.relativeMonthly !== undefined) return { kind: 'unsupported', reason: 'relative-monthly maintenance schedules are not supported yet' };
  if (!spec.schedule.daily && !spec.schedule.weekly && !spec.schedule.absoluteMonthly) return { kind: 'unsupported', reason: 'the maintenance window has no schedule' };
  const time = /^(\d{2}):(\d{2})$/.exec(spec.startTime);
  if (!time) return { kind: 'unsupported', reason: `startTime '${spec.startTime}' is not HH:mm` };
  const offset = offsetMinutes(spec.utcOffset) * 60_000;
  const localNow = now.getTime() + offset;
  const today = Math.floor(localNow / DAY_MS) * DAY_MS;
  const start = spec.startDate ? Date.parse(`${spec.startDate}T00:00:00Z`) : Number.NEGATIVE_INFINITY;
  const startOfSchedule = Number.isFinite(start) ? start : today - 400 * DAY_MS;
  const startMinutes = (Number(time[1]) * 60 + Number(time[2])) * 60_000;
  const duration = spec.durationHours * 3_600_000;
  // A window that began yesterday may still be open; look ahead far enough for any interval.
  for (let day = today - DAY_MS; day <= today + 400 * DAY_MS; day += DAY_MS) {
    if (!scheduledOn(spec, day, startOfSchedule)) continue;
    const opens = day + startMinutes;
    if (opens <= localNow && localNow < opens + duration) return { kind: 'open' };
    if (opens > localNow) return { kind: 'wait', opensAt: new Date(opens - offset).toISOString() };
  }
  return { kind: 'unsupported', reason: 'the maintenance window never opens in the next 400 days' };
}
