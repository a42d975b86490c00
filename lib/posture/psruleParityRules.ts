/**
 * ARM parity with PSRule for Azure's Azure.AKS rules where a property of the ManagedCluster body
 * decides it (issue 16). Each rule states its PSRule counterpart and where it departs from it; the
 * sources are PSRule.Rules.Azure `src/PSRule.Rules.Azure/rules/Azure.AKS.Rule.ps1` (commit
 * fd7291f57025a8d65cbcb6fe657bf4b7a2de9106) and `Azure.AKS.Rule.yaml` (commit
 * 607eb180522b295053889d574b7ce7aea23b540b). Audit logs read diagnostic settings, not the cluster
 * body: that rule lives in `auditLogRules.ts`.
 */
import type { AgentPool, Cluster } from '../model/cluster.js';
import { shellWord } from '../shellWord.js';
import { azPoolTarget, azTarget, type ClusterRule, type PostureSettings, type RuleHit } from './rule.js';

/** PSRule's `AZURE_AKS_CLUSTER_MINIMUM_SYSTEM_NODES` default. */
export const MIN_SYSTEM_NODES = 3;

/**
 * Locations whose virtual machine scale sets offer zones 1, 2 and 3, as PSRule decides it: the
 * `zoneMappings` of Microsoft.Compute in its provider data (`data/providers/microsoft.compute/types.json`,
 * commit 06f75bbf82ab5f63c694f89ed968998068878bbf; Japan West and Indonesia Central are listed there
 * with no zones). A location outside the list is not checked, as PSRule passes it.
 */
export const ZONE_LOCATIONS: ReadonlySet<string> = new Set([
  'australiaeast',
  'brazilsouth',
  'canadacentral',
  'centralindia',
  'centralus',
  'eastasia',
  'eastus',
  'eastus2',
  'francecentral',
  'germanywestcentral',
  'israelcentral',
  'italynorth',
  'japaneast',
  'koreacentral',
  'mexicocentral',
  'newzealandnorth',
  'northeurope',
  'norwayeast',
  'polandcentral',
  'qatarcentral',
  'southafricanorth',
  'southcentralus',
  'southeastasia',
  'spaincentral',
  'swedencentral',
  'switzerlandnorth',
  'uaenorth',
  'uksouth',
  'westeurope',
  'westus2',
  'westus3',
]);

const PSRULE_DOCS = 'https://azure.github.io/PSRule.Rules.Azure/en/rules';

/** The PSRule for Azure rule a rule corresponds to, for the README and the report. */
export function psruleLink(name: string): string {
  return `${PSRULE_DOCS}/${name}/`;
}

/** PSRule's test for a system pool (`$agentPool.mode -ne 'user'`): a pool whose mode is missing counts as one. */
export function isSystemPool(pool: AgentPool): boolean {
  return (pool.mode ?? '').toLowerCase() !== 'user';
}

/** PSRule's node count of a pool: `minCount` when above 0, else `count` when above 0, else 0. */
export function poolNodeFloor(pool: AgentPool): number {
  if (pool.minCount !== undefined && pool.minCount > 0) return pool.minCount;
  if (pool.count !== undefined && pool.count > 0) return pool.count;
  return 0;
}

/**
 * The cluster's production tag as `name=value` when it carries the configured one (name and value
 * compared case-insensitively), else undefined.
 */
export function productionTag(cluster: Cluster, settings: PostureSettings): string | undefined {
  const name = settings.productionTag.name.toLowerCase();
  const values = new Set(settings.productionTag.values.map((value) => value.toLowerCase()));
  const tag = Object.entries(cluster.tags).find(([key, value]) => key.toLowerCase() === name && values.has(value.trim().toLowerCase()));
  return tag === undefined ? undefined : `${tag[0]}=${tag[1]}`;
}

function addon(cluster: Cluster, name: string): Cluster['addons'][string] | undefined {
  return cluster.addons[name.toLowerCase()];
}

function configValue(config: Record<string, string>, key: string): string | undefined {
  return Object.entries(config).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
}

const MANAGED_IDENTITY_TYPES = new Set(['systemassigned', 'userassigned']);
const UPTIME_SLA_TIERS = new Set(['standard', 'premium']);

