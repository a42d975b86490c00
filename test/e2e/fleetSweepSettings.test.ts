import { describe, expect, it } from 'vitest';

import { LocalFunctionsHost } from '../harness/functionsHost.js';

describe('fleetSweep with settings', () => {
  it('a malformed setting stops the app at load with an error naming the setting, before any function is registered', async () => {
    process.env['FLEETGUARD_SWEEP_SCHEDULE'] = 'every quarter hour';
    await expect(LocalFunctionsHost.load('../../functions/index.ts')).rejects.toThrow(/FLEETGUARD_SWEEP_SCHEDULE: must be an NCRONTAB expression/);
  });
});
