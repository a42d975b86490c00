/**
 * Policy stage of a sweep: per listed subscription, one query for non-compliant cluster states and
 * one aggregated query for compliance counts. A failing subscription is reported and its policy
 * findings stay as they were.
 */
import pLimit from 'p-limit';

import { toFleetGuardError } from '../errors.js';
import type { Cluster } from '../model/cluster.js';
import type { Finding } from '../model/finding.js';
import type { ComplianceCount, PolicyStateRecord } from '../model/policyState.js';
import { computeCompliance, evaluatePolicyStates, POLICY_RULE } from '../policy/policyRules.js';
import { type Coverage, markEvaluated } from './coverage.js';
import type { SweepError } from './sweepResult.js';

export interface PolicyReader {
  listNonCompliantClusterStates(subscriptionId: string): Promise<PolicyStateRecord[]>;
  summarizeClusterCompliance(subscriptionId: string): Promise<ComplianceCount[]>;
}

export interface PolicyStageResult {
  findings: Finding[];
  /** Compliance per cluster key, for clusters with evaluated states. */
  compliance: ReturnType<typeof computeCompliance>;
  calls: number;
}

export async function runPolicyStage(
  reader: PolicyReader,
  clusters: readonly Cluster[],
  listedSubscriptions: readonly string[],
  concurrency: number,
  coverage: Coverage,
  errors: SweepError[],
): Promise<PolicyStageResult> {
  const limit = pLimit(concurrency);
  const findings: Finding[] = [];
  const counts: ComplianceCount[] = [];
  const clustersBySubscription = new Map<string, Cluster[]>();
  for (const cluster of clusters) clustersBySubscription.set(cluster.subscriptionId, [...(clustersBySubscription.get(cluster.subscriptionId) ?? []), cluster]);

  // Subscriptions without clusters have nothing to evaluate: no call.
  const subscriptions = listedSubscriptions.filter((subscriptionId) => clustersBySubscription.has(subscriptionId));
  await Promise.all(
    subscriptions.flatMap((subscriptionId) => {
      const own = clustersBySubscription.get(subscriptionId) ?? [];
      return [
        limit(async () => {
          try {
            const states = await reader.listNonCompliantClusterStates(subscriptionId);
            findings.push(...evaluatePolicyStates(own, states));
            for (const cluster of own) markEvaluated(coverage, cluster.id, [POLICY_RULE.id]);
          } catch (error) {
            const failure = toFleetGuardError(error, `querying policy states of subscription ${subscriptionId}`);
            errors.push({ scope: 'policy', target: subscriptionId, reason: failure.reason, message: failure.message });
          }
        }),
        limit(async () => {
          try {
            counts.push(...(await reader.summarizeClusterCompliance(subscriptionId)));
          } catch (error) {
            const failure = toFleetGuardError(error, `summarizing policy compliance of subscription ${subscriptionId}`);
            errors.push({ scope: 'policy', target: subscriptionId, reason: failure.reason, message: failure.message });
          }
        }),
      ];
    }),
  );
  return { findings, compliance: computeCompliance(clusters, counts), calls: subscriptions.length * 2 };
}
