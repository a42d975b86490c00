import { describe, expect, it } from 'vitest';

import { FleetState } from '../../../tooling/simulator/fleetState.js';
import { loadSnapshot } from '../../../tooling/simulator/snapshot.js';
import { conformanceSample } from '../../harness/fixtures.js';

const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';

function upgradesOf(profile: Record<string, unknown>, part: 'controlPlane' | 'pool'): string[] {
  const properties = profile['properties'] as {
    controlPlaneProfile: { upgrades: Array<{ kubernetesVersion: string }> };
    agentPoolProfiles: Array<{ upgrades: Array<{ kubernetesVersion: string }> }>;
  };
  const upgrades = part === 'controlPlane' ? properties.controlPlaneProfile.upgrades : properties.agentPoolProfiles[0]!.upgrades;
  return upgrades.map((upgrade) => upgrade.kubernetesVersion);
}

describe('simulated fleet state', () => {
  const fleet = () => new FleetState(loadSnapshot(conformanceSample), ['44444444-4444-4444-4444-444444444444']);

  it('groups clusters by subscription and keeps extra empty subscriptions', () => {
    const state = fleet();
    expect(state.listSubscriptions().map((s) => [s.subscriptionId, s.clusters.length])).toEqual([
      ['44444444-4444-4444-4444-444444444444', 0],
      ['11111111-1111-1111-1111-111111111111', 2],
      ['22222222-2222-2222-2222-222222222222', 1],
    ]);
    expect(state.findCluster('11111111-1111-1111-1111-111111111111', 'WEB', 'Web-Dev')?.['name']).toBe('web-dev');
  });

  it('derives the upgrade profile: newer patches of the minor and the next minor only, preview flagged', () => {
    const state = fleet();
    const webDev = state.findCluster('11111111-1111-1111-1111-111111111111', 'web', 'web-dev')!;
    // 1.30.4 → 1.30.7 (patch) and 1.31.3 (next minor); never 1.32 (AKS does not skip minors).
    expect(upgradesOf(state.upgradeProfile(webDev), 'controlPlane')).toEqual(['1.30.7', '1.31.3']);
    const payments = state.findCluster('11111111-1111-1111-1111-111111111111', 'payments', 'payments-prod')!;
    const profile = state.upgradeProfile(payments) as {
      properties: { controlPlaneProfile: { upgrades: Array<{ kubernetesVersion: string; isPreview?: boolean }> } };
    };
    expect(profile.properties.controlPlaneProfile.upgrades).toEqual([{ kubernetesVersion: '1.33.1', isPreview: true }]);
  });

  it('pool upgrades never pass the control plane', () => {
    const state = fleet();
    const batch = state.findCluster('22222222-2222-2222-2222-222222222222', 'batch', 'batch-staging')!;
    const profile = state.upgradeProfile(batch) as { properties: { agentPoolProfiles: Array<{ name: string; upgrades: unknown[] }> } };
    // The control plane (1.28.9) is not in the catalog any more, so nothing is offered to a pool past it.
    expect(profile.properties.agentPoolProfiles.map((pool) => [pool.name, pool.upgrades])).toEqual([
      ['system', []],
      ['gpu', []],
    ]);
  });

  it('updates and removes clusters for later sweeps', () => {
    const state = fleet();
    expect(state.updateClusterProperties(WEB_DEV.toUpperCase(), (properties) => (properties['disableLocalAccounts'] = true))).toBe(true);
    expect(
      (state.findCluster('11111111-1111-1111-1111-111111111111', 'web', 'web-dev')!['properties'] as Record<string, unknown>)['disableLocalAccounts'],
    ).toBe(true);
    expect(state.removeCluster(WEB_DEV)).toBe(true);
    expect(state.clustersOf('11111111-1111-1111-1111-111111111111')).toHaveLength(1);
    expect(state.removeCluster(WEB_DEV)).toBe(false);
  });
});
