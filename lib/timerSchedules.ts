/**
 * The timer schedules: the only settings the Functions host needs at registration. Cold start
 * reads and validates them here (with croner alone) instead of parsing the full configuration
 * (zod, yaml, the alerting parser) at import (figures: test/bench/coldStartBench.ts). lib/config.ts
 * validates the same settings with `ncrontabProblem` and the same defaults, so start-up and the
 * full configuration (parsed once, on the first invocation) agree. With lib/config.ts, the only
 * reader of `process.env`.
 */
// croner, not cron-parser: cron-parser pulls in luxon, and the two were 0.7× of the bare
// `@azure/functions` import on every cold start (BENCHMARKS.md "Cold start"); croner has no
// dependencies and its parser alone (`CronPattern`) checks the same fields.
import { CronPattern } from 'croner';

import { FleetGuardError } from './errors.js';

/** Each timer's setting and its default (NCRONTAB: second minute hour day month day-of-week). */
export const SCHEDULE_SETTINGS = {
  sweep: { name: 'FLEETGUARD_SWEEP_SCHEDULE', defaultValue: '0 */15 * * * *' },
  alertDrain: { name: 'FLEETGUARD_ALERT_DRAIN_SCHEDULE', defaultValue: '*/30 * * * * *' },
  /** Hourly, at minute 5: the in-cluster fan-out stays clear of the fleet sweep's quarter hours. */
  inCluster: { name: 'FLEETGUARD_IN_CLUSTER_SCHEDULE', defaultValue: '0 5 * * * *' },
} as const;

export type TimerSchedules = Record<keyof typeof SCHEDULE_SETTINGS, string>;

export const NCRONTAB_MESSAGE = 'must be an NCRONTAB expression with six fields (second minute hour day month day-of-week)';

/** croner's extensions that NCrontab lacks: `?`, `#`, and `L`, `W` or `LW` outside a month or day name. */
const CRON_EXTENSIONS = /[?#]|(?<![a-z])(?:L|W|LW)(?![a-z])/i;

/**
 * A step with nothing before it (`/5`, `1,/5`): croner's `sloppyRanges` reads it as `0/5`; NCrontab
 * takes a step only after a value, range or `*` (`str.IndexOf('/') > 0` in CrontabFieldImpl).
 */
const BARE_STEP = /(?:^|,)\//;

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * The day-of-week field with NCrontab's numbering: Sunday is 0 and the field runs 0–6
 * (`CrontabFieldImpl.DayOfWeek = new(CrontabFieldKind.DayOfWeek, 0, 6, ...)`, atifaziz/NCrontab), so
 * `7` is refused and `sat-sun` is the reversed range 6-0. croner takes 7 (and `sun` after a dash) as
 * Sunday; this rewrite makes it refuse both.
 */
function ncrontabDayOfWeek(field: string): string | undefined {
  const numbered = field.replace(/[a-z]+/gi, (name) => {
    const index = DAY_NAMES.indexOf(name.toLowerCase());
    return index < 0 ? name : String(index);
  });
  return /(?<![\d/])7(?!\d)/.test(numbered) ? undefined : numbered;
}

/**
 * True when `expression` is a six-field NCRONTAB schedule the host accepts. croner's parser checks
 * the fields (values, ranges, steps, lists, month and day names); NCrontab, which the Functions host
 * uses, has none of croner's extensions (`?`, `L`, `W`, `#`), so those are refused here.
 * `sloppyRanges` admits a step after a single value (`5/10`: from 5, every 10), which NCrontab
 * takes too; `mode: '6-part'` refuses five or seven fields. Like NCrontab, it checks each field's
 * range only: `0 0 0 30 2 *` (30 February) is accepted and never fires.
 */
export function isNcrontab(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 || CRON_EXTENSIONS.test(expression) || fields.some((field) => BARE_STEP.test(field))) return false;
  const dayOfWeek = ncrontabDayOfWeek(fields[5] ?? '');
  if (dayOfWeek === undefined) return false;
  try {
    new CronPattern([...fields.slice(0, 5), dayOfWeek].join(' '), undefined, { mode: '6-part', sloppyRanges: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The schedules from an environment map (blank means the default). All are checked before any
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
  const schedules = {
    sweep: read(SCHEDULE_SETTINGS.sweep),
    alertDrain: read(SCHEDULE_SETTINGS.alertDrain),
    inCluster: read(SCHEDULE_SETTINGS.inCluster),
  };
  if (problems.length > 0) throw new FleetGuardError('config', `Invalid settings:\n  - ${problems.join('\n  - ')}`);
  return schedules;
}

/** The schedules from `process.env`, for registration (read each time: registration runs once per process). */
export function timerSchedules(): TimerSchedules {
  // eslint-disable-next-line no-restricted-properties -- the start-up slice of lib/config.ts (see above)
  return parseTimerSchedules(process.env);
}
