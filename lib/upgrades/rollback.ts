/**
 * Whether AKS's node-pool rollback applies to the pools a rollout upgraded, and why not. Pure.
 *
 * The rules (Learn "Roll back node pool versions in AKS",
 * https://learn.microsoft.com/azure/aks/roll-back-node-pool-version; api-version 2026-04-01):
 * a rollback is manual, restores both the Kubernetes and the node image version, goes one step back
 * (to the pool's `recentlyUsedVersions` entry), within 7 days of the upgrade, and only with the
 * cluster's auto-upgrade channel off. Only node pools roll back: the control plane never does.
 * The node OS channel blocks the node-image half (Azure/azure-cli-extensions#9733).
 */
import { shellWord } from '../shellWord.js';

/** How long after an upgrade AKS still rolls a pool back. */
export const ROLLBACK_WINDOW_MS = 7 * 24 * 60 * 60_000;

/** A version pair a pool may go back to (an entry of its upgrade profile's `recentlyUsedVersions`). */
export interface RollbackVersion {
  orchestratorVersion: string;
  nodeImageVersion: string | undefined;
  /** ISO date-time the pair was last used, i.e. when the pool left it. */
  timestamp: string | undefined;
}

/** What the rollback decision reads of one cluster and its pools (from ARM, by the caller). */
export interface ClusterRollbackFacts {
  resourceId: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  kubernetesVersion: string | undefined;
  upgradeChannel: string | undefined;
  nodeOsUpgradeChannel: string | undefined;
  pools: PoolRollbackFacts[];
}

export interface PoolRollbackFacts {
  name: string;
  version: string | undefined;
  nodeImageVersion: string | undefined;
  provisioningState: string | undefined;
  recentlyUsedVersions: RollbackVersion[];
}

/** The field a rollout's status carries per pool (additive to CONTRACTS.md §4). */
export interface PoolRollback {
  applies: boolean;
  /** The pair a rollback would restore, when AKS offers one. */
  to?: { orchestratorVersion: string; nodeImageVersion: string | undefined };
  /** Why it does not apply, with the way on where there is one. */
  reason?: string;
}

export interface PoolRollbackStatus {
  pool: string;
  version: string | undefined;
  nodeImageVersion: string | undefined;
  /** False when the pool's last upgrade was not this rollout's: it is listed, not rolled back. */
  upgradedByRollout: boolean;
  rollback: PoolRollback;
}

export interface ClusterRollbackStatus {
  resourceId: string;
  controlPlane: { applies: false; reason: string };
  pools: PoolRollbackStatus[];
}

/** The command that turns the cluster's auto-upgrade channel off (Learn: a rollback needs it off). */
export function disableAutoUpgradeCommand(cluster: Pick<ClusterRollbackFacts, 'subscriptionId' | 'resourceGroup' | 'name'>): string {
  return `az aks update --subscription ${shellWord(cluster.subscriptionId)} --resource-group ${shellWord(cluster.resourceGroup)} --name ${shellWord(cluster.name)} --auto-upgrade-channel none`;
}

/** The command that turns the node OS channel off, which the node-image half of a rollback needs. */
export function disableNodeOsUpgradeCommand(cluster: Pick<ClusterRollbackFacts, 'subscriptionId' | 'resourceGroup' | 'name'>): string {
  return `az aks update --subscription ${shellWord(cluster.subscriptionId)} --resource-group ${shellWord(cluster.resourceGroup)} --name ${shellWord(cluster.name)} --node-os-upgrade-channel None`;
}

function channelOn(channel: string | undefined): boolean {
  return channel !== undefined && channel !== '' && channel.toLowerCase() !== 'none';
}

/** The newest entry: what `az aks nodepool rollback` picks (Azure/azure-cli#33509, "most recent ... by timestamp"). */
function newest(entries: readonly RollbackVersion[]): RollbackVersion | undefined {
  return [...entries].sort((left, right) => (right.timestamp ?? '').localeCompare(left.timestamp ?? ''))[0];
}

/**
 * Whether a rollback of `pool` applies at `now`, for a rollout that took its cluster to `toVersion`.
 * The pool counts as upgraded by the rollout when it is at `toVersion` and AKS lists a different
 * pair it left (the timestamps are AKS's clock, the rollout's start ours: versions are compared,
 * not times). The reasons are collected (a release manager should see every obstacle at once).
 */
