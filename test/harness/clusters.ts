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
