import { afterEach, describe, expect, it } from 'vitest';

import { sampleFleetDirectory } from '../../lib/simulator/sampleFleet.js';
import { loadSnapshot } from '../../lib/simulator/snapshot.js';
import type { RolloutRequest } from '../../lib/upgrades/plan.js';
import { type Rehearsal, rehearseRollout } from '../../lib/upgrades/rehearsal.js';
import { azuriteConnectionString } from '../harness/tables.js';

function request(overrides: Partial<RolloutRequest> = {}): RolloutRequest {
  return {
    target: '1.32',
    scope: {},
    waves: { byTag: 'ring' },
    waveSettings: { maxParallel: 2, soakMinutes: 10, requireApproval: false },
    upgradeType: 'Full',
    maxFailedClusters: 0,
    respectMaintenanceWindows: false,
    allowMultiMinorHops: false,
    dryRun: false,
    ...overrides,
  };
}

let rehearsal: Rehearsal | undefined;
afterEach(async () => {
  await rehearsal?.local.close();
  rehearsal = undefined;
});

describe('rollout rehearsal on the local durable host', () => {
  it('upgrades every eligible cluster wave by wave, exactly once each', async () => {
    rehearsal = await rehearseRollout({ snapshot: loadSnapshot(sampleFleetDirectory()), request: request(), tablesConnectionString: azuriteConnectionString() }, process.env);
    const { outcome } = rehearsal;
    console.log(JSON.stringify(outcome, null, 1), JSON.stringify(rehearsal.writesByCluster), JSON.stringify(rehearsal.stats));
    expect(outcome.status).toBe('Completed');
    expect(outcome.waves.map((wave) => [wave.name, wave.status])).toEqual([
      ['0', 'Completed'],
      ['1', 'Completed'],
      ['2', 'Completed'],
    ]);
    const byName = Object.fromEntries(outcome.waves.flatMap((wave) => wave.clusters.map((cluster) => [cluster.resourceId.split('/').at(-1), cluster])));
    expect(byName['checkout-prod']).toMatchObject({ status: 'Upgraded', fromVersion: '1.31.3', toVersion: '1.32.3' });
    expect(byName['payments-prod']).toMatchObject({ status: 'Skipped', reason: 'already at 1.32.3' });
    expect(outcome.excluded.map((entry) => [entry.resourceId.split('/').at(-1), entry.reason])).toEqual(
      expect.arrayContaining([
        ['legacy-reporting', 'provisioningState is Failed, not Succeeded'],
        ['batch-staging', expect.stringContaining('crosses 4 minors')],
      ]),
    );
    // Control plane then its pool: two writes per upgraded cluster, never more.
    expect(rehearsal.writesByCluster['checkout-prod']).toBe(2);
  });
});
