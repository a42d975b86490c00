import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { parseConfig } from '../../lib/config.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { conformanceSample } from '../harness/fixtures.js';
import { LocalFunctionsHost } from '../harness/functionsHost.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const SUB2 = '22222222-2222-2222-2222-222222222222';
/** The conformance sample's 12 findings of CONTRACTS.md §1, plus AKS-SYSTEM-POOL-ZONES on its 3 zoneless system pools (northeurope has zones). */
const CONFORMANCE_OPEN = 15;

describe('fleetSweep timer function, invoked as the host invokes it', () => {
  let local: LocalAzure;
  let host: LocalFunctionsHost;

  beforeAll(async () => {
    local = await startLocalAzure({
      snapshot: loadSnapshot(conformanceSample),
      tablesConnectionString: azuriteConnectionString(),
      settings: { FLEETGUARD_FINDINGS_TABLE: uniqueTableName('fnfindings'), FLEETGUARD_SWEEPS_TABLE: uniqueTableName('fnsweeps') },
    });
    // The app reads its settings from the environment, as on Azure.
    Object.assign(process.env, local.settings);
    host = await LocalFunctionsHost.load('../../functions/index.ts');
  });
  afterAll(() => local.close());

  it('registers a timer with the default schedule, not run on startup', () => {
    const [, binding] = host.triggerBinding('fleetSweep');
    expect(binding).toMatchObject({ type: 'timerTrigger', direction: 'in', schedule: '0 */15 * * * *', runOnStartup: false });
  });

  it('a tick sweeps the fleet into the findings store and logs a summary', async () => {
    await host.invokeTimer('fleetSweep');
    const clients = createAzureClients(parseConfig(local.settings));
    const open = await clients.findings!.listFindings({ status: 'open' });
    expect(open).toHaveLength(CONFORMANCE_OPEN);
    expect((await clients.sweeps!.latest(1))[0]).toMatchObject({ trigger: 'timer', status: 'succeeded', findings: CONFORMANCE_OPEN });
    expect(host.logsOf('fleetSweep').some((log) => log.level === 'information' && /Sweep succeeded: 3 clusters/.test(log.message))).toBe(true);
  });

  it('a late tick is logged, and a 403 subscription degrades only that subscription', async () => {
    local.simulator.faults.configure({ forbiddenSubscriptions: [SUB2] });
    await host.invokeTimer('fleetSweep', { isPastDue: true });
    local.simulator.faults.configure({});
    const warnings = host
      .logsOf('fleetSweep')
      .filter((log) => log.level === 'warning')
      .map((log) => log.message);
    expect(warnings.some((message) => message.includes('running late'))).toBe(true);
    expect(warnings.some((message) => message.includes(`subscription ${SUB2} (authError)`))).toBe(true);
    const clients = createAzureClients(parseConfig(local.settings));
    expect(await clients.findings!.listFindings({ status: 'open' })).toHaveLength(CONFORMANCE_OPEN);
  });

  it('fails the invocation (for monitoring) when no subscription could be swept, without touching findings', async () => {
    local.simulator.faults.configure({ forbiddenSubscriptions: ['11111111-1111-1111-1111-111111111111', SUB2] });
    await expect(host.invokeTimer('fleetSweep')).rejects.toThrow(/no subscription could be swept/);
    local.simulator.faults.configure({});
    const clients = createAzureClients(parseConfig(local.settings));
    expect(await clients.findings!.listFindings({ status: 'open' })).toHaveLength(CONFORMANCE_OPEN);
  });
});
