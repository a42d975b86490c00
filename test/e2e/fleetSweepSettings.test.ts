import { describe, expect, it } from 'vitest';

import { LocalFunctionsHost } from '../harness/functionsHost.js';

describe('fleetSweep with settings', () => {
  // Registration reads the timer schedules (lib/timerSchedules.ts), both before the first function
  // registers; every other setting is checked on the first invocation (settingsAtFirstInvocation.test.ts).
  it('a malformed schedule stops the app at load with an error naming each malformed schedule setting, before any function is registered', async () => {
    process.env['FLEETGUARD_SWEEP_SCHEDULE'] = 'every quarter hour';
    process.env['FLEETGUARD_ALERT_DRAIN_SCHEDULE'] = '*/30 * * * *';
    const load = LocalFunctionsHost.load('../../functions/index.ts');
    await expect(load).rejects.toThrow(/FLEETGUARD_SWEEP_SCHEDULE: must be an NCRONTAB expression/);
    await expect(load).rejects.toThrow(/FLEETGUARD_ALERT_DRAIN_SCHEDULE: must be an NCRONTAB expression/);
  });
});
