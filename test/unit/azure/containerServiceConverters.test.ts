import type { MaintenanceWindow, ManagedCluster, ManagedClusterUpgradeProfile } from '@azure/arm-containerservice';
import { describe, expect, it } from 'vitest';

import { toCluster, toControlPlaneUpgrades, toMaintenanceWindowSpec, toVersionCatalog } from '../../../lib/azure/containerServiceConverters.js';
import { nextMaintenanceWindow } from '../../../lib/upgrades/maintenanceWindow.js';

const ID = '/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/RG1/providers/Microsoft.ContainerService/managedClusters/c1';

/** The SDK's flattened shape; ARM's nulls pass through its deserializer unchanged. */
function sdkCluster(fields: Record<string, unknown>): ManagedCluster {
  return { id: ID, name: 'c1', location: 'North Europe', ...fields };
}

describe('ManagedCluster → Cluster', () => {
  it('reads the flattened SDK fields the rules need', () => {
    const cluster = toCluster(
      sdkCluster({
        tags: { ring: '1' },
        provisioningState: 'Succeeded',
        powerState: { code: 'Running' },
        kubernetesVersion: '1.31.1',
        currentKubernetesVersion: '1.31.2',
        enableRbac: true,
        aadProfile: { managed: true, enableAzureRbac: true },
        disableLocalAccounts: true,
        apiServerAccessProfile: { enablePrivateCluster: false, authorizedIPRanges: ['10.0.0.0/8'] },
        networkProfile: { networkPolicy: 'cilium' },
        securityProfile: { workloadIdentity: { enabled: true }, defender: { securityMonitoring: { enabled: true }, logAnalyticsWorkspaceResourceId: '/w' } },
        oidcIssuerProfile: { enabled: true },
        addonProfiles: { omsAgent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: '/w2' } }, azurepolicy: { enabled: true } },
        autoUpgradeProfile: { upgradeChannel: 'stable', nodeOSUpgradeChannel: 'NodeImage' },
        agentPoolProfiles: [{ name: 'sys', mode: 'System', orchestratorVersion: '1.31.1', currentOrchestratorVersion: '1.30.9', count: 3 }],
        sku: { name: 'Base', tier: 'Premium' },
        supportPlan: 'AKSLongTermSupport',
      }),
    );
    expect(cluster).toMatchObject({
      id: ID,
      subscriptionId: '11111111-1111-1111-1111-111111111111',
      resourceGroup: 'RG1',
      location: 'northeurope',
      kubernetesVersion: '1.31.2',
      enableRbac: true,
      aadManaged: true,
      aadAzureRbac: true,
      privateCluster: false,
      authorizedIpRanges: ['10.0.0.0/8'],
      networkPolicy: 'cilium',
      workloadIdentity: true,
      oidcIssuer: true,
      defenderMonitoring: true,
      defenderWorkspaceId: '/w',
      upgradeChannel: 'stable',
      nodeOsUpgradeChannel: 'NodeImage',
      supportPlan: 'AKSLongTermSupport',
      skuTier: 'Premium',
    });
    // Add-on keys compare case-insensitively (omsagent and omsAgent both occur).
    expect(cluster.addons['omsagent']).toEqual({ enabled: true, config: { logAnalyticsWorkspaceResourceID: '/w2' } });
    expect(cluster.agentPools).toEqual([
      {
        name: 'sys',
        mode: 'System',
        version: '1.30.9',
        provisioningState: undefined,
        powerState: undefined,
        count: 3,
        nodeImageVersion: undefined,
        type: undefined,
        availabilityZones: [],
        minCount: undefined,
        enableAutoScaling: undefined,
      },
    ]);
  });

  it('turns nulls and wrong types into "not set" instead of throwing', () => {
    const cluster = toCluster(
      sdkCluster({
        aadProfile: null,
        enableRbac: 'true',
        apiServerAccessProfile: { authorizedIPRanges: [null, 42, ''] },
        networkProfile: { networkPolicy: null },
        addonProfiles: { azurepolicy: null, azureKeyvaultSecretsProvider: { enabled: 'yes', config: null } },
        agentPoolProfiles: [null, { count: 2 }, { name: 'ok' }],
        tags: { good: 'x', bad: 3 },
        sku: null,
        supportPlan: 7,
      }),
    );
    expect(cluster).toMatchObject({ supportPlan: undefined, skuTier: undefined });
    expect(cluster).toMatchObject({ enableRbac: undefined, aadManaged: undefined, authorizedIpRanges: [], networkPolicy: undefined, tags: { good: 'x' } });
    expect(cluster.addons['azurepolicy']).toEqual({ enabled: undefined, config: {} });
    expect(cluster.addons['azurekeyvaultsecretsprovider']?.enabled).toBeUndefined();
    expect(cluster.agentPools.map((pool) => pool.name)).toEqual(['ok']);
  });

  it('rejects a cluster without a usable ARM id, naming the field', () => {
    expect(() => toCluster({ name: 'ghost' } as ManagedCluster)).toThrow(/managed cluster "ghost" has no valid ARM id \(field: id\)/);
    expect(() => toCluster({ id: '/foo/bar', name: 'x' } as ManagedCluster)).toThrow(/field: id/);
  });
});

