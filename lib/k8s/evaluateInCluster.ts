import type { Cluster } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import type { K8sRule } from './k8sRule.js';
import { toK8sFinding } from './k8sRule.js';
import { NAMESPACE_RULES } from './namespaceRules.js';
import type { KubernetesObjects } from './objects.js';
import { POD_RULES } from './podRules.js';
import { RBAC_RULES } from './rbacRules.js';

/** Every K8S-* rule, in catalog order (CONTRACTS.md §5). */
export const K8S_RULES: readonly K8sRule[] = [...RBAC_RULES, ...NAMESPACE_RULES, ...POD_RULES];

export interface InClusterEvaluation {
  findings: Finding[];
  /** Rules whose every resource was read: only their findings may be resolved by this sweep. */
  evaluatedRuleIds: string[];
}

/** Runs every K8S-* rule whose resources are all present. Pure: same objects, same findings. */
export function evaluateInCluster(cluster: Cluster, objects: KubernetesObjects): InClusterEvaluation {
  const findings: Finding[] = [];
  const evaluatedRuleIds: string[] = [];
  for (const rule of K8S_RULES) {
    if (rule.needs.some((resource) => objects[resource] === undefined)) continue;
    evaluatedRuleIds.push(rule.id);
    const complete = objects as Required<KubernetesObjects>;
    for (const hit of rule.evaluate({ cluster, objects: complete })) findings.push(toK8sFinding(rule, cluster, hit));
  }
  return { findings, evaluatedRuleIds };
}
