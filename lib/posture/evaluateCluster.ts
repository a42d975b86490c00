import type { Cluster } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import { PSRULE_PARITY_RULES } from './psruleParityRules.js';
import { type ClusterRule, DEFAULT_POSTURE_SETTINGS, type PostureSettings, toFinding } from './rule.js';
import { SECURITY_BASELINE_RULES } from './securityBaselineRules.js';
import { VERSION_RULES } from './versionRules.js';

/** Every AKS-* rule, in catalog order. */
export const CLUSTER_RULES: readonly ClusterRule[] = [...SECURITY_BASELINE_RULES, ...VERSION_RULES, ...PSRULE_PARITY_RULES];

export interface ClusterEvaluation {
  findings: Finding[];
  /** Rules that were evaluated completely: only their findings may be resolved by this sweep. */
  evaluatedRuleIds: string[];
}

/** Runs every cluster rule whose inputs are available. Pure: same input, same output. */
export function evaluateCluster(
  cluster: Cluster,
  versions: KubernetesVersionCatalog | undefined,
  settings: PostureSettings = DEFAULT_POSTURE_SETTINGS,
): ClusterEvaluation {
  const findings: Finding[] = [];
  const evaluatedRuleIds: string[] = [];
  for (const rule of CLUSTER_RULES) {
    if (rule.needs === 'versions' && versions === undefined) continue;
    evaluatedRuleIds.push(rule.id);
    for (const hit of rule.evaluate({ cluster, versions, settings })) findings.push(toFinding(rule, cluster, hit));
  }
  return { findings, evaluatedRuleIds };
}
