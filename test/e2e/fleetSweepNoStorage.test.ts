import { describe, expect, it } from 'vitest';

import { LocalFunctionsHost } from '../harness/functionsHost.js';

describe('fleetSweep without storage settings', () => {
  it('a tick fails with a config error naming the storage setting, instead of sweeping into nowhere', async () => {
    for (const name of ['AzureWebJobsStorage', 'AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__tableServiceUri']) delete process.env[name];
    const host = await LocalFunctionsHost.load('../../functions/index.ts');
    await expect(host.invokeTimer('fleetSweep')).rejects.toThrow(/AzureWebJobsStorage__accountName: required/);
  });
});
