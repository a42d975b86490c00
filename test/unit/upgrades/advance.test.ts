/**
 * The next-step decision of lib/upgrades/advance.ts on the cases test/unit/upgrades/plan.test.ts
 * leaves open (found by the StrykerJS run over lib/upgrades, docs/mutation-testing.md): a failed
 * pool stops the cluster, unknown states wait, and versions compare numerically.
 */
import { describe, expect, it } from 'vitest';

import type { AgentPool, Cluster } from '../../../lib/model/cluster.js';
import { nextUpgradeStep } from '../../../lib/upgrades/advance.js';
import { compliantCluster } from '../../harness/clusters.js';

const pool = (name: string, version: string | undefined, provisioningState: string | undefined = 'Succeeded', nodeImageVersion?: string): AgentPool => ({
  name,
  mode: 'User',
  version,
  provisioningState,
  powerState: 'Running',
  count: 1,
  nodeImageVersion,
});
const cluster = (version: string | undefined, agentPools: AgentPool[], overrides: Partial<Cluster> = {}): Cluster =>
  compliantCluster({ name: 'aks-1', kubernetesVersion: version, agentPools, ...overrides });

describe('nextUpgradeStep', () => {
  it('a pool in a Failed state fails the cluster, naming the pool, whatever the versions say', () => {
    expect(nextUpgradeStep(cluster('1.32.3', [pool('system', '1.32.3'), pool('user', '1.31.3', 'FAILED')]), '1.32.3', 'Full', {})).toEqual({
      kind: 'failed',
      reason: 'node pool user is in a Failed state',
    });
    expect(nextUpgradeStep(cluster('1.31.3', [], { provisioningState: 'failed' }), '1.32.3', 'Full', {})).toEqual({
      kind: 'failed',
      reason: 'provisioningState is Failed on aks-1',
    });
  });

  it('waits while the cluster state is unknown or anything is not Succeeded; a pool without a state counts as Succeeded', () => {
    expect(nextUpgradeStep(cluster('1.31.3', [pool('system', '1.31.3')], { provisioningState: undefined }), '1.32.3', 'Full', {})).toEqual({ kind: 'wait' });
    expect(nextUpgradeStep(cluster('1.32.3', [pool('system', '1.32.3'), pool('user', '1.31.3', 'Upgrading')]), '1.32.3', 'NodeImageOnly', {})).toEqual({
      kind: 'wait',
    });
    const stateless: AgentPool = { ...pool('system', '1.31.3'), provisioningState: undefined };
    expect(nextUpgradeStep(cluster('1.31.3', [stateless], { provisioningState: 'SUCCEEDED' }), '1.32.3', 'Full', {})).toEqual({
      kind: 'startControlPlane',
      version: '1.32.3',
    });
  });

  it('compares versions numerically (1.32.10 is past 1.32.9); an unknown version is upgraded; pools in order', () => {
    expect(nextUpgradeStep(cluster('1.32.10', [pool('system', '1.32.10')]), '1.32.9', 'Full', {})).toEqual({ kind: 'done' });
    expect(nextUpgradeStep(cluster('1.32.9', [pool('system', '1.32.9')]), '1.32.10', 'Full', {})).toEqual({ kind: 'startControlPlane', version: '1.32.10' });
    expect(nextUpgradeStep(cluster(undefined, [pool('system', '1.32.3')]), '1.32.3', 'Full', {})).toEqual({ kind: 'startControlPlane', version: '1.32.3' });
    expect(nextUpgradeStep(cluster('1.32.3', [pool('system', '1.32.3'), pool('a', undefined), pool('b', '1.31.3')]), '1.32.3', 'Full', {})).toEqual({
      kind: 'startPool',
      pool: 'a',
      version: '1.32.3',
    });
    expect(nextUpgradeStep(cluster('1.32.3', [pool('system', '1.32.3'), pool('b', '1.31.3')]), '1.32.3', 'Full', {})).toEqual({
      kind: 'startPool',
      pool: 'b',
      version: '1.32.3',
    });
  });

  it('NodeImageOnly: the first pool still on its starting image, whatever the Kubernetes versions', () => {
    const pools = [pool('system', '1.31.3', 'Succeeded', 'img-2'), pool('user', '1.31.3', 'Succeeded', 'img-1')];
    expect(nextUpgradeStep(cluster('1.30.1', pools), '1.32.3', 'NodeImageOnly', { system: 'img-1', user: 'img-1' })).toEqual({
      kind: 'startNodeImage',
      pool: 'user',
    });
    expect(nextUpgradeStep(cluster('1.30.1', pools), '1.32.3', 'NodeImageOnly', { system: 'img-1', user: 'img-0' })).toEqual({ kind: 'done' });
  });
});
