/**
 * The in-cluster fan-out's pure parts: batching, lanes (the bound on batches in flight), merging,
 * and the per-cluster check's deadline (one slow cluster costs one timeout, the reader's promise is
 * not awaited past it).
 */
import { describe, expect, it } from 'vitest';

import type { Cluster } from '../../../lib/model/cluster.js';
import type { InClusterReader } from '../../../lib/model/inCluster.js';
import { batchesOf, failedBatchResult, lanesOf, mergeBatches } from '../../../lib/sweep/inClusterOrchestrator.js';
import { checkClusterInside } from '../../../lib/sweep/inClusterStage.js';
import { compliantCluster } from '../../harness/clusters.js';

function clusters(count: number): Cluster[] {
  return Array.from({ length: count }, (_unused, index) => {
    const name = `aks-${String(count - index).padStart(3, '0')}`;
    return compliantCluster({ id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`, name });
  });
}

describe('in-cluster fan-out, pure parts', () => {
  it('batches clusters in id order, the last batch short', () => {
    const batches = batchesOf(clusters(12), 5);
    expect(batches.map((batch) => batch.length)).toEqual([5, 5, 2]);
    expect(batches.flat().map((cluster) => cluster.name)).toEqual([...clusters(12)].map((cluster) => cluster.name).sort());
  });

  it('deals batches round-robin over at most maxBatchesInFlight lanes', () => {
    const lanes = lanesOf(batchesOf(clusters(12), 5), 2);
    expect(lanes.map((lane) => lane.map(({ batch }) => batch))).toEqual([[0, 2], [1]]);
    expect(lanesOf(batchesOf(clusters(3), 5), 10)).toHaveLength(1);
    expect(lanesOf([], 10)).toEqual([]);
  });

  it('merges batches into one record; a failed batch makes its clusters unreachable and the run partial', () => {
    const [first, second] = batchesOf(clusters(8), 4);
    const ok = {
      ...failedBatchResult(first!, 'x'),
      clusters: first!.map((cluster) => ({
        resourceId: cluster.id,
        name: cluster.name,
        subscriptionId: 's',
        location: 'l',
        state: 'checked' as const,
        findings: 1,
      })),
      findings: 4,
      store: { opened: 4, reopened: 0, updated: 0, resolved: 1 },
    };
    const failed = failedBatchResult(second!, 'batch activity failed after 3 attempts: boom');
    const record = mergeBatches(
      { runId: 'r', startedAt: 'a', endedAt: 'b' },
      { clusters: [...first!, ...second!], subscriptions: 1, subscriptionsFailed: 0, errors: [] },
      [ok, failed],
      [{ batch: 1, clusters: 4, reason: 'boom' }],
    );
    expect(record.counts).toEqual({ checked: 4, unreachable: 4, unauthorized: 0, notEntraIntegrated: 0 });
    expect(record).toMatchObject({ status: 'partial', findings: 4, store: { opened: 4, resolved: 1 }, errorCount: 1, batches: 2 });
    expect(record.clusters.filter((row) => row.state === 'unreachable').every((row) => row.reason?.includes('boom'))).toBe(true);
  });

  it('a cluster past the deadline is unreachable, "timed out after N s", at the deadline', async () => {
    const hanging: InClusterReader = { read: () => new Promise(() => undefined) };
    const started = performance.now();
    const check = await checkClusterInside({ reader: hanging, deadlineSeconds: 0.2 }, compliantCluster());
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(check).toMatchObject({ coverage: { state: 'unreachable', reason: 'timed out after 0.2 s' }, findings: [], evaluatedRuleIds: [] });
  });
});
