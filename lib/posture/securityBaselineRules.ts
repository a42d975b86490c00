/**
 * The security-baseline rules of CONTRACTS.md §1 (AKS-* except the version rules). Each reads only
 * the normalised cluster; a missing field counts as "not set", so it fires.
 */
import type { Cluster } from '../model/cluster.js';
import { azTarget, type ClusterRule, type RuleHit } from './rule.js';

const ALLOWED_NETWORK_POLICIES = new Set(['azure', 'calico', 'cilium']);
const SAFE_NODE_OS_CHANNELS = new Set(['securitypatch', 'nodeimage']);

/** A rule that fires once per cluster when `violated` holds. */
function whenViolated(violated: (cluster: Cluster) => boolean, detail: (cluster: Cluster) => string) {
  return ({ cluster }: { cluster: Cluster }): RuleHit[] => (violated(cluster) ? [{ detail: detail(cluster) }] : []);
}

function addonEnabled(cluster: Cluster, addon: string): boolean {
  return cluster.addons[addon.toLowerCase()]?.enabled === true;
}

export const SECURITY_BASELINE_RULES: readonly ClusterRule[] = [
  {
    id: 'AKS-K8S-RBAC',
    frameworks: { 'cis-aks': ['5.5.1'], kubescape: ['C-0088'] },
    severity: 'critical',
    title: 'Kubernetes RBAC is disabled',
    practice: 'Implement RBAC',
    group: 'identity',
    docUrl: 'https://learn.microsoft.com/azure/aks/concepts-identity#kubernetes-rbac',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => c.enableRbac !== true,
      (c) =>
        `Cluster ${c.name} runs without Kubernetes RBAC (enableRBAC is not true), so every authenticated user is effectively cluster-admin. RBAC cannot be turned on in place: recreate the cluster with RBAC enabled (the default) and migrate workloads.`,
    ),
  },
  {
    id: 'AKS-ENTRA',
    frameworks: { 'cis-aks': ['5.5.1'], kubescape: ['C-0088'] },
    severity: 'high',
    title: 'Microsoft Entra ID integration is not enabled',
    practice: 'Integrate with Entra ID',
    group: 'identity',
    docUrl: 'https://learn.microsoft.com/azure/aks/enable-authentication-microsoft-entra-id',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => c.aadManaged !== true,
      (c) =>
        `Cluster ${c.name} does not use AKS-managed Entra ID (aadProfile.managed is not true); users authenticate with cluster certificates instead of their Entra identities. Run: az aks update ${azTarget(c)} --enable-aad --aad-admin-group-object-ids <admin-group-id>`,
    ),
  },
  {
    id: 'AKS-AZURE-RBAC',
    // CIS AKS 1.8.0 5.5.2 in kube-bench cfg/aks-1.8.0 (item texts); Kubescape's cis-aks-t1.8.0 numbers C-0241 5.2.2.
    frameworks: { 'cis-aks': ['5.5.2'], kubescape: ['C-0241'] },
    severity: 'medium',
    title: 'Azure RBAC for Kubernetes authorization is not enabled',
    practice: 'Entra groups mapped to RBAC',
    group: 'identity',
    docUrl: 'https://learn.microsoft.com/azure/aks/manage-azure-rbac',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => c.aadAzureRbac !== true,
      (c) =>
        `Cluster ${c.name} does not authorize Kubernetes access with Azure RBAC (aadProfile.enableAzureRBAC is not true), so access is managed per cluster instead of through Entra groups and role assignments. Run: az aks update ${azTarget(c)} --enable-azure-rbac`,
    ),
  },
  {
    id: 'AKS-LOCAL-ACCOUNTS',
    frameworks: { 'cis-aks': ['5.5.1'] },
    severity: 'high',
    title: 'Local Kubernetes accounts are enabled',
    practice: 'Disable local accounts',
    group: 'identity',
    docUrl: 'https://learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => c.disableLocalAccounts !== true,
      (c) =>
        `Cluster ${c.name} still issues the static clusterAdmin credential (disableLocalAccounts is not true), which bypasses Entra ID and cannot be audited per user. Run: az aks update ${azTarget(c)} --disable-local-accounts`,
    ),
  },
  {
    id: 'AKS-API-EXPOSURE',
    frameworks: { 'cis-aks': ['5.4.1', '5.4.2'], kubescape: ['C-0247', 'C-0252'] },
    severity: 'high',
    title: 'API server is reachable from any IP address',
    practice: 'Private cluster / authorized IP ranges',
    group: 'network',
    docUrl: 'https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => c.privateCluster !== true && c.authorizedIpRanges.length === 0,
      (c) =>
        `Cluster ${c.name} exposes its API server publicly with no authorized IP ranges. Restrict it: az aks update ${azTarget(c)} --api-server-authorized-ip-ranges <cidr>[,<cidr>...], or move to a private cluster (https://learn.microsoft.com/azure/aks/private-clusters).`,
    ),
  },
  {
    id: 'AKS-NETWORK-POLICY',
    frameworks: { 'cis-aks': ['5.4.4'], kubescape: ['C-0240'] },
    severity: 'high',
    title: 'No network policy engine',
    practice: 'Network policies, deny by default',
    group: 'network',
    docUrl: 'https://learn.microsoft.com/azure/aks/use-network-policies',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => !ALLOWED_NETWORK_POLICIES.has((c.networkPolicy ?? '').toLowerCase()),
      (c) =>
        `Cluster ${c.name} has network policy '${c.networkPolicy ?? 'none'}', so NetworkPolicy objects are not enforced and every pod can reach every other. Enable an engine (az aks update ${azTarget(c)} --network-policy cilium|azure|calico) and apply a default-deny policy per namespace.`,
    ),
  },
  {
    id: 'AKS-WORKLOAD-IDENTITY',
    frameworks: {},
    severity: 'medium',
    title: 'Workload identity is not enabled',
    practice: 'Workload identity',
    group: 'identity',
    docUrl: 'https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => !(c.workloadIdentity === true && c.oidcIssuer === true),
      (c) =>
        `Cluster ${c.name} lacks ${[c.oidcIssuer === true ? undefined : 'the OIDC issuer', c.workloadIdentity === true ? undefined : 'workload identity'].filter(Boolean).join(' and ')}, so pods need stored secrets to reach Azure. Run: az aks update ${azTarget(c)} --enable-oidc-issuer --enable-workload-identity`,
    ),
  },
  {
    id: 'AKS-AZURE-POLICY',
    frameworks: {},
    severity: 'medium',
    title: 'Azure Policy add-on is not enabled',
    practice: 'Azure Policy / Gatekeeper',
    group: 'workload',
    docUrl: 'https://learn.microsoft.com/azure/aks/use-azure-policy',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => !addonEnabled(c, 'azurepolicy'),
      (c) =>
        `Cluster ${c.name} does not run the Azure Policy add-on, so in-cluster policies (Gatekeeper) are neither enforced nor reported. Run: az aks enable-addons ${azTarget(c)} --addons azure-policy`,
    ),
  },
  {
    id: 'AKS-KEYVAULT-CSI',
    frameworks: { 'cis-aks': ['4.5.2'], kubescape: ['C-0208'] },
    severity: 'low',
    title: 'Key Vault secrets provider is not enabled',
    practice: 'Key Vault secrets provider',
    group: 'secrets',
    docUrl: 'https://learn.microsoft.com/azure/aks/csi-secrets-store-driver',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => !addonEnabled(c, 'azureKeyvaultSecretsProvider'),
      (c) =>
        `Cluster ${c.name} cannot mount secrets from Key Vault (azureKeyvaultSecretsProvider add-on is off), which pushes teams to keep secrets in Kubernetes Secrets. Run: az aks enable-addons ${azTarget(c)} --addons azure-keyvault-secrets-provider`,
    ),
  },
  {
    id: 'AKS-DEFENDER',
    frameworks: { 'cis-aks': ['5.1.1'], kubescape: ['C-0243'] },
    severity: 'medium',
    title: 'Defender for Containers is not monitoring the cluster',
    practice: 'Defender for Containers',
    group: 'monitoring',
    docUrl: 'https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-enable',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => c.defenderMonitoring !== true,
      (c) =>
        `Cluster ${c.name} has no Defender for Containers security monitoring (securityProfile.defender.securityMonitoring.enabled is not true), so runtime threats go undetected. Run: az aks update ${azTarget(c)} --enable-defender`,
    ),
  },
  {
    id: 'AKS-AUTO-UPGRADE',
    frameworks: {},
    severity: 'low',
    title: 'No automatic upgrade channel',
    practice: 'Automate patching',
    group: 'upgrades',
    docUrl: 'https://learn.microsoft.com/azure/aks/auto-upgrade-cluster',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => c.upgradeChannel === undefined || c.upgradeChannel.toLowerCase() === 'none',
      (c) =>
        `Cluster ${c.name} has no auto-upgrade channel, so Kubernetes patches wait for someone to apply them. Run: az aks update ${azTarget(c)} --auto-upgrade-channel patch (or stable), with a planned maintenance window.`,
    ),
  },
  {
    id: 'AKS-NODE-OS-UPGRADE',
    frameworks: {},
    severity: 'medium',
    title: 'Node OS images are not patched automatically',
    practice: 'Automate node patching',
    group: 'upgrades',
    docUrl: 'https://learn.microsoft.com/azure/aks/auto-upgrade-node-os-image',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => !SAFE_NODE_OS_CHANNELS.has((c.nodeOsUpgradeChannel ?? '').toLowerCase()),
      (c) =>
        `Cluster ${c.name} has node OS upgrade channel '${c.nodeOsUpgradeChannel ?? 'none'}', so node security patches are not applied automatically. Run: az aks update ${azTarget(c)} --node-os-upgrade-channel NodeImage (or SecurityPatch).`,
    ),
  },
  {
    id: 'AKS-PROVISIONING-FAILED',
    frameworks: {},
    severity: 'high',
    title: 'Cluster is in a Failed provisioning state',
    practice: 'Operational health',
    group: 'monitoring',
    healthSignal: { name: 'provisioning-failed', fails: 'anyRise' },
    docUrl: 'https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/cluster-node-virtual-machine-failed-state',
    needs: 'cluster',
    evaluate: whenViolated(
      (c) => (c.provisioningState ?? '').toLowerCase() === 'failed',
      (c) =>
        `Cluster ${c.name} is in provisioningState Failed: the last operation did not complete and further operations may be refused. Read the activity log, fix the cause, then reconcile with: az aks update ${azTarget(c)}`,
    ),
  },
];
