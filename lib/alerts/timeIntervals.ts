/**
 * Named time intervals as in Alertmanager (`time_intervals`, package `timeinterval`), in camelCase:
 * `times` (start inclusive, end exclusive, `HH:MM`, `24:00` allowed as an end), `weekdays`,
 * `daysOfMonth` (negative counts from the month's end, `-1` = last day), `months` and `years`,
 * each a list of single values or inclusive `a:b` ranges, and `location` (an IANA zone, default
 * UTC). An entry matches when every field it gives matches; an interval (a list of entries) when
 * any entry does. Source: prometheus/alertmanager timeinterval/timeinterval.go (ContainsTime,
 * parseTime, the Unmarshal checks) and docs/configuration.md `<time_interval>`.
 *
 * Pure: the caller passes `now`. The wall clock in a zone comes from `Intl.DateTimeFormat`
 * (the ICU time-zone data Node ships), never from a fixed offset, so DST is right by construction.
 * Light at start-up (the routing document is parsed at cold start): zod and `Intl` only.
 */
import { z } from 'zod';

/** Minutes since local midnight: `[startMinute, endMinute)`. */
export interface TimeRange {
  startMinute: number;
  endMinute: number;
}

/** An inclusive range of integers. */
export interface InclusiveRange {
  begin: number;
  end: number;
}

