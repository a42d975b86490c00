import { describe, expect, it } from 'vitest';

import { FleetGuardError } from '../../../lib/errors.js';
import type { Cluster } from '../../../lib/model/cluster.js';
import type { KubernetesVersionCatalog } from '../../../lib/model/kubernetesVersions.js';
import { nextUpgradeStep } from '../../../lib/upgrades/advance.js';
import { deprecatedApiExclusion, planRollout, type RolloutRequest } from '../../../lib/upgrades/plan.js';
import { compliantCluster } from '../../harness/clusters.js';
import { planRequest } from '../../harness/rolloutRequests.js';

const CATALOG: KubernetesVersionCatalog = {
  location: 'northeurope',
  minors: [
    { minor: '1.30', isPreview: false, isDefault: false, supportPlans: [], patches: { '1.30.4': [], '1.30.7': [] } },
    { minor: '1.31', isPreview: false, isDefault: false, supportPlans: [], patches: { '1.31.3': [], '1.31.10': [] } },
    { minor: '1.32', isPreview: false, isDefault: true, supportPlans: [], patches: { '1.32.3': [] } },
    { minor: '1.33', isPreview: true, isDefault: false, supportPlans: [], patches: { '1.33.1': [] } },
  ],
};

function cluster(name: string, version: string, overrides: Partial<Cluster> = {}): Cluster {
  return compliantCluster({
    name,
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
    kubernetesVersion: version,
    tags: { ring: '1' },
    ...overrides,
  });
}

function plan(clusters: Cluster[], overrides: Partial<RolloutRequest> = {}) {
  return planRollout(clusters, new Map([['northeurope', CATALOG]]), planRequest(overrides));
}

describe('rollout planning', () => {
  it('a minor target means the newest patch of that minor (numeric order: 1.31.10 > 1.31.3)', () => {
    const result = plan([cluster('a', '1.30.7')], { target: '1.31' });
    expect(result.waves[0]?.clusters[0]).toMatchObject({ fromVersion: '1.30.7', toVersion: '1.31.10', hops: ['1.31.10'] });
  });

  it('refuses skipping a minor unless hops are allowed, then plans them', () => {
    expect(plan([cluster('a', '1.30.4')]).excluded[0]?.reason).toMatch(/crosses 2 minors/);
    expect(plan([cluster('a', '1.30.4')], { allowMultiMinorHops: true }).waves[0]?.clusters[0]?.hops).toEqual(['1.31.10', '1.32.3']);
  });

  it('skips clusters at the target, refuses downgrades, excludes stopped and unhealthy ones', () => {
    const result = plan(
      [
        cluster('at', '1.32.3'),
        cluster('newer', '1.32.3'),
        cluster('stopped', '1.31.3', { powerState: 'Stopped' }),
        cluster('broken', '1.31.3', { provisioningState: 'Failed' }),
      ],
      { target: '1.31' },
    );
    expect(result.excluded.map((entry) => [entry.resourceId.split('/').at(-1), entry.reason])).toEqual([
      ['at', '1.32.3 is newer than the target 1.31.10: downgrades are refused'],
      ['broken', 'provisioningState is Failed, not Succeeded'],
      ['newer', '1.32.3 is newer than the target 1.31.10: downgrades are refused'],
      ['stopped', 'the cluster is stopped'],
    ]);
    expect(plan([cluster('at', '1.32.3')]).waves[0]?.clusters[0]?.skipReason).toBe('already at 1.32.3');
  });

  it('orders waves by tag value numerically; untagged clusters are excluded with a reason', () => {
    const result = plan([
      cluster('a', '1.31.3', { tags: { ring: '10' } }),
      cluster('b', '1.31.3', { tags: { ring: '2' } }),
      cluster('c', '1.31.3', { tags: {} }),
    ]);
    expect(result.waves.map((wave) => wave.name)).toEqual(['2', '10']);
    expect(result.excluded).toEqual([{ resourceId: expect.stringContaining('/c'), reason: 'no ring tag' }]);
  });

  it('rejects an unknown or preview-only target as bad input', () => {
    expect(() => plan([cluster('a', '1.31.3')], { target: '1.40' })).toThrow(FleetGuardError);
    expect(() => plan([cluster('a', '1.31.3')], { target: '1.33' })).toThrow(/not offered in any location/);
    expect(() => plan([cluster('a', '1.31.3')], { target: 'latest' })).toThrow(/not a Kubernetes version/);
  });

  it('applies scope and per-wave settings', () => {
    const result = plan([cluster('a', '1.31.3'), cluster('b', '1.31.3', { tags: { ring: '1', team: 'x' } })], {
      scope: { tags: { team: 'x' } },
      waveOverrides: { '1': { requireApproval: true, maxParallel: 5 } },
    });
    expect(result.waves).toEqual([
      expect.objectContaining({ name: '1', requireApproval: true, maxParallel: 5, soakMinutes: 5, clusters: [expect.objectContaining({ name: 'b' })] }),
    ]);
  });
});

