import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../lib/config.js';
import { FleetGuardError } from '../../lib/errors.js';
import { isNcrontab, parseTimerSchedules } from '../../lib/timerSchedules.js';

// Schedules the Functions host (NCrontab) accepts, and ones it rejects or that only other cron dialects know.
// NCrontab's fields (atifaziz/NCrontab CrontabFieldImpl): day-of-week runs 0-6 with Sunday 0, a step
// needs something before its slash, and each field's range is checked alone (30 February passes).
const ACCEPTED = [
  '0 */15 * * * *',
  '*/30 * * * * *',
  '0 0 */2 * * *',
  '0 30 9 * * 1-5',
  '0 0 0 1 JAN,jul *',
  '0 0 8 * * Mon-Fri',
  '5/10 0-30/5 1,2,3 15-20 * 0',
  '  0 0 * * * *  ',
  '0 0 0 31 12 6',
  '0 0 0 * * sun-sat',
  '0 0 0 * * */2',
  '0 0 0 30 2 *',
];
const REJECTED = [
  '*/5 * * * *',
  '0 */15 * * * * *',
  '0 */15 * * * funday',
  'every quarter hour',
  '',
  '60 * * * * *',
  '0 60 * * * *',
  '0 0 24 * * *',
  '0 0 0 0 * *',
  '0 0 0 32 * *',
  '0 0 0 * 13 *',
  '0 0 0 ? * *',
  '0 0 0 L * *',
  '0 0 0 * * 1#2',
  '0 */0 * * * *',
  '0 5-1 * * * *',
  '0 1-2-3 * * * *',
  '0 */5/2 * * * *',
  '0 , * * * *',
  '0 -5 * * * *',
  '%FLEETGUARD_SWEEP_SCHEDULE%',
  '00:05:00',
  '0 0 0 * * 7',
  '0 0 0 * * 1-7',
  '0 0 0 * * sat-sun',
  '0 0 0 * * 5,7',
  '0 /5 * * * *',
  '0 1,/5 * * * *',
];

describe('timer schedules', () => {
  it.each(ACCEPTED)('accepts %j', (expression) => {
    expect(isNcrontab(expression)).toBe(true);
  });

  it.each(REJECTED)('rejects %j', (expression) => {
    expect(isNcrontab(expression)).toBe(false);
  });

  it('defaults when unset or blank', () => {
    expect(parseTimerSchedules({})).toEqual({ sweep: '0 */15 * * * *', alertDrain: '*/30 * * * * *', inCluster: '0 5 * * * *' });
    expect(
      parseTimerSchedules({ FLEETGUARD_SWEEP_SCHEDULE: ' ', FLEETGUARD_ALERT_DRAIN_SCHEDULE: '0 * * * * *', FLEETGUARD_IN_CLUSTER_SCHEDULE: '0 0 */2 * * *' }),
    ).toEqual({
      sweep: '0 */15 * * * *',
      alertDrain: '0 * * * * *',
      inCluster: '0 0 */2 * * *',
    });
  });

  it('a malformed schedule is a config error naming each setting, worded as the full configuration words it', () => {
    const env = { FLEETGUARD_SWEEP_SCHEDULE: '*/5 * * * *', FLEETGUARD_ALERT_DRAIN_SCHEDULE: '0 0 0 L * *', FLEETGUARD_IN_CLUSTER_SCHEDULE: 'hourly' };
    let error: unknown;
    try {
      parseTimerSchedules(env);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(FleetGuardError);
    expect(error).toMatchObject({ reason: 'config' });
    const message = (error as Error).message;
    expect(message).toMatch(/FLEETGUARD_SWEEP_SCHEDULE: must be an NCRONTAB expression with six fields/);
    expect(message).toMatch(/FLEETGUARD_ALERT_DRAIN_SCHEDULE: must be an NCRONTAB expression with six fields/);
    expect(message).toMatch(/FLEETGUARD_IN_CLUSTER_SCHEDULE: must be an NCRONTAB expression with six fields/);
    expect(() => parseConfig(env)).toThrow(
      /FLEETGUARD_SWEEP_SCHEDULE: must be an NCRONTAB expression with six fields(.|\n)*FLEETGUARD_ALERT_DRAIN_SCHEDULE: must be/,
    );
  });

  it('the full configuration accepts and rejects exactly the same schedules, with the same defaults', () => {
    for (const expression of [...ACCEPTED, ...REJECTED.filter((text) => text !== '')]) {
      const env = { FLEETGUARD_SWEEP_SCHEDULE: expression, FLEETGUARD_ALERT_DRAIN_SCHEDULE: expression, FLEETGUARD_IN_CLUSTER_SCHEDULE: expression };
      const atRegistration = (() => {
        try {
          return parseTimerSchedules(env);
        } catch {
          return 'rejected';
        }
      })();
      const atFirstInvocation = (() => {
        try {
          const config = parseConfig(env);
          return { sweep: config.sweep.schedule, alertDrain: config.alertDelivery.drainSchedule, inCluster: config.inCluster.schedule };
        } catch {
          return 'rejected';
        }
      })();
      expect(atFirstInvocation, expression).toEqual(atRegistration);
    }
    const defaults = parseConfig({});
    expect({ sweep: defaults.sweep.schedule, alertDrain: defaults.alertDelivery.drainSchedule, inCluster: defaults.inCluster.schedule }).toEqual(
      parseTimerSchedules({}),
    );
  });
});