export const AKS_KV_SECRET_ROTATION: ClusterRule = {
  id: 'AKS-KV-SECRET-ROTATION',
  frameworks: {},
  severity: 'low',
  title: 'Key Vault secrets provider does not rotate secrets',
  practice: 'Key Vault secrets provider',
  group: 'secrets',
  docUrl: 'https://learn.microsoft.com/azure/aks/csi-secrets-store-configuration-options#enable-and-disable-auto-rotation',
  needs: 'cluster',
  // Azure.AKS.SecretStoreRotation: only clusters with the add-on enabled (its selector
  // Azure.AKS.SecretStoreEnabled); passes when config.enableSecretRotation equals 'true'.
  evaluate: ({ cluster }) => {
    const provider = addon(cluster, 'azureKeyvaultSecretsProvider');
    if (provider?.enabled !== true) return [];
    const rotation = configValue(provider.config, 'enableSecretRotation');
    if ((rotation ?? '').toLowerCase() === 'true') return [];
    return [
      {
        detail: `Cluster ${cluster.name} mounts Key Vault secrets without auto-rotation (addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation is ${rotation === undefined ? 'not set' : `'${rotation}'`}), so a secret rotated in Key Vault stays stale in pods until they restart. Run: az aks addon update ${azTarget(cluster)} --addon azure-keyvault-secrets-provider --enable-secret-rotation`,
      },
    ];
  },
};

export const AKS_SYSTEM_POOL_ZONES: ClusterRule = {
  id: 'AKS-SYSTEM-POOL-ZONES',
  frameworks: {},
  severity: 'medium',
  title: 'System node pool is not spread over availability zones',
  practice: 'Reliability',
  group: 'workload',
  docUrl: 'https://learn.microsoft.com/azure/aks/availability-zones',
  needs: 'cluster',
  // Azure.AKS.AvailabilityZone checks every scale-set pool; the issue asks for system pools, so
  // user pools are left to their owners. Pools that are not scale sets pass, as in PSRule.
  evaluate: ({ cluster }) => {
    if (!ZONE_LOCATIONS.has(cluster.location)) return [];
    return cluster.agentPools
      .filter((pool) => isSystemPool(pool) && (pool.type ?? '').toLowerCase() === 'virtualmachinescalesets' && (pool.availabilityZones ?? []).length === 0)
      .map((pool): RuleHit => ({
        subject: pool.name,
        detail: `System pool ${pool.name} of cluster ${cluster.name} runs in one zone although ${cluster.location} offers zones 1, 2 and 3 (availabilityZones is not set), so one datacenter failure can take down CoreDNS and the other system pods. Zones cannot be added to an existing pool: add a zonal system pool and remove the old one: az aks nodepool add ${azPoolTarget(cluster)} --name ${shellWord(`${pool.name.slice(0, 10)}z`)} --mode System --zones 1 2 3 --node-count ${MIN_SYSTEM_NODES}, then az aks nodepool delete ${azPoolTarget(cluster)} --name ${shellWord(pool.name)}`,
      }));
  },
};

export const AKS_PRODUCTION_TIER: ClusterRule = {
  id: 'AKS-PRODUCTION-TIER',
  frameworks: {},
  severity: 'medium',
  title: 'Production cluster has no uptime SLA (Free tier)',
  practice: 'Reliability',
  group: 'workload',
  docUrl: 'https://learn.microsoft.com/azure/aks/free-standard-pricing-tiers',
  needs: 'cluster',
  // Azure.AKS.UptimeSLA asks sku.tier to contain 'Standard' of every cluster; we ask it of clusters
  // tagged production (PSRule leaves the scope to its configuration), and count Premium too: it
  // includes the Standard tier's uptime SLA.
  evaluate: ({ cluster, settings }) => {
    const tag = productionTag(cluster, settings);
    if (tag === undefined || UPTIME_SLA_TIERS.has((cluster.skuTier ?? '').toLowerCase())) return [];
    return [
      {
        detail: `Cluster ${cluster.name} is tagged ${tag} but runs on the ${cluster.skuTier ?? 'Free'} tier (sku.tier), which has no financially backed uptime SLA and a control plane sized for small, non-production clusters. Run: az aks update ${azTarget(cluster)} --tier standard`,
      },
    ];
  },
};