describe('the next upgrade step', () => {
  const pools = (version: string, state = 'Succeeded') => [
    { name: 'system', mode: 'System', version, provisioningState: state, powerState: 'Running', count: 3, nodeImageVersion: 'img-1' },
  ];

  it('control plane first, then pools, then done; waits while anything is upgrading', () => {
    expect(nextUpgradeStep(cluster('a', '1.31.3', { agentPools: pools('1.31.3') }), '1.32.3', 'Full', {})).toEqual({
      kind: 'startControlPlane',
      version: '1.32.3',
    });
    expect(nextUpgradeStep(cluster('a', '1.32.3', { agentPools: pools('1.31.3') }), '1.32.3', 'Full', {})).toEqual({
      kind: 'startPool',
      pool: 'system',
      version: '1.32.3',
    });
    expect(nextUpgradeStep(cluster('a', '1.32.3', { agentPools: pools('1.31.3') }), '1.32.3', 'ControlPlaneOnly', {})).toEqual({ kind: 'done' });
    expect(nextUpgradeStep(cluster('a', '1.32.3', { agentPools: pools('1.32.3') }), '1.32.3', 'Full', {})).toEqual({ kind: 'done' });
    expect(nextUpgradeStep(cluster('a', '1.32.3', { provisioningState: 'Upgrading', agentPools: pools('1.31.3') }), '1.32.3', 'Full', {})).toEqual({
      kind: 'wait',
    });
    expect(nextUpgradeStep(cluster('a', '1.32.3', { agentPools: pools('1.31.3', 'Upgrading') }), '1.32.3', 'Full', {})).toEqual({ kind: 'wait' });
  });

  it('reports failures, and tracks node-image upgrades against the starting images', () => {
    expect(nextUpgradeStep(cluster('a', '1.31.3', { provisioningState: 'Failed' }), '1.32.3', 'Full', {})).toMatchObject({ kind: 'failed' });
    expect(nextUpgradeStep(cluster('a', '1.31.3', { agentPools: pools('1.31.3') }), '1.31.3', 'NodeImageOnly', { system: 'img-1' })).toEqual({
      kind: 'startNodeImage',
      pool: 'system',
    });
    expect(nextUpgradeStep(cluster('a', '1.31.3', { agentPools: pools('1.31.3') }), '1.31.3', 'NodeImageOnly', { system: 'img-0' })).toEqual({ kind: 'done' });
  });
});

describe('upgrade profiles', () => {
  it('exclude a cluster whose upgrade profile does not offer the first hop', () => {
    const a = cluster('a', '1.31.3');
    const result = planRollout(
      [a],
      new Map([['northeurope', CATALOG]]),
      planRequest(),
      new Map([[a.id.toLowerCase(), [{ version: '1.31.10', isPreview: false }]]]),
    );
    expect(result.excluded).toEqual([{ resourceId: a.id, reason: 'its upgrade profile does not offer 1.32.3 (offers 1.31.10)' }]);
  });

  /** `isPreview` on an upgrade entry, as in the official ManagedClustersGetUpgradeProfile example (2025-07-01). */
  function planWithProfile(target: string, offered: Array<{ version: string; isPreview: boolean }>, catalog: KubernetesVersionCatalog = CATALOG) {
    const a = cluster('a', '1.31.3');
    return planRollout([a], new Map([['northeurope', catalog]]), planRequest({ target, allowMultiMinorHops: true }), new Map([[a.id.toLowerCase(), offered]]));
  }
  const WITH_PREVIEW_PATCH: KubernetesVersionCatalog = {
    ...CATALOG,
    minors: CATALOG.minors.map((entry) => (entry.minor === '1.32' ? { ...entry, patches: { '1.32.3': [], '1.32.5': [] } } : entry)),
  };

  it('never choose a version the upgrade profile flags as preview for a minor target', () => {
    const result = planWithProfile('1.32', [{ version: '1.32.3', isPreview: true }]);
    expect(result.excluded).toEqual([
      {
        resourceId: expect.stringContaining('/a'),
        reason: 'its upgrade profile offers 1.32.3 only as a preview version (name 1.32.3 as the target to take it)',
      },
    ]);
  });

  it('fall back to the newest non-preview patch of the same minor the profile offers', () => {
    const result = planWithProfile(
      '1.32',
      [
        { version: '1.32.3', isPreview: false },
        { version: '1.32.5', isPreview: true },
      ],
      WITH_PREVIEW_PATCH,
    );
    expect(result.excluded).toEqual([]);
    expect(result.waves[0]?.clusters.map((entry) => [entry.toVersion, entry.hops])).toEqual([['1.32.3', ['1.32.3']]]);
  });

  it('take a preview version when the request names it exactly', () => {
    const result = planWithProfile(
      '1.32.5',
      [
        { version: '1.32.3', isPreview: false },
        { version: '1.32.5', isPreview: true },
      ],
      WITH_PREVIEW_PATCH,
    );
    expect(result.waves[0]?.clusters.map((entry) => entry.toVersion)).toEqual(['1.32.5']);
  });

  it('never pass through a preview-only minor on the way to the target', () => {
    const withPreviewBetween: KubernetesVersionCatalog = {
      location: 'northeurope',
      minors: [
        ...CATALOG.minors.filter((entry) => entry.minor !== '1.33'),
        { minor: '1.33', isPreview: true, isDefault: false, supportPlans: [], patches: { '1.33.1': [] } },
        { minor: '1.34', isPreview: false, isDefault: false, supportPlans: [], patches: { '1.34.0': [] } },
      ],
    };
    const a = cluster('a', '1.32.3');
    const result = planRollout([a], new Map([['northeurope', withPreviewBetween]]), planRequest({ target: '1.34', allowMultiMinorHops: true }));
    expect(result.excluded).toEqual([{ resourceId: a.id, reason: 'the way to 1.34.0 passes 1.33, which is preview-only in northeurope' }]);
  });
});

