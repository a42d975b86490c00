/**
 * The fleet report groups controls the way the seed practices do, so a reader sees "identity" or
 * "network" rather than 27 rule ids. Every rule of the catalog belongs to exactly one group (a test
 * checks this against the rule lists).
 */
export const REPORT_GROUPS = ['identity', 'network', 'workload', 'secrets', 'upgrades', 'monitoring'] as const;
export type ReportGroup = (typeof REPORT_GROUPS)[number];

export const GROUP_TITLES: Record<ReportGroup, string> = {
  identity: 'Identity and access',
  network: 'Network',
  workload: 'Workload security',
  secrets: 'Secrets',
  upgrades: 'Upgrades and versions',
  monitoring: 'Monitoring and health',
};

export const RULE_GROUPS: Record<string, ReportGroup> = {
  'AKS-ENTRA': 'identity',
  'AKS-LOCAL-ACCOUNTS': 'identity',
  'AKS-AZURE-RBAC': 'identity',
  'AKS-K8S-RBAC': 'identity',
  'AKS-WORKLOAD-IDENTITY': 'identity',
  'LOG-FAILED-API-AUTH': 'identity',
  'LOG-ANONYMOUS-ACCESS': 'identity',
  'AKS-API-EXPOSURE': 'network',
  'AKS-NETWORK-POLICY': 'network',
  'AKS-AZURE-POLICY': 'workload',
  'POLICY-NONCOMPLIANT': 'workload',
  'LOG-PRIVILEGED-POD': 'workload',
  'LOG-EXEC-INTO-POD': 'workload',
  'LOG-CRASHLOOP': 'workload',
  'AKS-KEYVAULT-CSI': 'secrets',
  'LOG-SECRET-READS': 'secrets',
  'AKS-AUTO-UPGRADE': 'upgrades',
  'AKS-NODE-OS-UPGRADE': 'upgrades',
  'AKS-VERSION-ENDING': 'upgrades',
  'AKS-VERSION-UNSUPPORTED': 'upgrades',
  'AKS-LTS-TIER': 'upgrades',
  'AKS-SUPPORT-ENDING': 'upgrades',
  'AKS-SUPPORT-ENDED': 'upgrades',
  'AKS-POOL-VERSION-SKEW': 'upgrades',
  'AKS-NODEPOOL-ROLLING-FAILED': 'upgrades',
  'AKS-DEFENDER': 'monitoring',
  'AKS-PROVISIONING-FAILED': 'monitoring',
  'LOG-NODE-NOT-READY': 'monitoring',
};

/** Support status for the version spread, read from the cluster's open version findings. */
export type SupportStatus = 'supported' | 'ending' | 'unsupported' | 'unknown';
const UNSUPPORTED_RULES = new Set(['AKS-VERSION-UNSUPPORTED', 'AKS-SUPPORT-ENDED']);
const ENDING_RULES = new Set(['AKS-VERSION-ENDING', 'AKS-SUPPORT-ENDING']);

export function supportStatus(kubernetesVersion: string, openRuleIds: ReadonlySet<string>): SupportStatus {
  if (kubernetesVersion === '') return 'unknown';
  if ([...UNSUPPORTED_RULES].some((rule) => openRuleIds.has(rule))) return 'unsupported';
  if ([...ENDING_RULES].some((rule) => openRuleIds.has(rule))) return 'ending';
  return 'supported';
}