export function poolRollback(cluster: ClusterRollbackFacts, pool: PoolRollbackFacts, toVersion: string, now: Date): PoolRollbackStatus {
  const entry = newest(pool.recentlyUsedVersions);
  const base = { pool: pool.name, version: pool.version, nodeImageVersion: pool.nodeImageVersion };
  if (entry === undefined) {
    return {
      ...base,
      upgradedByRollout: false,
      rollback: { applies: false, reason: 'AKS lists no recently used version for this pool: there is nothing to roll back to' },
    };
  }
  const to = { orchestratorVersion: entry.orchestratorVersion, nodeImageVersion: entry.nodeImageVersion };
  const changed = entry.orchestratorVersion !== pool.version || (entry.nodeImageVersion !== undefined && entry.nodeImageVersion !== pool.nodeImageVersion);
  if (pool.version !== toVersion || !changed) {
    return {
      ...base,
      upgradedByRollout: false,
      rollback: {
        applies: false,
        to,
        reason: `the pool is at ${pool.version ?? '?'}, not moved to this rollout's ${toVersion}: its last upgrade (from ${entry.orchestratorVersion}) was not this rollout's`,
      },
    };
  }
  const left = entry.timestamp === undefined ? Number.NaN : Date.parse(entry.timestamp);
  const reasons: string[] = [];
  if (Number.isNaN(left)) reasons.push('AKS gives no time for the recently used version, so the 7-day limit cannot be checked');
  else if (now.getTime() - left > ROLLBACK_WINDOW_MS)
    reasons.push(`the pool was upgraded more than 7 days ago (at ${entry.timestamp ?? '?'}); AKS rolls back only within 7 days`);
  if ((pool.provisioningState ?? 'Succeeded').toLowerCase() !== 'succeeded')
    reasons.push(`the pool is ${pool.provisioningState ?? '?'}; wait until its operation ends`);
  if (channelOn(cluster.upgradeChannel))
    reasons.push(
      `the cluster's auto-upgrade channel is ${cluster.upgradeChannel ?? ''}; AKS rolls back only with it off: ${disableAutoUpgradeCommand(cluster)}`,
    );
  const imageChanges = entry.nodeImageVersion !== undefined && entry.nodeImageVersion !== pool.nodeImageVersion;
  if (imageChanges && ['nodeimage', 'securitypatch'].includes((cluster.nodeOsUpgradeChannel ?? '').toLowerCase())) {
    reasons.push(
      `the cluster's node OS upgrade channel is ${cluster.nodeOsUpgradeChannel ?? ''}; AKS does not roll the node image back with it on: ${disableNodeOsUpgradeCommand(cluster)}`,
    );
  }
  const rollback: PoolRollback = reasons.length === 0 ? { applies: true, to } : { applies: false, to, reason: reasons.join('; ') };
  return { ...base, upgradedByRollout: true, rollback };
}

/** Every pool of a cluster, and the control plane, which AKS never rolls back. */
export function clusterRollback(cluster: ClusterRollbackFacts, toVersion: string, now: Date): ClusterRollbackStatus {
  return {
    resourceId: cluster.resourceId,
    controlPlane: { applies: false, reason: `AKS rolls back node pools only: the control plane stays at ${cluster.kubernetesVersion ?? 'its version'}` },
    pools: cluster.pools.map((pool) => poolRollback(cluster, pool, toVersion, now)),
  };
}

/** A pool to roll back, as a rollback request carries it. */
export interface RollbackTarget {
  resourceId: string;
  pool: string;
  to: { orchestratorVersion: string; nodeImageVersion: string | undefined };
}

/**
 * What a rollback request for `status` may do: the pools to roll back, or why it cannot, naming
 * each cluster and pool. A cluster with no pool this rollout upgraded, or with one that cannot be
 * rolled back, refuses the whole request: rolling back half a cluster is not what was asked.
 */
export function rollbackTargets(status: ClusterRollbackStatus, clusterName: string): { targets: RollbackTarget[] } | { refusal: string } {
  const upgraded = status.pools.filter((pool) => pool.upgradedByRollout);
  if (upgraded.length === 0) {
    const why = status.pools.map((pool) => `${pool.pool}: ${pool.rollback.reason ?? 'not upgraded by this rollout'}`).join('; ');
    return { refusal: `${clusterName}: no node pool of it was upgraded by this rollout${why === '' ? '' : ` (${why})`}` };
  }
  const blocked = upgraded.filter((pool) => !pool.rollback.applies);
  if (blocked.length > 0)
    return { refusal: blocked.map((pool) => `${clusterName}/${pool.pool}: ${pool.rollback.reason ?? 'rollback does not apply'}`).join('; ') };
  return {
    targets: upgraded.flatMap((pool) => (pool.rollback.to === undefined ? [] : [{ resourceId: status.resourceId, pool: pool.pool, to: pool.rollback.to }])),
  };
}