describe('gate measurements', () => {
  it('strict signals trip on any rise; detections only on a clear one', async () => {
    const { healthDegraded, STRICT_SIGNALS } = await import('../../../lib/upgrades/health.js');
    expect(healthDegraded({ crashloop: 3 }, { crashloop: 6 })).toBeUndefined();
    expect(healthDegraded({ crashloop: 3 }, { crashloop: 9 })).toBe('crashloop rose from 3 to 9');
    expect(healthDegraded({ crashloop: 100 }, { crashloop: 150 })).toBeUndefined();
    expect(healthDegraded({ [STRICT_SIGNALS.provisioning]: 0 }, { [STRICT_SIGNALS.provisioning]: 1 })).toBe('provisioning-failed rose from 0 to 1');
    expect(healthDegraded({ [STRICT_SIGNALS.skew]: 1 }, { [STRICT_SIGNALS.skew]: 1 })).toBeUndefined();
  });

  it('explicit wave lists by id or name', () => {
    const result = plan([cluster('a', '1.31.3', { tags: {} }), cluster('b', '1.31.3', { tags: {} }), cluster('c', '1.31.3', { tags: {} })], {
      waves: { explicit: [['b'], ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/A']] },
    });
    expect(result.waves.map((wave) => [wave.name, wave.clusters.map((entry) => entry.name)])).toEqual([
      ['0', ['b']],
      ['1', ['a']],
    ]);
    expect(result.excluded).toEqual([{ resourceId: expect.stringContaining('/c'), reason: 'not in any wave' }]);
  });
});

describe('deprecated-API exclusion (Learn: aks/stop-cluster-upgrade-api-breaking-changes)', () => {
  // The message from the Learn page's example refusal.
  const MESSAGE =
    'Control Plane upgrade is blocked due to recent usage of a Kubernetes API deprecated in the specified version. Please refer to https://kubernetes.io/docs/reference/using-api/deprecation-guide to migrate the usage. To bypass this error, set enable-force-upgrade in upgradeSettings.overrideSettings. Bypassing this error without migrating usage will result in the deprecated Kubernetes API calls failing. Usage details: 1 error occurred:\n\t* usage has been detected on API flowcontrol.apiserver.k8s.io.prioritylevelconfigurations.v1beta1, and was recently seen at: 2023-03-23 20:57:18 +0000 UTC, which will be removed in 1.26\n\n';

  it('names the API and when it was seen, how to migrate, and the bypass command', () => {
    const reason = deprecatedApiExclusion({ name: 'web-dev', resourceGroup: 'web', subscriptionId: '11111111-1111-1111-1111-111111111111' }, '1.26.3', MESSAGE);
    expect(reason).toBe(
      'AKS refused the minor upgrade to 1.26.3 (UpgradeBlockedOnDeprecatedAPIUsage): deprecated Kubernetes APIs were used in the last 12 hours ' +
        '(usage has been detected on API flowcontrol.apiserver.k8s.io.prioritylevelconfigurations.v1beta1, and was recently seen at: 2023-03-23 20:57:18 +0000 UTC, which will be removed in 1.26). ' +
        'Migrate them (https://kubernetes.io/docs/reference/using-api/deprecation-guide) and retry once 12 hours pass without use, or bypass the check: ' +
        'az aks update --subscription 11111111-1111-1111-1111-111111111111 --resource-group web --name web-dev --enable-force-upgrade --upgrade-override-until <UTC time, e.g. 2030-01-01T00:00:00Z> ' +
        '(sets upgradeSettings.overrideSettings.forceUpgrade and until; https://learn.microsoft.com/azure/aks/stop-cluster-upgrade-api-breaking-changes).',
    );
  });

  it('quotes names the shell would read otherwise (resource groups may hold parentheses)', () => {
    const reason = deprecatedApiExclusion({ name: 'c1', resourceGroup: "rg (prod)'s", subscriptionId: 's' }, '1.32.3', 'no details');
    expect(reason).toContain(`--resource-group 'rg (prod)'\\''s' --name c1 `);
    expect(reason).toMatch(
      /^AKS refused the minor upgrade to 1\.32\.3 \(UpgradeBlockedOnDeprecatedAPIUsage\): deprecated Kubernetes APIs were used in the last 12 hours\. Migrate/,
    );
  });
});
