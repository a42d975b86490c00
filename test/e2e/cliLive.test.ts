import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { parseConfig } from '../../lib/config.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { runCli } from '../harness/cli.js';
import { conformanceSample } from '../harness/fixtures.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';

const fleetguard = runCli;

describe('fleetguard sweep against a configured Azure endpoint (the live path)', () => {
  let local: LocalAzure;
  beforeAll(async () => {
    local = await startLocalAzure({
      snapshot: loadSnapshot(conformanceSample),
      tablesConnectionString: azuriteConnectionString(),
      settings: { FLEETGUARD_FINDINGS_TABLE: uniqueTableName('clifindings'), FLEETGUARD_SWEEPS_TABLE: uniqueTableName('clisweeps') },
    });
  });
  afterAll(() => local.close());

  it('--subscription limits the sweep, and findings land in the configured store', async () => {
    const run = await fleetguard(['sweep', '--subscription', SUB1, '--json'], local.settings);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout) as { findings: Array<{ subscriptionId: string }>; stats: { subscriptions: { total: number } } };
    expect(doc.stats.subscriptions.total).toBe(1);
    expect(new Set(doc.findings.map((finding) => finding.subscriptionId))).toEqual(new Set([SUB1]));
    const stored = await createAzureClients(parseConfig(local.settings)).findings!.listFindings();
    expect(stored).toHaveLength(doc.findings.length);
  });

  it('exits 1 with the reasons when no subscription can be swept', async () => {
    local.simulator.faults.configure({ forbiddenSubscriptions: [SUB1] });
    const run = await fleetguard(['sweep', '--subscription', SUB1], local.settings);
    local.simulator.faults.configure({});
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('Sweep failed');
    expect(run.stdout).toContain(`! subscription ${SUB1}: listing managed clusters of subscription ${SUB1}: HTTP 403 AuthorizationFailed`);
  });
});
