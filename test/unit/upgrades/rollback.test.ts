/**
 * Whether AKS's node-pool rollback applies to a pool a rollout upgraded (lib/upgrades/rollback.ts).
 * Rules from Learn "Roll back node pool versions in AKS" (within 7 days, one step back, auto-upgrade
 * channel off, node pools only) and Azure/azure-cli-extensions#9733 (node OS channel blocks the image).
 */
import { describe, expect, it } from 'vitest';

import {
  clusterRollback,
  type ClusterRollbackFacts,
  disableAutoUpgradeCommand,
  poolRollback,
  type PoolRollbackFacts,
  rollbackTargets,
} from '../../../lib/upgrades/rollback.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const DAY = 24 * 60 * 60_000;
const OLD = { orchestratorVersion: '1.31.3', nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.01.0' };

function pool(overrides: Partial<PoolRollbackFacts> = {}): PoolRollbackFacts {
  return {
    name: 'system',
    version: '1.32.4',
    nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.20.0',
    provisioningState: 'Succeeded',
    recentlyUsedVersions: [{ ...OLD, timestamp: new Date(NOW.getTime() - DAY).toISOString() }],
    ...overrides,
  };
}

function cluster(overrides: Partial<ClusterRollbackFacts> = {}): ClusterRollbackFacts {
  return {
    resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/checkout-prod',
    name: 'checkout-prod',
    resourceGroup: 'rg',
    subscriptionId: 's',
    kubernetesVersion: '1.32.4',
    upgradeChannel: 'none',
    nodeOsUpgradeChannel: 'Unmanaged',
    pools: [pool()],
    ...overrides,
  };
}

describe('poolRollback', () => {
  it('applies within 7 days, one step back, auto-upgrade off: to the pair AKS lists', () => {
    expect(poolRollback(cluster(), pool(), '1.32.4', NOW)).toEqual({
      pool: 'system',
      version: '1.32.4',
      nodeImageVersion: pool().nodeImageVersion,
      upgradedByRollout: true,
      rollback: { applies: true, to: OLD },
    });
  });

  it('not after 7 days (Learn: within 7 days)', () => {
    const stale = pool({ recentlyUsedVersions: [{ ...OLD, timestamp: new Date(NOW.getTime() - 8 * DAY).toISOString() }] });
    expect(poolRollback(cluster(), stale, '1.32.4', NOW).rollback).toEqual({
      applies: false,
      to: OLD,
      reason: `the pool was upgraded more than 7 days ago (at ${stale.recentlyUsedVersions[0]!.timestamp!}); AKS rolls back only within 7 days`,
    });
    // Exactly 7 days still applies.
    const edge = pool({ recentlyUsedVersions: [{ ...OLD, timestamp: new Date(NOW.getTime() - 7 * DAY).toISOString() }] });
    expect(poolRollback(cluster(), edge, '1.32.4', NOW).rollback.applies).toBe(true);
  });

  it('not without a recently used version: nothing to go back to', () => {
    expect(poolRollback(cluster(), pool({ recentlyUsedVersions: [] }), '1.32.4', NOW)).toMatchObject({
      upgradedByRollout: false,
      rollback: { applies: false, reason: 'AKS lists no recently used version for this pool: there is nothing to roll back to' },
    });
  });

  it("not for a pool the rollout did not move to its target: that last upgrade was someone else's", () => {
    expect(poolRollback(cluster(), pool({ version: '1.31.9' }), '1.32.4', NOW)).toMatchObject({
      upgradedByRollout: false,
      rollback: { applies: false, reason: expect.stringContaining('not moved to this rollout') },
    });
  });

  it('with the auto-upgrade channel on: not, and the exact command to turn it off, shell-quoted', () => {
    const odd = cluster({ upgradeChannel: 'stable', resourceGroup: "rg (team's)", name: 'checkout-prod' });
    const status = poolRollback(odd, pool(), '1.32.4', NOW).rollback;
    expect(status.applies).toBe(false);
    expect(status.reason).toBe(
      `the cluster's auto-upgrade channel is stable; AKS rolls back only with it off: az aks update --subscription s --resource-group 'rg (team'\\''s)' --name checkout-prod --auto-upgrade-channel none`,
    );
    expect(disableAutoUpgradeCommand({ subscriptionId: 's', resourceGroup: 'rg', name: 'a;rm -rf /' })).toBe(
      "az aks update --subscription s --resource-group rg --name 'a;rm -rf /' --auto-upgrade-channel none",
    );
  });

  it('with the node OS channel on NodeImage and the image to restore: not (Azure/azure-cli-extensions#9733)', () => {
    expect(poolRollback(cluster({ nodeOsUpgradeChannel: 'NodeImage' }), pool(), '1.32.4', NOW).rollback).toMatchObject({
      applies: false,
      reason: expect.stringContaining('--node-os-upgrade-channel None'),
    });
  });

  it('while the pool is busy: not yet; every obstacle is named at once', () => {
    const reason = poolRollback(cluster({ upgradeChannel: 'rapid' }), pool({ provisioningState: 'Upgrading' }), '1.32.4', NOW).rollback.reason ?? '';
    expect(reason).toMatch(
      /^the pool is Upgrading; wait until its operation ends; the cluster's auto-upgrade channel is rapid; AKS rolls back only with it off: az aks update /,
    );
  });

  it('picks the newest entry, as az aks nodepool rollback does (Azure/azure-cli#33509)', () => {
    const both = pool({
      recentlyUsedVersions: [
        { orchestratorVersion: '1.30.1', nodeImageVersion: 'a', timestamp: new Date(NOW.getTime() - 2 * DAY).toISOString() },
        { ...OLD, timestamp: new Date(NOW.getTime() - DAY).toISOString() },
      ],
    });
    expect(poolRollback(cluster(), both, '1.32.4', NOW).rollback.to).toEqual(OLD);
  });
});

describe('clusterRollback and rollbackTargets', () => {
  it('the control plane never rolls back (node pools only)', () => {
    expect(clusterRollback(cluster(), '1.32.4', NOW).controlPlane).toEqual({
      applies: false,
      reason: 'AKS rolls back node pools only: the control plane stays at 1.32.4',
    });
  });

  it('targets every pool the rollout upgraded; lists pools it did not without refusing', () => {
    const status = clusterRollback(cluster({ pools: [pool(), pool({ name: 'spot', version: '1.31.3', recentlyUsedVersions: [] })] }), '1.32.4', NOW);
    expect(rollbackTargets(status, 'checkout-prod')).toEqual({ targets: [{ resourceId: cluster().resourceId, pool: 'system', to: OLD }] });
  });

  it('refuses naming cluster and pool when an upgraded pool cannot roll back, or when none was upgraded', () => {
    const blocked = clusterRollback(cluster({ upgradeChannel: 'stable' }), '1.32.4', NOW);
    expect(rollbackTargets(blocked, 'checkout-prod')).toEqual({
      refusal: expect.stringMatching(/^checkout-prod\/system: the cluster's auto-upgrade channel is stable/),
    });
    const untouched = clusterRollback(cluster({ pools: [pool({ recentlyUsedVersions: [] })] }), '1.32.4', NOW);
    expect(rollbackTargets(untouched, 'checkout-prod')).toEqual({
      refusal:
        'checkout-prod: no node pool of it was upgraded by this rollout (system: AKS lists no recently used version for this pool: there is nothing to roll back to)',
    });
  });
});
