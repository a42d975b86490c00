/**
 * Retry claims in real Azurite tables: each cluster of a rollout is re-run by one retry only, even
 * when two retries are asked for at once (entity group transaction of creates: all or nothing).
 */
import { describe, expect, it } from 'vitest';

import { RolloutStore } from '../../lib/upgrades/rolloutStore.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const id = (name: string) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;
const ROLLOUT = '11111111-2222-4333-8444-555555555555';

describe('retry claims', () => {
  it('two retries asked for at once: one claims the clusters, the other is told who holds them and claims nothing', async () => {
    const store = new RolloutStore(azuriteTable(uniqueTableName('claims')));
    await store.ensureTable();
    const [first, second] = await Promise.all([
      store.claimRetry(ROLLOUT, 'retry-1', [id('a'), id('b')], 'max', '2026-01-01T00:00:00Z'),
      store.claimRetry(ROLLOUT, 'retry-2', [id('b'), id('c')], 'ana', '2026-01-01T00:00:01Z'),
    ]);
    const winner = first.length === 0 ? 'retry-1' : 'retry-2';
    expect([first.length === 0, second.length === 0].sort()).toEqual([false, true]);
    expect([...first, ...second]).toEqual([{ resourceId: id('b'), retryId: winner, by: winner === 'retry-1' ? 'max' : 'ana', at: expect.any(String) }]);
    // The loser's other cluster is not left claimed: it can be retried.
    expect((await store.retryClaims(ROLLOUT)).map((claim) => [claim.retryId, claim.resourceId.split('/').at(-1)]).sort()).toEqual(
      winner === 'retry-1'
        ? [
            ['retry-1', 'a'],
            ['retry-1', 'b'],
          ]
        : [
            ['retry-2', 'b'],
            ['retry-2', 'c'],
          ],
    );
    // A retry that could not start gives its clusters back.
    await store.releaseRetry(ROLLOUT, winner === 'retry-1' ? [id('a'), id('b')] : [id('b'), id('c')]);
    expect(await store.retryClaims(ROLLOUT)).toEqual([]);
  });

  it('past 100 clusters, claimed batch by batch; a conflict in a later batch releases the earlier ones', async () => {
    const store = new RolloutStore(azuriteTable(uniqueTableName('claims')));
    await store.ensureTable();
    const many = Array.from({ length: 101 }, (_, index) => id(`aks-${index}`));
    expect(await store.claimRetry(ROLLOUT, 'retry-1', [id('aks-100')], 'max', '2026-01-01T00:00:00Z')).toEqual([]);
    expect((await store.claimRetry(ROLLOUT, 'retry-2', many, 'ana', '2026-01-01T00:00:01Z')).map((claim) => claim.retryId)).toEqual(['retry-1']);
    expect((await store.retryClaims(ROLLOUT)).map((claim) => claim.retryId)).toEqual(['retry-1']);
    // Releasing claims some of which are gone releases the others.
    expect(await store.claimRetry(ROLLOUT, 'retry-3', [id('x'), id('y')], 'ana', '2026-01-01T00:00:02Z')).toEqual([]);
    await store.releaseRetry(ROLLOUT, [id('x'), id('y'), id('never-claimed')]);
    expect((await store.retryClaims(ROLLOUT)).map((claim) => claim.retryId)).toEqual(['retry-1']);
  });
});
