import { describe, expect, it } from 'vitest';

import { LocalFunctionsHost } from '../harness/functionsHost.js';

describe('a malformed setting other than a schedule', () => {
  // Cold start: registration reads only the schedules; the full configuration is parsed once, on
  // the first invocation (lib/config.ts), so that is where a malformed setting stops the app.
  it('does not stop registration; every invocation fails with a config error naming the setting', async () => {
    process.env['FLEETGUARD_SWEEP_SCHEDULE'] = '0 0 */2 * * *';
    process.env['FLEETGUARD_SWEEP_CONCURRENCY'] = 'lots';
    process.env['FLEETGUARD_SUBSCRIPTIONS'] = 'not-a-subscription';
    const host = await LocalFunctionsHost.load('../../functions/index.ts');
    expect(host.functions.size).toBeGreaterThan(20);
    expect(host.triggerBinding('fleetSweep')[1]).toMatchObject({ schedule: '0 0 */2 * * *' });

    const named =
      /Invalid settings:(.|\n)*FLEETGUARD_SUBSCRIPTIONS \(entry 1\): each entry must be a subscription id(.|\n)*FLEETGUARD_SWEEP_CONCURRENCY: must be a whole number/;
    await expect(host.invokeTimer('fleetSweep')).rejects.toThrow(named);
    await expect(host.invokeTimer('alertDrain')).rejects.toThrow(named);
    await expect(
      host.invokeEventGrid('aksEvents', {
        id: 'e1',
        eventType: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
        subject: 's',
        data: {},
        dataVersion: '1',
        eventTime: '2026-01-01T00:00:00Z',
      }),
    ).rejects.toThrow(named);
    await expect(host.invokeHttp('silencesList', { method: 'GET', path: '/api/silences' })).rejects.toThrow(named);
    // A failed parse is not kept: once the setting is fixed, the next invocation parses again.
    process.env['FLEETGUARD_SWEEP_CONCURRENCY'] = '8';
    delete process.env['FLEETGUARD_SUBSCRIPTIONS'];
    for (const name of ['AzureWebJobsStorage', 'AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__tableServiceUri']) delete process.env[name];
    await expect(host.invokeTimer('fleetSweep')).rejects.toThrow(/AzureWebJobsStorage__accountName: required/);
  });
});
