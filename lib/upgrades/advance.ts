/**
 * The next step of one cluster's upgrade, decided from what ARM says now. Because the decision
 * observes the cluster first, running it twice (a replayed or retried activity) never starts a
 * second upgrade: while one runs it says `wait`, and once the versions match it says `done`.
 */
import semver from 'semver';

import type { Cluster } from '../model/cluster.js';
import type { UpgradeType } from './plan.js';

export type NextStep =
  | { kind: 'wait' }
  | { kind: 'failed'; reason: string }
  | { kind: 'startControlPlane'; version: string }
  | { kind: 'startPool'; pool: string; version: string }
  | { kind: 'startNodeImage'; pool: string }
  | { kind: 'done' };

function before(version: string | undefined, target: string): boolean {
  const current = semver.coerce(version ?? '');
  const wanted = semver.coerce(target);
  return current === null || wanted === null || semver.lt(current, wanted);
}

export function nextUpgradeStep(
  cluster: Cluster,
  target: string,
  upgradeType: UpgradeType,
  startingNodeImages: Readonly<Record<string, string | undefined>>,
): NextStep {
  const state = (cluster.provisioningState ?? '').toLowerCase();
  if (state === 'failed') return { kind: 'failed', reason: `provisioningState is Failed on ${cluster.name}` };
  if (state !== 'succeeded') return { kind: 'wait' };
  const failedPool = cluster.agentPools.find((pool) => (pool.provisioningState ?? '').toLowerCase() === 'failed');
  if (failedPool !== undefined) return { kind: 'failed', reason: `node pool ${failedPool.name} is in a Failed state` };
  if (cluster.agentPools.some((pool) => (pool.provisioningState ?? 'succeeded').toLowerCase() !== 'succeeded')) return { kind: 'wait' };
  if (upgradeType === 'NodeImageOnly') {
    const pending = cluster.agentPools.find((pool) => pool.nodeImageVersion === startingNodeImages[pool.name]);
    return pending === undefined ? { kind: 'done' } : { kind: 'startNodeImage', pool: pending.name };
  }
  if (before(cluster.kubernetesVersion, target)) return { kind: 'startControlPlane', version: target };
  if (upgradeType === 'Full') {
    const behind = cluster.agentPools.find((pool) => before(pool.version, target));
    if (behind !== undefined) return { kind: 'startPool', pool: behind.name, version: target };
  }
  return { kind: 'done' };
}