/** One entry of an interval, parsed: fields left out match everything. */
export interface TimeIntervalEntry {
  times?: TimeRange[];
  /** 0 = Sunday … 6 = Saturday (Go's `time.Weekday`, as Alertmanager). */
  weekdays?: InclusiveRange[];
  /** 1…31 or -31…-1 (from the end of the month). */
  daysOfMonth?: InclusiveRange[];
  /** 1 = January. */
  months?: InclusiveRange[];
  years?: InclusiveRange[];
  /** IANA zone; UTC when not given. */
  location: string;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** `HH:MM` to minutes since midnight; `24:00` is 1440 (Alertmanager's validTime). */
export function parseClock(text: string): number | undefined {
  const match = CLOCK.exec(text);
  if (!match) return undefined;
  return match[1] === undefined ? 1440 : Number(match[1]) * 60 + Number(match[2]);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** IANA names (`UTC`, `Europe/Berlin`, `Etc/GMT+1`); newer ICU also takes offsets (`+01:00`), Alertmanager does not. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Whether the runtime knows the IANA zone (an unknown one makes `Intl.DateTimeFormat` throw). */
export function isKnownZone(zone: string): boolean {
  if (!ZONE_NAME.test(zone)) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of an instant in a zone. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minute: number;
}

export function wallClock(now: Date, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(now)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const year = parts.year ?? 0;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  // The weekday of a calendar date does not depend on the zone: computed on the civil date.
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, weekday, minute: (parts.hour ?? 0) * 60 + (parts.minute ?? 0) };
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const within = (value: number, ranges: readonly InclusiveRange[] | undefined): boolean =>
  ranges === undefined || ranges.some((range) => value >= range.begin && value <= range.end);

/** The calendar fields of an entry (all but `times`) against a local date. */
export function dayMatches(entry: Omit<TimeIntervalEntry, 'times' | 'location'>, clock: WallClock): boolean {
  if (!within(clock.weekday, entry.weekdays) || !within(clock.month, entry.months) || !within(clock.year, entry.years)) return false;
  if (entry.daysOfMonth === undefined) return true;
  const days = daysInMonth(clock.year, clock.month);
  return entry.daysOfMonth.some((range) => {
    const begin = range.begin < 0 ? days + range.begin + 1 : range.begin;
    const end = range.end < 0 ? days + range.end + 1 : range.end;
    // As Alertmanager: a start past this month's end matches nothing; the end is clamped to it.
    if (begin > days) return false;
    return clock.day >= Math.max(begin, 1) && clock.day <= Math.min(end, days);
  });
}

export function entryContains(entry: TimeIntervalEntry, now: Date): boolean {
  const clock = wallClock(now, entry.location);
  if (entry.times !== undefined && !entry.times.some((range) => clock.minute >= range.startMinute && clock.minute < range.endMinute)) return false;
  return dayMatches(entry, clock);
}

/** An interval (a named list of entries) contains `now` when any entry does. */
export function intervalContains(entries: readonly TimeIntervalEntry[], now: Date): boolean {
  return entries.some((entry) => entryContains(entry, now));
}

// ---- parsing (the routing document's value forms) -------------------------------------------

function rangeOf(text: string, member: (part: string) => number | undefined, what: string): InclusiveRange | string {
  const parts = text.trim().toLowerCase().split(':');
  if (parts.length > 2) return `'${text}' is not a ${what} or a range ${what}:${what}`;
  const values = parts.map(member);
  const [begin, end = begin] = values;
  if (begin === undefined || end === undefined || values.includes(undefined)) return `'${text}' is not a valid ${what}`;
  return { begin, end };
}

const integer = (low: number, high: number) => (part: string) => {
  if (!/^-?\d+$/.test(part)) return undefined;
  const value = Number(part);
  return value >= low && value <= high ? value : undefined;
};

function named(names: readonly string[], numbers?: (part: string) => number | undefined) {
  return (part: string) => {
    const index = names.indexOf(part);
    if (index >= 0) return names === MONTHS ? index + 1 : index;
    return numbers?.(part);
  };
}

/** A list of range strings (numbers are accepted where YAML reads `12` as a number). */
function rangeList(what: string, member: (part: string) => number | undefined, check?: (range: InclusiveRange) => string | undefined) {
  return z.array(z.union([z.string(), z.number().int()]).transform(String)).transform((items, context) => {
    const ranges: InclusiveRange[] = [];
    items.forEach((item, index) => {
      const range = rangeOf(item, member, what);
      const ordered = (checked: InclusiveRange) => (checked.begin > checked.end ? `'${item}': the end is before the start` : undefined);
      const problem = typeof range === 'string' ? range : (check ?? ordered)(range);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, path: [index] });
      else if (typeof range !== 'string') ranges.push(range);
    });
    return ranges;
  });
}

/** Alertmanager's DayOfMonthRange checks: not 0, within ±31, a negative start needs a negative end, never always empty. */
function dayOfMonthProblem(range: InclusiveRange): string | undefined {
  if (range.begin < 0 && range.end > 0) return 'the end day must be negative when the start day is negative';
  const position = (day: number) => (day < 0 ? 28 + day : day);
  return position(range.begin) > position(range.end) ? `end day ${range.end} is always before start day ${range.begin}` : undefined;
}

const timeRangeSchema = z
  .object({ startTime: z.string(), endTime: z.string() })
  .strict()
  .transform((range, context) => {
    const start = parseClock(range.startTime);
    const end = parseClock(range.endTime);
    if (start === undefined || start === 1440)
      context.addIssue({ code: 'custom', message: `'${range.startTime}' is not a time HH:MM (00:00 to 23:59)`, path: ['startTime'] });
    if (end === undefined) context.addIssue({ code: 'custom', message: `'${range.endTime}' is not a time HH:MM (00:00 to 24:00)`, path: ['endTime'] });
    if (start !== undefined && end !== undefined && start >= end)
      context.addIssue({ code: 'custom', message: `endTime ${range.endTime} is not after startTime ${range.startTime}`, path: ['endTime'] });
    return { startMinute: start ?? 0, endMinute: end ?? 0 };
  });

export const locationSchema = z
  .string()
  .refine(isKnownZone, { message: 'is not an IANA time zone known to this runtime (e.g. Europe/Berlin, America/New_York, UTC)' });

/** The calendar fields shared by interval entries and digest schedules. */
export const calendarFields = {
  weekdays: rangeList('weekday', named(WEEKDAYS)).optional(),
  daysOfMonth: rangeList('day of the month', integer(-31, 31), (range) =>
    range.begin === 0 || range.end === 0 ? 'day 0 does not exist' : dayOfMonthProblem(range),
  ).optional(),
  months: rangeList('month', named(MONTHS, integer(1, 12))).optional(),
  years: rangeList('year', integer(1, 9999)).optional(),
  location: locationSchema.default('UTC'),
};

export const timeIntervalEntrySchema = z.object({ times: z.array(timeRangeSchema).optional(), ...calendarFields }).strict() satisfies z.ZodType<
  TimeIntervalEntry,
  unknown
>;

export const namedTimeIntervalSchema = z.object({ name: z.string().min(1), timeIntervals: z.array(timeIntervalEntrySchema) }).strict();
