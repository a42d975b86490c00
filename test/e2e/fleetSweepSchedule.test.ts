import { describe, expect, it } from 'vitest';

import { LocalFunctionsHost } from '../harness/functionsHost.js';

describe('fleetSweep schedule', () => {
  it('comes from FLEETGUARD_SWEEP_SCHEDULE', async () => {
    process.env['FLEETGUARD_SWEEP_SCHEDULE'] = '0 0 */2 * * *';
    const host = await LocalFunctionsHost.load('../../functions/index.ts');
    expect(host.triggerBinding('fleetSweep')[1]).toMatchObject({ schedule: '0 0 */2 * * *', runOnStartup: false, useMonitor: true });
  });
});