describe('KubernetesVersionListResult → catalog', () => {
  it('skips entries without a usable version and normalises the location', () => {
    const catalog = toVersionCatalog('West Europe', {
      values: [{ version: '1.30', patchVersions: { '1.30.1': { upgrades: ['1.31.0'] } } }, { version: 'garbage' }, {}],
    });
    expect(catalog.location).toBe('westeurope');
    expect(catalog.minors.map((minor) => minor.minor)).toEqual(['1.30']);
    expect(catalog.minors[0]?.patches).toEqual({ '1.30.1': ['1.31.0'] });
  });

  it('keeps the support plans of each minor as listed (a minor without capabilities lists none)', () => {
    const catalog = toVersionCatalog('x', {
      values: [
        { version: '1.27', capabilities: { supportPlan: ['AKSLongTermSupport'] } },
        { version: '1.30', capabilities: { supportPlan: ['KubernetesOfficial', 'AKSLongTermSupport'] } },
        { version: '1.31' },
      ],
    });
    expect(catalog.minors.map((minor) => [minor.minor, minor.supportPlans])).toEqual([
      ['1.27', ['AKSLongTermSupport']],
      ['1.30', ['KubernetesOfficial', 'AKSLongTermSupport']],
      ['1.31', []],
    ]);
  });
});

describe('ManagedClusterUpgradeProfile → offered upgrades', () => {
  it('keeps isPreview per entry and skips entries without a version', () => {
    const profile = {
      controlPlaneProfile: {
        kubernetesVersion: '1.7.7',
        osType: 'Linux',
        upgrades: [{ kubernetesVersion: '1.7.9', isPreview: true }, { kubernetesVersion: '1.7.11' }, { isPreview: true }, null],
      },
    } as unknown as ManagedClusterUpgradeProfile;
    expect(toControlPlaneUpgrades(profile)).toEqual([
      { version: '1.7.9', isPreview: true },
      { version: '1.7.11', isPreview: false },
    ]);
    expect(toControlPlaneUpgrades({} as ManagedClusterUpgradeProfile)).toEqual([]);
  });
});

describe('MaintenanceWindow → window spec', () => {
  it('reads the dates the SDK deserialised (Date at midnight UTC) as YYYY-MM-DD, blackouts included', () => {
    const window = {
      schedule: { weekly: { intervalWeeks: 3, dayOfWeek: 'Monday' }, daily: undefined, absoluteMonthly: null },
      durationHours: 10,
      utcOffset: '+05:30',
      startDate: new Date('2023-01-01'),
      startTime: '08:30',
      notAllowedDates: [{ start: new Date('2023-12-23'), end: new Date('2024-01-05') }],
    } as unknown as MaintenanceWindow;
    expect(toMaintenanceWindowSpec(window)).toEqual({
      schedule: { weekly: { intervalWeeks: 3, dayOfWeek: 'Monday' } },
      durationHours: 10,
      utcOffset: '+05:30',
      startDate: '2023-01-01',
      startTime: '08:30',
      notAllowedDates: [{ start: '2023-12-23', end: '2024-01-05' }],
    });
  });

  it('passes a missing or mistyped field on empty, so the window is reported unsupported naming it', () => {
    const now = new Date('2026-11-23T08:00:00Z');
    const verdict = (window: unknown) => nextMaintenanceWindow(toMaintenanceWindowSpec(window as MaintenanceWindow), now);
    expect(verdict({ schedule: { daily: { intervalDays: 1 } }, startTime: '01:00' })).toMatchObject({
      kind: 'unsupported',
      reason: expect.stringContaining('durationHours'),
    });
    expect(verdict({ schedule: { daily: { intervalDays: 1 } }, durationHours: 4 })).toMatchObject({
      kind: 'unsupported',
      reason: expect.stringContaining('startTime'),
    });
    expect(
      verdict({ schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '01:00', notAllowedDates: [{ start: '2023-01-01' }] }),
    ).toMatchObject({ kind: 'unsupported', reason: expect.stringContaining('notAllowedDates') });
    expect(verdict(null)).toMatchObject({ kind: 'unsupported', reason: 'the maintenance window has no schedule' });
  });
});
