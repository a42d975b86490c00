import { createHash } from 'node:crypto';

import { resourceKey } from './cluster.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; used to sort and to compare against route thresholds. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

/** `severity` is `minimum` or worse (`high` is at least `medium`). */
export function severityAtLeast(severity: Severity, minimum: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(minimum);
}

/** A Kubernetes object inside the cluster that a finding names (pod-level Azure Policy results). */
export interface FindingComponent {
  /** `pod`, `namespace`, ... as the source writes it. */
  type: string;
  /** Undefined for cluster-scoped objects. */
  namespace: string | undefined;
  name: string;
}

/** One observed deviation of one cluster from one rule. */
export interface Finding {
  ruleId: string;
  /** The cluster's ARM id as ARM returned it. */
  resourceId: string;
  subscriptionId: string;
  clusterName: string;
  severity: Severity;
  title: string;
  /** What is wrong and what to change. */
  detail: string;
  /** The seed practice the rule checks (CONTRACTS.md §1). */
  practice: string;
  /** Microsoft guidance for the fix. */
  docUrl: string;
  /** What inside the cluster the finding is about, when a rule can fire more than once per cluster. */
  subject: string | undefined;
  /** Same rule + same cluster + same subject ⇒ same fingerprint, across sweeps. */
  fingerprint: string;
  /** The cluster's tags when the finding was made, for alert routing. */
  clusterTags: Record<string, string>;
  /**
   * The in-cluster objects the finding is about, when a source names them (POLICY-NONCOMPLIANT on
   * clusters running the Azure Policy add-on); absent when not asked or the read failed.
   */
  components?: readonly FindingComponent[];
}

export function findingFingerprint(ruleId: string, resourceId: string, subject: string | undefined): string {
  return createHash('sha256')
    .update(`${ruleId}\n${resourceKey(resourceId)}\n${subject ?? ''}`)
    .digest('hex');
}
