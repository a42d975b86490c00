/**
 * When a cluster's planned maintenance window (`aksManagedAutoUpgradeSchedule`) next lets an upgrade
 * start. Pure. Daily, weekly, absolute-monthly and relative-monthly schedules are computed in the
 * window's UTC offset from its start date, and blackout dates (`notAllowedDates`) are cut out of the
 * windows. What cannot be known from the resource is reported as unsupported instead of guessed.
 *
 * Semantics (MaintenanceWindow of Microsoft.ContainerService 2025-07-01, as documented on Learn
 * javascript/api/@azure/arm-containerservice/maintenancewindow and azure/aks/planned-maintenance):
 * - `startTime` and `notAllowedDates` are in `utcOffset` (default `+00:00`).
 * - A `DateSpan` blocks whole days, both ends included: with `+02:00`, `2022-12-23`..`2023-01-03`
 *   blocks `2022-12-22 22:00Z` to `2023-01-03 22:00Z`.
 * - Before `startDate` the window is inactive.
 * - `weekly.intervalWeeks` counts calendar weeks (Sunday first) from the week holding `startDate`, so a
 *   Sunday window every 2 weeks from Tuesday 2026-04-14 first opens on 2026-04-26, not 2026-04-19
 *   (Azure/AKS#5720, a documentation issue describing the service's behaviour; unverified live).
 */
import type { DateSpan, MaintenanceWindowSpec } from '../model/maintenanceWindow.js';

export type { DateSpan, MaintenanceWindowSpec };

/**
 * `wait.blackout` is set when a blackout is why the upgrade waits: the first window that would
 * otherwise have let it start (or the current one) falls inside that span.
 */
export type WindowVerdict =
  { kind: 'open' } | { kind: 'wait'; opensAt: string; blackout?: DateSpan; reason?: string } | { kind: 'unsupported'; reason: string };

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const WEEK_INDEX = ['first', 'second', 'third', 'fourth'];
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Far enough for a 6-month interval plus a long run of blackouts. */
const LOOK_AHEAD_DAYS = 800;

function offsetMinutes(offset: string | undefined): number | undefined {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset ?? '+00:00');
  if (!match) return undefined;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** Midnight UTC of a `YYYY-MM-DD` date, or undefined when it is not one. */
function dayOf(date: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const day = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== date ? undefined : day;
}

