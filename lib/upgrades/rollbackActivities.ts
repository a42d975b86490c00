/**
 * Node-pool rollback I/O: what ARM says about a cluster's pools and their rollback versions, and the
 * activities of the rollback orchestration. Each activity observes before it acts, so a replayed or
 * retried attempt never writes twice; only what a retry can fix is thrown (principle 4).
 */
import { toFleetGuardError } from '../errors.js';
import { type Cluster, parseResourceId } from '../model/cluster.js';
import type { ClusterRollbackFacts, RollbackTarget } from './rollback.js';
import type { RollbackStep } from './rollbackOrchestrator.js';
import type { PoolRollbackResult } from './rollbackStore.js';
import type { RolloutStore } from './rolloutStore.js';

/** What a rollback reads and writes at ARM (lib/azure/containerService.ts implements it). */
export interface PoolRollbackPort {
  getCluster(subscriptionId: string, resourceGroup: string, name: string): Promise<Cluster | undefined>;
  poolRollbackOptions(cluster: Cluster, pool: string): Promise<{ recentlyUsedVersions: ClusterRollbackFacts['pools'][number]['recentlyUsedVersions'] }>;
  startPoolRollback(cluster: Cluster, pool: string, to: { orchestratorVersion: string; nodeImageVersion: string | undefined }): Promise<void>;
}

type Adapter = PoolRollbackPort;

/** The rollback activities' dependencies, passed in by the composition root (lib/app/rollbackWiring.ts). */
export interface RollbackActivityDependencies {
  clusters: PoolRollbackPort;
  /** Absent without storage. */
  rollouts?: Pick<RolloutStore, 'rollbacks'>;
}

function partsOf(resourceId: string): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const parsed = parseResourceId(resourceId);
  return parsed.subscriptionId === undefined || parsed.resourceGroup === undefined || parsed.name === undefined
    ? undefined
    : { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.name };
}

/** A cluster and each pool's rollback versions (one upgrade-profile read per pool); undefined when the cluster is gone. */
export async function readRollbackFacts(adapter: Adapter, resourceId: string): Promise<ClusterRollbackFacts | undefined> {
  const parts = partsOf(resourceId);
  if (parts === undefined) return undefined;
  const cluster = await adapter.getCluster(parts.subscriptionId, parts.resourceGroup, parts.name);
  if (cluster === undefined) return undefined;
  const pools = await Promise.all(
    cluster.agentPools.map(async (pool) => ({
      name: pool.name,
      version: pool.version,
      nodeImageVersion: pool.nodeImageVersion,
      provisioningState: pool.provisioningState,
      recentlyUsedVersions: (await adapter.poolRollbackOptions(cluster, pool.name)).recentlyUsedVersions,
    })),
  );
  return {
    resourceId,
    name: cluster.name,
    resourceGroup: cluster.resourceGroup,
    subscriptionId: cluster.subscriptionId,
    kubernetesVersion: cluster.kubernetesVersion,
    upgradeChannel: cluster.upgradeChannel,
    nodeOsUpgradeChannel: cluster.nodeOsUpgradeChannel,
    pools,
  };
}

/**
 * One step of a pool's rollback: done once the pool is back at both versions and idle; waiting
 * while an operation runs; otherwise the rollback PUT. A refusal AKS gives (400: no longer within
 * 7 days, auto-upgrade turned on since) is a permanent failure with AKS's message.
 */
export async function rollbackStep(adapter: Adapter, target: RollbackTarget): Promise<RollbackStep> {
  const parts = partsOf(target.resourceId);
  if (parts === undefined) return { state: 'failed', reason: `${target.resourceId} is not a cluster id` };
  try {
    const cluster = await adapter.getCluster(parts.subscriptionId, parts.resourceGroup, parts.name);
    if (cluster === undefined) return { state: 'failed', reason: `cluster ${parts.name} no longer exists` };
    const pool = cluster.agentPools.find((candidate) => candidate.name.toLowerCase() === target.pool.toLowerCase());
    if (pool === undefined) return { state: 'failed', reason: `pool ${target.pool} of ${cluster.name} no longer exists` };
    const state = (pool.provisioningState ?? 'Succeeded').toLowerCase();
    if (state === 'failed') return { state: 'failed', reason: `pool ${target.pool} of ${cluster.name} is in a Failed state` };
    if (state !== 'succeeded' || (cluster.provisioningState ?? 'Succeeded').toLowerCase() !== 'succeeded')
      return { state: 'rollingBack', detail: `provisioningState ${pool.provisioningState ?? '?'}` };
    const back =
      pool.version === target.to.orchestratorVersion && (target.to.nodeImageVersion === undefined || pool.nodeImageVersion === target.to.nodeImageVersion);
    if (back) return { state: 'done' };
    await adapter.startPoolRollback(cluster, target.pool, target.to);
    return {
      state: 'rollingBack',
      detail: `pool ${target.pool} → ${target.to.orchestratorVersion}${target.to.nodeImageVersion === undefined ? '' : ` / ${target.to.nodeImageVersion}`}`,
    };
  } catch (error) {
    const failure = toFleetGuardError(error, `rolling back pool ${target.pool} of ${parts.name}`);
    // 409: an operation runs on the cluster (ours, from a retried attempt); 412: it changed under us. Observe again.
    if (failure.status === 409 || failure.status === 412) return { state: 'rollingBack', detail: failure.message };
    if (failure.retryable) throw failure;
    return { state: 'failed', reason: failure.message };
  }
}

export async function rollbackStepActivity(input: { target: RollbackTarget }, deps: RollbackActivityDependencies): Promise<RollbackStep> {
  return rollbackStep(deps.clusters, input.target);
}

/** Records the rollback's outcome on its request; a permanent store failure comes back as a problem. */
export async function rollbackRecordActivity(
  input: { rolloutId: string; rollbackId: string; state: 'Completed' | 'Failed'; results: PoolRollbackResult[] },
  deps: RollbackActivityDependencies,
): Promise<boolean | { problem: string }> {
  const store = deps.rollouts;
  if (store === undefined) return false;
  try {
    await store.rollbacks().finish(input.rolloutId, input.rollbackId, input.state, input.results);
    return true;
  } catch (error) {
    const failure = toFleetGuardError(error, `recording rollback ${input.rollbackId}`);
    if (failure.retryable) throw failure;
    return { problem: failure.message };
  }
}

/** The rollback activities bound to their dependencies (functions/rolloutRollback.ts registers them). */
export function createRollbackActivities(deps: RollbackActivityDependencies) {
  return {
    rollbackStepActivity: (input: Parameters<typeof rollbackStepActivity>[0]) => rollbackStepActivity(input, deps),
    rollbackRecordActivity: (input: Parameters<typeof rollbackRecordActivity>[0]) => rollbackRecordActivity(input, deps),
  };
}

export type RollbackActivities = ReturnType<typeof createRollbackActivities>;
