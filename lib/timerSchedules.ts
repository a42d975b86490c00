/**
 * The timer schedules: the only settings the Functions host needs at registration. Cold start
 * reads and validates them here, free of dependencies, instead of parsing the full configuration
 * (zod, yaml, the alerting parser) at import (figures: test/bench/coldStartBench.ts). lib/config.ts
 * validates the same settings with `ncrontabProblem` and the same defaults, so start-up and the
 * full configuration (parsed once, on the first invocation) agree. With lib/config.ts, the only
 * reader of `process.env`.
 */
import { FleetGuardError } from './errors.js';

/** Each timer's setting and its default (NCRONTAB: second minute hour day month day-of-week). */
export const SCHEDULE_SETTINGS = {
  sweep: { name: 'FLEETGUARD_SWEEP_SCHEDULE', defaultValue: '0 */15 * * * *' },
  alertDrain: { name: 'FLEETGUARD_ALERT_DRAIN_SCHEDULE', defaultValue: '*/30 * * * * *' },
} as const;

export type TimerSchedules = Record<keyof typeof SCHEDULE_SETTINGS, string>;

export const NCRONTAB_MESSAGE = 'must be an NCRONTAB expression with six fields (second minute hour day month day-of-week)';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  min: number;
  max: number;
  /** Names, first value first (NCrontab matches a name on its first three letters). */
  names?: readonly string[];
}

/** The six fields in order, with the ranges of the NCrontab library the Functions host uses. */
const FIELDS: readonly Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

function fieldValue(text: string, field: Field): number | undefined {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : undefined;
  }
  if (field.names === undefined || !/^[a-z]{3,}$/i.test(text)) return undefined;
  const index = field.names.indexOf(text.slice(0, 3).toUpperCase());
  return index < 0 ? undefined : field.min + index;
}

/** One list item: `*`, `v`, `a-b`, each optionally `/step`. */
function isValidItem(item: string, field: Field): boolean {
  const [range = '', step, extra] = item.split('/');
  if (extra !== undefined) return false;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) return false;
  if (range === '*') return true;
  const [first = '', last, beyond] = range.split('-');
  if (beyond !== undefined) return false;
  const low = fieldValue(first, field);
  if (low === undefined) return false;
  if (last === undefined) return true;
  const high = fieldValue(last, field);
  return high !== undefined && low <= high;
}

/**
 * True when `expression` is a six-field NCRONTAB schedule the host accepts: per field `*`, a
 * value or a range (`1-5`), each optionally with a step (`/15`), in comma lists; month and day
 * names. No `?`, `L`, `W` or `#`: NCrontab has none of them.
 */
export function isNcrontab(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== FIELDS.length) return false;
  return fields.every((text, index) => text.split(',').every((item) => isValidItem(item, FIELDS[index]!)));
}

/**
 * The schedules from an environment map (blank means the default). Both are checked before either
 * is returned, so a malformed one stops the app before any function registers; the error names
 * the setting, as lib/config.ts's does.
 */
export function parseTimerSchedules(env: Record<string, string | undefined>): TimerSchedules {
  const problems: string[] = [];
  const read = ({ name, defaultValue }: { name: string; defaultValue: string }): string => {
    const given = env[name]?.trim();
    const value = given === undefined || given === '' ? defaultValue : given;
    if (!isNcrontab(value)) problems.push(`${name}: ${NCRONTAB_MESSAGE}`);
    return value;
  };
  const schedules = { sweep: read(SCHEDULE_SETTINGS.sweep), alertDrain: read(SCHEDULE_SETTINGS.alertDrain) };
  if (problems.length > 0) throw new FleetGuardError('config', `Invalid settings:\n  - ${problems.join('\n  - ')}`);
  return schedules;
}

/** The schedules from `process.env`, for registration (read each time: registration runs once per process). */
export function timerSchedules(): TimerSchedules {
  // eslint-disable-next-line no-restricted-properties -- the start-up slice of lib/config.ts (see above)
  return parseTimerSchedules(process.env);
}
