/**
 * Retrying a rollout, pure: which clusters of an ended rollout can run again, and the plan that runs
 * them. A retry keeps the rollout's plan (target, hops, wave settings and approvals, upgrade type,
 * maxFailedClusters, maintenance windows) and only narrows it to those clusters, in their waves'
 * order, as Argo Rollouts' `retry` re-runs an aborted rollout's own spec.
 */
import { type Cluster, resourceKey } from '../model/cluster.js';
import type { RolloutPlan } from './plan.js';

/**
 * Cluster statuses a retry re-runs: `Failed`; `NotStarted` (skipped by a halt or an abort, or in a
 * wave that never started); `Aborted` (its upgrade was stopped by an abort part way). `Upgraded`
 * clusters (a failed gate included: that is resume's business), `Skipped` ones (already at the
 * target) and `Excluded` ones (the plan or AKS's pre-flight left them out: a new rollout replans
 * them) are not.
 */
export const RETRYABLE_STATUSES: ReadonlySet<string> = new Set(['Failed', 'NotStarted', 'Aborted']);

/** A planned cluster of the rollout with its last known status. */
export interface RetryCandidate {
  resourceId: string;
  name: string;
  wave: string;
  status: string;
  reason: string | null;
}

/** What is known of a rollout's clusters: its output once ended, else what it recorded per cluster. */
export interface ClusterStatusSource {
  outcome?: { waves: ReadonlyArray<{ clusters: ReadonlyArray<{ resourceId: string; status: string; reason: string | null }> }> } | undefined;
  recorded: ReadonlyArray<{ resourceId: string; status: string; reason: string }>;
}

/**
 * Every cluster the plan meant to upgrade, in the plan's order, with its status: from the output when
 * the orchestration returned one, else from the statuses it recorded as waves ended, else `NotStarted`
 * (a rollout that failed or was terminated before its wave recorded anything).
 */
export function retryCandidates(plan: Pick<RolloutPlan, 'waves'>, source: ClusterStatusSource): RetryCandidate[] {
  const known = new Map<string, { status: string; reason: string | null }>();
  for (const cluster of source.recorded)
    known.set(resourceKey(cluster.resourceId), { status: cluster.status, reason: cluster.reason === '' ? null : cluster.reason });
  for (const cluster of (source.outcome?.waves ?? []).flatMap((wave) => wave.clusters))
    known.set(resourceKey(cluster.resourceId), { status: cluster.status, reason: cluster.reason });
  return plan.waves.flatMap((wave) =>
    wave.clusters
      .filter((cluster) => cluster.skipReason === undefined)
      .map((cluster) => ({
        resourceId: cluster.resourceId,
        name: cluster.name,
        wave: wave.name,
        ...(known.get(resourceKey(cluster.resourceId)) ?? { status: 'NotStarted', reason: null }),
      })),
  );
}

/** The same plan over `resourceIds` only: waves left without a cluster are dropped; exclusions stay with the original rollout. */
export function retryPlan(plan: RolloutPlan, resourceIds: ReadonlyArray<string>): RolloutPlan {
  const wanted = new Set(resourceIds.map(resourceKey));
  const waves = plan.waves
    .map((wave) => ({ ...wave, clusters: wave.clusters.filter((cluster) => wanted.has(resourceKey(cluster.resourceId))), excluded: [] }))
    .filter((wave) => wave.clusters.length > 0);
  return { ...plan, waves, excluded: [] };
}

/** AKS provisioning states of an operation that has ended (Learn: the ManagedCluster and AgentPool `provisioningState`). */
const ENDED = new Set(['succeeded', 'failed', 'canceled']);

/**
 * Why a cluster cannot be retried now, or undefined when it can: gone, or an AKS operation (ours left
 * running by an abort, or anyone's) still running on it or one of its pools. AKS refuses a second
 * operation with 409 OperationNotAllowed while one runs, and a run started now would only wait for it
 * with the cluster's upgrade timeout ticking.
 */
export function notRetryableNow(cluster: Pick<Cluster, 'provisioningState' | 'agentPools'> | undefined): string | undefined {
  if (cluster === undefined) return 'the cluster no longer exists';
  const busy = [
    ...(ENDED.has((cluster.provisioningState ?? 'Succeeded').toLowerCase()) ? [] : [`provisioningState ${cluster.provisioningState ?? ''}`]),
    ...cluster.agentPools
      .filter((pool) => !ENDED.has((pool.provisioningState ?? 'Succeeded').toLowerCase()))
      .map((pool) => `pool ${pool.name} ${pool.provisioningState ?? ''}`),
  ];
  return busy.length === 0 ? undefined : `an AKS operation is still running (${busy.join(', ')})`;
}
