import type { Cluster } from '../model/cluster.js';
import { type Finding, findingFingerprint, type Severity } from '../model/finding.js';
import type { RuleMetadata } from '../model/ruleMetadata.js';
import type { KubernetesObjects, KubernetesResource } from './objects.js';

/** What an in-cluster rule reads: the cluster's ARM facts and the objects it needs (all present). */
export interface K8sRuleInput {
  cluster: Cluster;
  objects: Required<KubernetesObjects>;
}

/** One firing: the subject exactly as CONTRACTS.md §5 writes it, what is wrong, the command that fixes it. */
export interface K8sRuleHit {
  subject: string;
  detail: string;
  /** The `kubectl`/`az` to run, every value shell-quoted. */
  fix: string;
  /** When the rule's severity depends on the subject (K8S-CLUSTER-ADMIN-BINDING); else the rule's. */
  severity?: Severity;
}

/** An in-cluster rule (K8S-*): its metadata beside its check. `severity` is the highest it reports. */
export interface K8sRule extends RuleMetadata {
  /** The resources it reads; when one of them could not be read for a cluster, the rule is not evaluated there (and resolves nothing). */
  needs: readonly KubernetesResource[];
  evaluate(input: K8sRuleInput): K8sRuleHit[];
}

export function toK8sFinding(rule: K8sRule, cluster: Cluster, hit: K8sRuleHit): Finding {
  return {
    ruleId: rule.id,
    resourceId: cluster.id,
    subscriptionId: cluster.subscriptionId,
    clusterName: cluster.name,
    severity: hit.severity ?? rule.severity,
    title: rule.title,
    detail: `${hit.detail} Fix: ${hit.fix}`,
    practice: rule.practice,
    docUrl: rule.docUrl,
    subject: hit.subject,
    fingerprint: findingFingerprint(rule.id, cluster.id, hit.subject),
    clusterTags: cluster.tags,
  };
}
