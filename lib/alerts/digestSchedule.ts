/**
 * When a route's digest is due (pure). A schedule names local `at` times on the days its calendar
 * fields match, in an IANA zone. An occurrence is named by its local wall-clock time,
 * `YYYY-MM-DDTHH:MM`: names sort in time order, and a time that happens twice when clocks go back
 * is one occurrence (one digest), while a time skipped when clocks go forward falls due at the
 * first instant after it (local 03:00 is past 02:30).
 */
import type { DigestSchedule } from './alertingConfig.js';
import { dayMatches, parseClock, type WallClock, wallClock } from './timeIntervals.js';

/** How far back a schedule is searched: a yearly schedule (one `daysOfMonth` and one month) still has an occurrence. */
const SEARCH_DAYS = 400;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function occurrenceName(clock: Pick<WallClock, 'year' | 'month' | 'day'>, minute: number): string {
  return `${pad(clock.year, 4)}-${pad(clock.month)}-${pad(clock.day)}T${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;
}

/** The latest occurrence at or before `now` (its local name), or undefined when none in the last 400 days. */
export function latestOccurrence(schedule: DigestSchedule, now: Date): string | undefined {
  const today = wallClock(now, schedule.location);
  const minutes = schedule.at.map((text) => parseClock(text) ?? 0).sort((left, right) => right - left);
  for (let back = 0; back <= SEARCH_DAYS; back += 1) {
    // Civil-date arithmetic only (no instant, no offset): the day `back` days before today.
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day - back));
    const day: WallClock = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), weekday: date.getUTCDay(), minute: 0 };
    if (!dayMatches(schedule, day)) continue;
    const minute = back === 0 ? minutes.find((at) => at <= today.minute) : minutes[0];
    if (minute !== undefined) return occurrenceName(day, minute);
  }
  return undefined;
}
