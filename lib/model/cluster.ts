/**
 * A managed cluster as the rules see it: the facts they read, already normalised from whatever the
 * SDK or a snapshot returned. A field ARM did not return is `undefined`, which rules treat as "not set".
 */
export interface AgentPool {
  name: string;
  mode: string | undefined;
  /** `currentOrchestratorVersion`, else `orchestratorVersion`. */
  version: string | undefined;
  provisioningState: string | undefined;
  powerState: string | undefined;
  count: number | undefined;
  nodeImageVersion: string | undefined;
  /** `type` (`VirtualMachineScaleSets`, `AvailabilitySet`, `VirtualMachines`); optional so pools built in code stay valid. */
  type?: string | undefined;
  /** `availabilityZones` as returned; empty when null, `[]` or not set. */
  availabilityZones?: string[];
  /** `minCount` (set with `enableAutoScaling`). */
  minCount?: number | undefined;
  enableAutoScaling?: boolean | undefined;
}

export interface Cluster {
  /** The ARM id exactly as ARM returned it (case preserved). */
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  /** Normalised: lower case, no spaces (`northeurope`). */
  location: string;
  tags: Record<string, string>;
  provisioningState: string | undefined;
  powerState: string | undefined;
  /** `currentKubernetesVersion`, else `kubernetesVersion`. */
  kubernetesVersion: string | undefined;
  agentPools: AgentPool[];
  enableRbac: boolean | undefined;
  aadManaged: boolean | undefined;
  aadAzureRbac: boolean | undefined;
  disableLocalAccounts: boolean | undefined;
  privateCluster: boolean | undefined;
  authorizedIpRanges: string[];
  /** `apiServerAccessProfile.disableRunCommand`: AKS refuses `runCommand` on this cluster (the in-cluster fallback is not tried). */
  runCommandDisabled?: boolean | undefined;
  networkPolicy: string | undefined;
  workloadIdentity: boolean | undefined;
  oidcIssuer: boolean | undefined;
  /** Add-on enablement keyed by lower-cased add-on name (`azurepolicy`, `omsagent`, ...). */
  addons: Record<string, { enabled: boolean | undefined; config: Record<string, string> }>;
  defenderMonitoring: boolean | undefined;
  defenderWorkspaceId: string | undefined;
  /** Log Analytics workspaces (ARM ids) the cluster reports to: Container Insights and Defender. */
  logWorkspaceIds: string[];
  upgradeChannel: string | undefined;
  nodeOsUpgradeChannel: string | undefined;
  /** `properties.supportPlan` (`KubernetesOfficial`, `AKSLongTermSupport`); undefined means the default, `KubernetesOfficial`. */
  supportPlan: string | undefined;
  /** `sku.tier` (`Free`, `Standard`, `Premium`). */
  skuTier: string | undefined;
  /** Resource-level `identity.type` (`SystemAssigned`, `UserAssigned`, `None`); undefined when ARM returned no identity. */
  identityType?: string | undefined;
  /** `servicePrincipalProfile.clientId`: `msi` on managed-identity clusters, an app id on service-principal ones. */
  servicePrincipalClientId?: string | undefined;
}

/** A cluster the SDK returned that could not be converted (no id, say): reported, not fatal. */
export interface RejectedCluster {
  name: string;
  problem: string;
}

export interface ClusterListing {
  clusters: Cluster[];
  rejected: RejectedCluster[];
}

/** Case-insensitive key for an ARM resource id (ARM, Policy Insights and Log Analytics disagree on case). */
export function resourceKey(resourceId: string): string {
  return resourceId.trim().replace(/\/+$/, '').toLowerCase();
}

/** `North Europe` and `northeurope` are the same location. */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

/** Subscription id and resource group parsed from an ARM id; undefined parts when the id is not one. */
export function parseResourceId(resourceId: string): { subscriptionId: string | undefined; resourceGroup: string | undefined; name: string | undefined } {
  const subscription = /\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1];
  const resourceGroup = /\/resourcegroups\/([^/]+)/i.exec(resourceId)?.[1];
  const segments = resourceId.split('/').filter((segment) => segment !== '');
  return { subscriptionId: subscription?.toLowerCase(), resourceGroup, name: segments.at(-1) };
}
