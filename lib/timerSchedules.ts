/**
 * The timer schedules: the only settings the Functions host needs at registration. Cold start
 * reads and validates them here (with cron-parser alone) instead of parsing the full configuration
 * (zod, yaml, the alerting parser) at import (figures: test/bench/coldStartBench.ts). lib/config.ts
 * validates the same settings with `ncrontabProblem` and the same defaults, so start-up and the
 * full configuration (parsed once, on the first invocation) agree. With lib/config.ts, the only
 * reader of `process.env`.
 */
import { CronExpressionParser } from 'cron-parser';

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

/** cron-parser's extensions that NCrontab lacks: `?`, `#`, and `L`, `W` or `LW` outside a month or day name. */
const CRON_PARSER_EXTENSIONS = /[?#]|(?<![a-z])(?:L|W|LW)(?![a-z])/i;

/**
 * True when `expression` is a six-field NCRONTAB schedule the host accepts. cron-parser checks the
 * fields (values, ranges, steps, lists, month and day names); NCrontab, which the Functions host
 * uses, has none of cron-parser's extensions (`?`, `L`, `W`, `#`), so those are refused here.
 */
export function isNcrontab(expression: string): boolean {
  if (expression.trim().split(/\s+/).length !== 6 || CRON_PARSER_EXTENSIONS.test(expression)) return false;
  try {
    CronExpressionParser.parse(expression.trim());
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