function monthsBetween(from: Date, to: Date): number {
  return (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
}

/** The interval of the schedule, when it has one above 1 (its phase then depends on `startDate`). */
function interval(schedule: MaintenanceWindowSpec['schedule']): number {
  return Math.max(
    1,
    schedule.daily?.intervalDays ?? schedule.weekly?.intervalWeeks ?? schedule.absoluteMonthly?.intervalMonths ?? schedule.relativeMonthly?.intervalMonths ?? 1,
  );
}

/** Whether the schedule includes this local calendar day (given as midnight UTC of that date). */
function scheduledOn(spec: MaintenanceWindowSpec, day: number, start: number): boolean {
  if (day < start) return false;
  const date = new Date(day);
  const startDate = new Date(start);
  const { daily, weekly, absoluteMonthly, relativeMonthly } = spec.schedule;
  if (daily) return Math.round((day - start) / DAY_MS) % Math.max(1, daily.intervalDays) === 0;
  if (weekly) {
    if (DAYS[date.getUTCDay()] !== weekly.dayOfWeek.toLowerCase()) return false;
    // Weeks are counted from the Sunday that begins the start date's week (Azure/AKS#5720).
    const firstSunday = start - startDate.getUTCDay() * DAY_MS;
    return Math.floor(Math.round((day - firstSunday) / DAY_MS) / 7) % Math.max(1, weekly.intervalWeeks) === 0;
  }
  if (absoluteMonthly) {
    return date.getUTCDate() === absoluteMonthly.dayOfMonth && monthsBetween(startDate, date) % Math.max(1, absoluteMonthly.intervalMonths) === 0;
  }
  if (relativeMonthly) {
    if (DAYS[date.getUTCDay()] !== relativeMonthly.dayOfWeek.toLowerCase()) return false;
    if (monthsBetween(startDate, date) % Math.max(1, relativeMonthly.intervalMonths) !== 0) return false;
    const index = relativeMonthly.weekIndex.toLowerCase();
    if (index === 'last') return new Date(day + 7 * DAY_MS).getUTCMonth() !== date.getUTCMonth();
    return Math.floor((date.getUTCDate() - 1) / 7) === WEEK_INDEX.indexOf(index);
  }
  return false;
}

/** A problem with the schedule that makes it impossible to compute, or undefined. */
function scheduleProblem(spec: MaintenanceWindowSpec): string | undefined {
  const { daily, weekly, absoluteMonthly, relativeMonthly } = spec.schedule;
  if (!daily && !weekly && !absoluteMonthly && !relativeMonthly) return 'the maintenance window has no schedule';
  if (weekly && !DAYS.includes(weekly.dayOfWeek.toLowerCase())) return `weekly dayOfWeek '${weekly.dayOfWeek}' is not a day of the week`;
  if (relativeMonthly && !DAYS.includes(relativeMonthly.dayOfWeek.toLowerCase()))
    return `relativeMonthly dayOfWeek '${relativeMonthly.dayOfWeek}' is not a day of the week`;
  if (relativeMonthly && ![...WEEK_INDEX, 'last'].includes(relativeMonthly.weekIndex.toLowerCase()))
    return `relativeMonthly weekIndex '${relativeMonthly.weekIndex}' is not First, Second, Third, Fourth or Last`;
  if (!(spec.durationHours > 0)) return `durationHours ${spec.durationHours} is not a positive number of hours`;
  if (spec.startDate === undefined && interval(spec.schedule) > 1) return 'a schedule with an interval above 1 and no startDate has no known phase';
  return undefined;
}

/** The verdict at `now`: open now, wait until a time, or unsupported with the reason. */
export function nextMaintenanceWindow(spec: MaintenanceWindowSpec, now: Date): WindowVerdict {
  const problem = scheduleProblem(spec);
  if (problem !== undefined) return { kind: 'unsupported', reason: problem };
  const time = /^(\d{2}):(\d{2})$/.exec(spec.startTime);
  if (!time || Number(time[1]) > 23 || Number(time[2]) > 59) return { kind: 'unsupported', reason: `startTime '${spec.startTime}' is not HH:mm` };
  const offsetMin = offsetMinutes(spec.utcOffset);
  if (offsetMin === undefined) return { kind: 'unsupported', reason: `utcOffset '${spec.utcOffset ?? ''}' is not +HH:mm or -HH:mm` };
  const offset = offsetMin * MINUTE_MS;
  const start = spec.startDate === undefined ? Number.NEGATIVE_INFINITY : dayOf(spec.startDate);
  if (start === undefined) return { kind: 'unsupported', reason: `startDate '${spec.startDate ?? ''}' is not YYYY-MM-DD` };
  // Blackouts as UTC instants [from, to): from the start of the first local day to the end of the last.
  const blackouts: Array<{ span: DateSpan; from: number; to: number }> = [];
  for (const span of spec.notAllowedDates ?? []) {
    const from = dayOf(span.start);
    const to = dayOf(span.end);
    if (from === undefined || to === undefined || to < from)
      return { kind: 'unsupported', reason: `notAllowedDates ${span.start}..${span.end} is not a span of YYYY-MM-DD dates` };
    blackouts.push({ span, from: from - offset, to: to + DAY_MS - offset });
  }
  const nowMs = now.getTime();
  const today = Math.floor((nowMs + offset) / DAY_MS) * DAY_MS;
  // Without a start date, the schedule (interval 1) has always applied.
  const startOfSchedule = Number.isFinite(start) ? start : today - 2 * DAY_MS;
  const startMs = (Number(time[1]) * 60 + Number(time[2])) * MINUTE_MS;
  const duration = spec.durationHours * 3_600_000;
  let blockedBy: DateSpan | undefined;
  // A window that began yesterday may still be open.
  for (let day = today - DAY_MS; day <= today + LOOK_AHEAD_DAYS * DAY_MS; day += DAY_MS) {
    if (!scheduledOn(spec, day, startOfSchedule)) continue;
    const opens = day + startMs - offset;
    const closes = opens + duration;
    if (closes <= nowMs) continue;
    // The first instant of this window that no blackout covers.
    let candidate = Math.max(opens, nowMs);
    for (
      let blackout = blackouts.find((b) => b.from <= candidate && candidate < b.to);
      blackout !== undefined;
      blackout = blackouts.find((b) => b.from <= candidate && candidate < b.to)
    ) {
      blockedBy ??= blackout.span;
      candidate = blackout.to;
    }
    if (candidate >= closes) continue;
    if (candidate <= nowMs) return { kind: 'open' };
    const opensAt = new Date(candidate).toISOString();
    if (blockedBy === undefined) return { kind: 'wait', opensAt };
    return {
      kind: 'wait',
      opensAt,
      blackout: blockedBy,
      reason: `maintenance is blocked by notAllowedDates ${blockedBy.start}..${blockedBy.end} (utcOffset ${spec.utcOffset ?? '+00:00'}); the next allowed window opens at ${opensAt}`,
    };
  }
  return { kind: 'unsupported', reason: `the maintenance window never opens outside its blackouts in the next ${LOOK_AHEAD_DAYS} days` };
}
