/**
 * Synthetic fleets for tests and benchmarks: N clusters spread over S subscriptions and L
 * locations, in the REST shape of the real API, with a deterministic mix of posture problems.
 */
import type { FleetSnapshot, JsonObject } from './snapshot.js';

export interface GeneratedFleetOptions {
  clusters: number;
  subscriptions: number;
  locations: number;
  /** Log Analytics workspaces the clusters report to (spread round-robin). */
  workspaces?: number;
}

const LOCATION_NAMES = [
  'northeurope',
  'westeurope',
  'eastus',
  'eastus2',
  'westus2',
  'uksouth',
  'francecentral',
  'swedencentral',
  'japaneast',
  'australiaeast',
  'centralindia',
  'brazilsouth',
];
const VERSIONS = ['1.30.7', '1.31.4', '1.32.4', '1.32.4', '1.29.9'];

export function subscriptionIdFor(index: number): string {
  const hex = index.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}

export function locationFor(index: number): string {
  return LOCATION_NAMES[index % LOCATION_NAMES.length] ?? `location${index}`;
}

function versionsBody(): JsonObject {
  return {
    values: [
      { version: '1.30', capabilities: { supportPlan: ['KubernetesOfficial'] }, patchVersions: { '1.30.7': { upgrades: ['1.31.4'] } } },
      { version: '1.31', capabilities: { supportPlan: ['KubernetesOfficial'] }, patchVersions: { '1.31.4': { upgrades: ['1.32.4'] } } },
      { version: '1.32', isDefault: true, capabilities: { supportPlan: ['KubernetesOfficial'] }, patchVersions: { '1.32.4': { upgrades: [] } } },
    ],
  };
}

function cluster(index: number, options: GeneratedFleetOptions): JsonObject {
  const subscriptionId = subscriptionIdFor(index % options.subscriptions);
  const location = locationFor(index % options.locations);
  const version = VERSIONS[index % VERSIONS.length] ?? '1.32.4';
  const workspace = `/subscriptions/${subscriptionIdFor(0)}/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/ws${index % (options.workspaces ?? 1)}`;
  const name = `aks-${String(index).padStart(5, '0')}`;
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/rg-${index % 7}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    name,
    location,
    type: 'Microsoft.ContainerService/ManagedClusters',
    tags: { ring: String(index % 4), team: `team-${index % 5}` },
    properties: {
      provisioningState: index % 97 === 0 ? 'Failed' : 'Succeeded',
      powerState: { code: 'Running' },
      kubernetesVersion: version,
      currentKubernetesVersion: version,
      enableRBAC: index % 50 !== 0,
      disableLocalAccounts: index % 3 !== 0,
      aadProfile: index % 11 === 0 ? null : { managed: true, enableAzureRBAC: index % 4 !== 0 },
      apiServerAccessProfile: { enablePrivateCluster: index % 2 === 0, authorizedIPRanges: index % 6 === 1 ? ['203.0.113.0/24'] : [] },
      networkProfile: { networkPlugin: 'azure', networkPolicy: index % 5 === 0 ? null : 'cilium' },
      oidcIssuerProfile: { enabled: index % 7 !== 0 },
      securityProfile: {
        workloadIdentity: { enabled: index % 7 !== 0 },
        defender: { securityMonitoring: { enabled: index % 8 !== 0 }, logAnalyticsWorkspaceResourceId: workspace },
      },
      addonProfiles: {
        azurepolicy: { enabled: index % 9 !== 0 },
        azureKeyvaultSecretsProvider: { enabled: index % 10 !== 0 },
        omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: workspace } },
      },
      autoUpgradeProfile: { upgradeChannel: index % 12 === 0 ? 'none' : 'stable', nodeOSUpgradeChannel: index % 13 === 0 ? 'None' : 'NodeImage' },
      agentPoolProfiles: [
        {
          name: 'system',
          mode: 'System',
          count: 3,
          orchestratorVersion: version,
          currentOrchestratorVersion: version,
          provisioningState: 'Succeeded',
          powerState: { code: 'Running' },
        },
        ...(index % 15 === 0
          ? [
              {
                name: 'user',
                mode: 'User',
                count: 2,
                orchestratorVersion: '1.29.9',
                currentOrchestratorVersion: '1.29.9',
                provisioningState: 'Succeeded',
                powerState: { code: 'Running' },
              },
            ]
          : []),
      ],
    },
  };
}

const POLICY_DEFINITIONS = [
  { id: '95edb821-ddaf-4404-9732-666045e056b4', effect: 'deny' },
  { id: '1a5b4dca-0b6f-4cf5-907c-56316bc1bf3d', effect: 'audit' },
  { id: '993c2fcd-2b29-49d2-9eb0-df2c3a730c32', effect: 'audit' },
];

/** Three policy states per cluster, about one in six non-compliant. */
function policyStates(clusters: readonly JsonObject[]): JsonObject {
  const value = clusters.flatMap((entry, index) =>
    POLICY_DEFINITIONS.map((definition, definitionIndex) => {
      const resourceId = String(entry['id']);
      const subscriptionId = resourceId.split('/')[2] ?? '';
      return {
        timestamp: '2026-11-20T08:00:00Z',
        resourceId,
        resourceType: 'Microsoft.ContainerService/managedClusters',
        subscriptionId,
        policyAssignmentId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/policyAssignments/aks-baseline`,
        policyAssignmentName: 'aks-baseline',
        policyDefinitionId: `/providers/Microsoft.Authorization/policyDefinitions/${definition.id}`,
        policyDefinitionName: definition.id,
        policyDefinitionAction: definition.effect,
        complianceState: (index + definitionIndex) % 6 === 0 ? 'NonCompliant' : 'Compliant',
      };
    }),
  );
  return { value };
}

/** Failed API auth for one cluster in twenty. */
function failedAuthLogs(clusters: readonly JsonObject[]): JsonObject {
  const rows = clusters.filter((_entry, index) => index % 20 === 0).map((entry) => [String(entry['id']).toLowerCase(), 'unknown', '192.0.2.10', 25]);
  return {
    tables: [
      {
        name: 'PrimaryResult',
        columns: [
          { name: '_ResourceId', type: 'string' },
          { name: 'User', type: 'string' },
          { name: 'SourceIp', type: 'string' },
          { name: 'Failures', type: 'long' },
        ],
        rows,
      },
    ],
  };
}

export function generateFleet(options: GeneratedFleetOptions): FleetSnapshot {
  const clusters = Array.from({ length: options.clusters }, (_unused, index) => cluster(index, options));
  const versionsByLocation = new Map<string, JsonObject>();
  for (let index = 0; index < options.locations; index += 1) versionsByLocation.set(locationFor(index), versionsBody());
  return {
    source: `generated(${options.clusters} clusters)`,
    clusters,
    versionsByLocation,
    policyStates: policyStates(clusters),
    logs: new Map([['failed-api-auth', failedAuthLogs(clusters)]]),
  };
}

/** Every subscription id a generated fleet uses, including those that got no cluster. */
export function generatedSubscriptions(options: GeneratedFleetOptions): string[] {
  return Array.from({ length: options.subscriptions }, (_unused, index) => subscriptionIdFor(index));
}
