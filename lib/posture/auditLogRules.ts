/**
 * AKS-AUDIT-LOGS: whether the cluster's Kubernetes audit logs leave the cluster, read from its
 * diagnostic settings (one ARM call per cluster, made on the in-cluster schedule: lib/sweep/auditLogCheck.ts).
 *
 * PSRule for Azure's Azure.AKS.AuditLogs (Azure.AKS.Rule.ps1, commit fd7291f57025a8d65cbcb6fe657bf4b7a2de9106)
 * fails when there is no setting, and then asks every setting for an enabled `kube-audit` or
 * `kube-audit-admin` and an enabled `guard`, by `category` only. Two departures, both where PSRule's
 * maintainers say the rule should go: one setting that sends them is enough (a second one for metrics
 * loses no audit log; Azure/PSRule.Rules.Azure#1726 calls requiring all of them a bug, "auditing either
 * through category or category group being configured at least once"), and the `audit` and `allLogs`
 * category groups count (they include kube-audit, kube-audit-admin and guard: Learn
 * "Monitoring AKS data reference", resource logs; PSRule fixed the same gap for Key Vault in #1873).
 */
import type { Cluster } from '../model/cluster.js';
import type { DiagnosticSetting } from '../model/diagnosticSettings.js';
import type { Finding } from '../model/finding.js';
import type { RuleMetadata } from '../model/ruleMetadata.js';
import { shellWord } from '../shellWord.js';
import { type ClusterRule, toFinding } from './rule.js';

const AUDIT_CATEGORIES = new Set(['kube-audit', 'kube-audit-admin']);
const AUDIT_GROUPS = new Set(['audit', 'alllogs']);

export const AKS_AUDIT_LOGS: RuleMetadata = {
  id: 'AKS-AUDIT-LOGS',
  // CIS AKS 1.8.0 2.1.1 "Enable audit Logs" (kube-bench cfg/aks-1.8.0/controlplane.yaml); Kubescape
  // C-0254 is that item, C-0067 "Audit logs enabled" the NSA framework's control.
  frameworks: { 'cis-aks': ['2.1.1'], kubescape: ['C-0254', 'C-0067'], nsa: ['C-0067'] },
  severity: 'medium',
  title: 'Kubernetes audit logs are not collected',
  practice: 'Audit failed API auth',
  group: 'monitoring',
  docUrl: 'https://learn.microsoft.com/azure/aks/monitor-aks#aks-control-planeresource-logs',
};

/** `toFinding` takes a posture rule; this one is evaluated by `evaluateAuditLogs`, never by evaluateCluster. */
const AS_CLUSTER_RULE: ClusterRule = { ...AKS_AUDIT_LOGS, needs: 'cluster', evaluate: () => [] };

function sends(setting: DiagnosticSetting, categories: ReadonlySet<string>): boolean {
  return setting.logs.some(
    (log) =>
      log.enabled &&
      ((log.category !== undefined && categories.has(log.category.toLowerCase())) ||
        (log.categoryGroup !== undefined && AUDIT_GROUPS.has(log.categoryGroup.toLowerCase()))),
  );
}

/** Whether one setting sends the audit logs: kube-audit or kube-audit-admin, and guard (or a group holding them). */
export function sendsAuditLogs(setting: DiagnosticSetting): boolean {
  return sends(setting, AUDIT_CATEGORIES) && sends(setting, new Set(['guard']));
}

/** The rule over a cluster's settings as read; pure. */
export function evaluateAuditLogs(cluster: Cluster, settings: readonly DiagnosticSetting[]): Finding[] {
  if (settings.some(sendsAuditLogs)) return [];
  const names = settings.map((setting) => setting.name).join(', ');
  const detail =
    settings.length === 0
      ? `Cluster ${cluster.name} has no diagnostic setting, so its API server audit log (who did what) is kept nowhere outside the cluster.`
      : `No diagnostic setting of cluster ${cluster.name} (${names}) sends kube-audit or kube-audit-admin together with guard, so API server audit and Entra authentication records are not kept.`;
  return [
    toFinding(AS_CLUSTER_RULE, cluster, {
      detail: `${detail} Run: az monitor diagnostic-settings create --name aks-audit --resource ${shellWord(cluster.id)} --workspace <workspace-id> --logs '[{"category":"kube-audit-admin","enabled":true},{"category":"guard","enabled":true}]'`,
    }),
  ];
}
