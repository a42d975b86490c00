/**
 * A rollback approval whose orchestration cannot be started (the durable client fails) gives the
 * approval back: the request waits for approval again and a second approval starts it, instead of
 * staying Approved with nothing running. The rollout store is real (Azurite); the durable client is
 * a stand-in whose start fails once, the one failure the local host cannot produce on demand.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { encodePrincipal, type Principal } from '../../lib/auth/principal.js';
import type { ClusterRollbackFacts } from '../../lib/upgrades/rollback.js';
import { handleRollbackRequest } from '../../lib/upgrades/rollbackApi.js';
import type { DurableClientLike } from '../../lib/upgrades/rolloutsApi.js';
import { RolloutStore } from '../../lib/upgrades/rolloutStore.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const CLUSTER = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/checkout-prod';
const OLD = { orchestratorVersion: '1.31.3', nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.01.0' };
const FACTS: ClusterRollbackFacts = {
  resourceId: CLUSTER,
  name: 'checkout-prod',
  resourceGroup: 'rg',
  subscriptionId: 's',
  kubernetesVersion: '1.32.4',
  upgradeChannel: 'none',
  nodeOsUpgradeChannel: 'Unmanaged',
  pools: [
    {
      name: 'system',
      version: '1.32.4',
      nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.20.0',
      provisioningState: 'Succeeded',
      recentlyUsedVersions: [{ ...OLD, timestamp: new Date(NOW.getTime() - 60 * 60_000).toISOString() }],
    },
  ],
};

const manager = (name: string, objectId: string): Principal => ({ name, objectId, roles: ['Rollouts.Manage'] });

describe('rollback approval when the orchestration cannot start', () => {
  it('gives the approval back (503 saying so); a second approval starts it and is recorded', async () => {
    const store = new RolloutStore(azuriteTable(uniqueTableName('rollback')));
    await store.ensureTable();
    const rolloutId = randomUUID();
    await store.recordClusterStatuses(
      rolloutId,
      'Halted',
      [{ resourceId: CLUSTER, wave: 'prod', status: 'Upgraded', fromVersion: '1.31.3', toVersion: '1.32.4', reason: '' }],
      NOW.toISOString(),
    );
    const started: string[] = [];
    let failNextStart = true;
    const client: DurableClientLike = {
      getStatus: (id) => Promise.resolve(id === rolloutId ? { runtimeStatus: 'Completed', customStatus: { status: 'Halted' } } : undefined),
      startNew: (_name, options) => {
        if (failNextStart) {
          failNextStart = false;
          return Promise.reject(Object.assign(new Error('task hub unavailable'), { statusCode: 503 }));
        }
        started.push(options.instanceId);
        return Promise.resolve(options.instanceId);
      },
      raiseEvent: () => Promise.resolve(),
      terminate: () => Promise.resolve(),
    };
    const deps = { client, store, now: NOW, facts: () => Promise.resolve(FACTS) };
    const ask = (operation: 'request' | 'approve', who: Principal, body: unknown) =>
      handleRollbackRequest(operation, { principalHeader: encodePrincipal(who), params: { id: rolloutId }, body: JSON.stringify(body) }, deps);

    const requested = await ask('request', manager('Ana', 'oid-ana'), { clusters: ['checkout-prod'] });
    expect(requested.status).toBe(202);

    const failed = await ask('approve', manager('Bo', 'oid-bo'), {});
    expect(failed.status).toBe(503);
    expect((failed.body as { error: string }).error).toMatch(
      /could not be started.*still waits for approval: approve it again \(correlation id [0-9a-f-]{36}\)/,
    );
    // The durable client's own error text (it may name internal addresses) is logged, not answered.
    expect((failed.body as { error: string }).error).not.toContain('task hub unavailable');
    const [afterFailure] = await store.rollbacks().list(rolloutId);
    expect(afterFailure).toMatchObject({ state: 'PendingApproval' });
    expect(afterFailure?.approved).toBeUndefined();
    expect((await store.actions(rolloutId)).map((action) => action.action)).not.toContain('rollback-approve');

    const approved = await ask('approve', manager('Bo', 'oid-bo'), {});
    expect(approved.status).toBe(202);
    expect(started).toHaveLength(1);
    const [afterApproval] = await store.rollbacks().list(rolloutId);
    expect(afterApproval).toMatchObject({
      state: 'Approved',
      approved: { by: 'Bo', byObjectId: 'oid-bo' },
      targets: [{ resourceId: CLUSTER, pool: 'system', to: OLD }],
    });
    expect((await store.actions(rolloutId)).filter((action) => action.action === 'rollback-approve')).toHaveLength(1);
  });
});