export const AKS_SYSTEM_POOL_MIN_NODES: ClusterRule = {
  id: 'AKS-SYSTEM-POOL-MIN-NODES',
  frameworks: {},
  severity: 'medium',
  title: `Fewer than ${MIN_SYSTEM_NODES} system nodes`,
  practice: 'Reliability',
  group: 'workload',
  docUrl: 'https://learn.microsoft.com/azure/aks/use-system-pools',
  needs: 'cluster',
  // Azure.AKS.MinNodeCount: the sum over pools whose mode is not User of minCount (when above 0)
  // else count, at least AZURE_AKS_CLUSTER_MINIMUM_SYSTEM_NODES (3).
  evaluate: ({ cluster }) => {
    const pools = cluster.agentPools.filter(isSystemPool);
    const nodes = pools.reduce((sum, pool) => sum + poolNodeFloor(pool), 0);
    if (nodes >= MIN_SYSTEM_NODES) return [];
    const pool = pools[0];
    const fix =
      pool === undefined
        ? `az aks nodepool add ${azPoolTarget(cluster)} --name system --mode System --node-count ${MIN_SYSTEM_NODES}`
        : pool.enableAutoScaling === true
          ? `az aks nodepool update ${azPoolTarget(cluster)} --name ${shellWord(pool.name)} --update-cluster-autoscaler --min-count ${MIN_SYSTEM_NODES} --max-count <max>`
          : `az aks nodepool scale ${azPoolTarget(cluster)} --name ${shellWord(pool.name)} --node-count ${MIN_SYSTEM_NODES}`;
    return [
      {
        detail: `Cluster ${cluster.name} has ${nodes} system node${nodes === 1 ? '' : 's'} (minCount, else count, of its System pools), fewer than ${MIN_SYSTEM_NODES}: an upgrade or one node failure leaves CoreDNS and metrics-server without room to fail over. Run: ${fix}`,
      },
    ];
  },
};

export const AKS_MANAGED_IDENTITY: ClusterRule = {
  id: 'AKS-MANAGED-IDENTITY',
  frameworks: {},
  severity: 'medium',
  title: 'Cluster uses a service principal instead of a managed identity',
  practice: 'Workload identity',
  group: 'identity',
  docUrl: 'https://learn.microsoft.com/azure/aks/use-managed-identity',
  needs: 'cluster',
  // Azure.AKS.ManagedIdentity: identity.type in SystemAssigned, UserAssigned.
  evaluate: ({ cluster }) => {
    if (MANAGED_IDENTITY_TYPES.has((cluster.identityType ?? '').toLowerCase())) return [];
    const principal = cluster.servicePrincipalClientId === undefined ? '' : ` and servicePrincipalProfile.clientId is ${cluster.servicePrincipalClientId}`;
    return [
      {
        detail: `Cluster ${cluster.name} manages its Azure resources with a service principal (identity.type is ${cluster.identityType ?? 'not set'}${principal}), whose secret expires and must be rotated by hand. Run: az aks update ${azTarget(cluster)} --enable-managed-identity`,
      },
    ];
  },
};

export const AKS_CONTAINER_INSIGHTS: ClusterRule = {
  id: 'AKS-CONTAINER-INSIGHTS',
  frameworks: {},
  severity: 'low',
  title: 'Container Insights is not enabled',
  practice: 'Operational health',
  group: 'monitoring',
  docUrl: 'https://learn.microsoft.com/azure/azure-monitor/containers/kubernetes-monitoring-enable',
  needs: 'cluster',
  // Azure.AKS.ContainerInsights: addonProfiles.omsAgent.enabled equals true (add-on keys compared
  // case-insensitively: ARM returns `omsagent` and `omsAgent`, CONTRACTS §1).
  evaluate: ({ cluster }) =>
    addon(cluster, 'omsagent')?.enabled === true
      ? []
      : [
          {
            detail: `Cluster ${cluster.name} does not send Container Insights data (addonProfiles.omsagent.enabled is not true), so node and container health (and the LOG-CRASHLOOP and LOG-NODE-NOT-READY detections) cannot be read. Run: az aks enable-addons ${azTarget(cluster)} --addons monitoring --workspace-resource-id <workspace-id>`,
          },
        ],
};

/** In catalog order, after the CONTRACTS §1 posture rules. */
export const PSRULE_PARITY_RULES: readonly ClusterRule[] = [
  AKS_KV_SECRET_ROTATION,
  AKS_SYSTEM_POOL_ZONES,
  AKS_PRODUCTION_TIER,
  AKS_SYSTEM_POOL_MIN_NODES,
  AKS_MANAGED_IDENTITY,
  AKS_CONTAINER_INSIGHTS,
];
