import { describe, expect, it } from 'vitest';

import type { PlannedCluster, PlannedWave, RolloutPlan } from '../../../lib/upgrades/plan.js';
import { notRetryableNow, RETRYABLE_STATUSES, retryCandidates, retryPlan } from '../../../lib/upgrades/retryPlan.js';

const id = (name: string) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;
const cluster = (name: string, skipReason?: string): PlannedCluster => ({
  resourceId: id(name),
  name,
  subscriptionId: 's',
  resourceGroup: 'rg',
  location: 'westeurope',
  fromVersion: '1.31.3',
  toVersion: '1.32.3',
  hops: ['1.32.3'],
  skipReason,
});
const wave = (name: string, clusters: PlannedCluster[], extra: Partial<PlannedWave> = {}): PlannedWave => ({
  name,
  maxParallel: 2,
  soakMinutes: 15,
  requireApproval: false,
  clusters,
  excluded: [],
  ...extra,
});
const PLAN: RolloutPlan = {
  target: '1.32',
  upgradeType: 'Full',
  maxFailedClusters: 1,
  respectMaintenanceWindows: true,
  waves: [
    wave('0', [cluster('a'), cluster('done', 'already at 1.32.3')]),
    wave('1', [cluster('b'), cluster('c')], {
      requireApproval: true,
      production: true,
      excluded: [{ resourceId: id('x'), fromVersion: '1.30.1', reason: 'too old' }],
    }),
    wave('2', [cluster('d')]),
  ],
  excluded: [{ resourceId: id('x'), reason: 'too old' }],
};

describe('retry planning', () => {
  it('candidates: the planned clusters in plan order, the output first, the recorded history next, NotStarted for the rest', () => {
    const outcome = {
      waves: [
        {
          clusters: [
            { resourceId: id('a'), status: 'Upgraded', reason: null },
            { resourceId: id('b').toUpperCase(), status: 'Failed', reason: 'gave up' },
          ],
        },
      ],
    };
    const recorded = [
      { resourceId: id('b'), status: 'NotStarted', reason: '' },
      { resourceId: id('c'), status: 'Aborted', reason: 'left to finish' },
    ];
    expect(retryCandidates(PLAN, { outcome, recorded }).map((entry) => [entry.name, entry.wave, entry.status, entry.reason])).toEqual([
      ['a', '0', 'Upgraded', null],
      ['b', '1', 'Failed', 'gave up'],
      ['c', '1', 'Aborted', 'left to finish'],
      ['d', '2', 'NotStarted', null],
    ]);
    expect([...RETRYABLE_STATUSES].sort()).toEqual(['Aborted', 'Failed', 'NotStarted']);
  });

  it('the retry plan is the same plan over the chosen clusters: settings kept, empty waves dropped, exclusions left with the original', () => {
    const plan = retryPlan(PLAN, [id('c'), id('D')]);
    expect(plan).toEqual({
      target: '1.32',
      upgradeType: 'Full',
      maxFailedClusters: 1,
      respectMaintenanceWindows: true,
      waves: [wave('1', [cluster('c')], { requireApproval: true, production: true }), wave('2', [cluster('d')])],
      excluded: [],
    });
  });

  it('a cluster can start again once no AKS operation runs on it or its pools', () => {
    const pool = (name: string, provisioningState: string | undefined) => ({ name, provisioningState }) as never;
    expect(notRetryableNow({ provisioningState: 'Succeeded', agentPools: [pool('system', 'Succeeded')] })).toBeUndefined();
    expect(notRetryableNow({ provisioningState: 'Failed', agentPools: [pool('system', 'Canceled')] })).toBeUndefined();
    expect(notRetryableNow({ provisioningState: 'Upgrading', agentPools: [pool('system', 'Succeeded'), pool('spot', 'UpgradingNodeImageVersion')] })).toBe(
      'an AKS operation is still running (provisioningState Upgrading, pool spot UpgradingNodeImageVersion)',
    );
    expect(notRetryableNow({ provisioningState: 'Succeeded', agentPools: [pool('gpu', 'Scaling')] })).toBe(
      'an AKS operation is still running (pool gpu Scaling)',
    );
    expect(notRetryableNow(undefined)).toBe('the cluster no longer exists');
  });
});
