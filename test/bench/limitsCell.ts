/**
 * A sweep's calls against each service's documented limit (lib/serviceLimits.ts, sources there), in
 * one table cell: the busiest window of each service as the simulator's request log saw it, across
 * every process of the sweep (the fan-out's instances share one identity, so one set of limits).
 */
import { ARM_READ_BUCKET, LOG_ANALYTICS_LIMITS, POLICY_INSIGHTS_BUCKET, RESOURCE_GRAPH_QUOTA } from '../../lib/serviceLimits.js';
import type { ProcessStats } from './localAzureProcess.js';

export function limitsCell(stats: Pick<ProcessStats, 'services' | 'armReadsBusiestSubscription' | 'policyBusiestSubscription'>): string {
  const service = (name: string) => stats.services?.[name] ?? { calls: 0, maxInFlight: 0, peak5s: 0, peak30s: 0 };
  const logs = service('logs');
  const graph = service('graph');
  const arm = stats.armReadsBusiestSubscription ?? { total: 0, peak10s: 0 };
  const policy = stats.policyBusiestSubscription ?? { total: 0, peak10s: 0 };
  return [
    `Logs ${logs.peak30s}/30 s of ${LOG_ANALYTICS_LIMITS.queriesPerWindow}, ${logs.maxInFlight} in flight of ${LOG_ANALYTICS_LIMITS.concurrency}`,
    `Graph ${graph.peak5s}/5 s of ${RESOURCE_GRAPH_QUOTA.queries}`,
    `ARM reads ${arm.peak10s}/10 s of ${ARM_READ_BUCKET.size + 10 * ARM_READ_BUCKET.refillPerSecond} per subscription`,
    `Policy ${policy.peak10s}/10 s of ${POLICY_INSIGHTS_BUCKET.size + 10 * POLICY_INSIGHTS_BUCKET.refillPerSecond} per subscription`,
  ].join('; ');
}
