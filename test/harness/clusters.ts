import type { Cluster } from '../../lib/model/cluster.js';

/** A cluster that passes every AKS-* rule; tests break one thing at a time. */
export function compliantCluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/good',
    name: 'good',
    subscriptionId: '11111111-1111-1111-1111-111111111111',
    resourceGroup: 'rg',
    location: 'northeurope',
    tags: {},
    provisioningState: 'Succeeded',
    powerState: 'Running',
    kubernetesVersion: '1.32.3',
    agentPools: [
      {
        name: 'system',
        mode: 'System',
        version: '1.32.3',
        provisioningState: 'Succeeded',
        powerState: 'Running',
        count: 3,
        nodeImageVersion: undefined,
        type: 'VirtualMachineScaleSets',
        availabilityZones: ['1', '2', '3'],
      },
    ],
    enableRbac: true,
    aadManaged: true,
    aadAzureRbac: true,
    disableLocalAccounts: true,
    privateCluster: true,
    authorizedIpRanges: [],
    networkPolicy: 'cilium',
    workloadIdentity: true,
    oidcIssuer: true,
    addons: {
      azurepolicy: { enabled: true, config: {} },
      azurekeyvaultsecretsprovider: { enabled: true, config: { enableSecretRotation: 'true' } },
      omsagent: { enabled: true, config: {} },
    },
    defenderMonitoring: true,
    defenderWorkspaceId: undefined,
    logWorkspaceIds: [],
    upgradeChannel: 'stable',
    nodeOsUpgradeChannel: 'NodeImage',
    supportPlan: undefined,
    skuTier: 'Standard',
    identityType: 'SystemAssigned',
    servicePrincipalClientId: 'msi',
    ...overrides,
  };
}

/** The sample fleet's subscriptions (tooling/simulator/sample-fleet/managedClusters.json). */
const SAMPLE_SUBSCRIPTIONS = ['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222', '33333333-3333-3333-3333-333333333333'];

/**
 * Removes the `environment` tag from every cluster of the sample fleet in the simulator. The sample
 * tags its production clusters (for AKS-PRODUCTION-TIER); rollout tests that start from a fleet with
 * no production wave (separation of duties off by default) call this first, then tag what they need.
 */
export function untagSampleEnvironments(fleet: { clustersOf(subscriptionId: string): Array<Record<string, unknown>> }): void {
  for (const subscriptionId of SAMPLE_SUBSCRIPTIONS) {
    for (const cluster of fleet.clustersOf(subscriptionId)) {
      const tags = cluster['tags'] as Record<string, string> | undefined;
      if (tags === undefined) continue;
      for (const key of Object.keys(tags)) if (key.toLowerCase() === 'environment' || key.toLowerCase() === 'env') delete tags[key];
    }
  }
}
