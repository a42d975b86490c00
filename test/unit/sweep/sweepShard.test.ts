/**
 * The shard contract's pure parts (lib/sweep/sweepShard.ts): shards bounded by subscriptions and
 * by clusters, and one sweep result merged from the shards' outcomes.
 */
import { describe, expect, it } from 'vitest';

import type { SweepError } from '../../../lib/sweep/sweepResult.js';
import { mergeShardOutcomes, planShards, type ShardContext, type ShardOutcome } from '../../../lib/sweep/sweepShard.js';

const CONTEXT: ShardContext = { sweepId: 'sweep-1', startedAt: '2026-11-30T10:00:00.000Z', trigger: 'timer', concurrency: 8 };

function outcome(index: number, overrides: Partial<ShardOutcome['stats']> = {}, errors: SweepError[] = []): ShardOutcome {
  return {
    index,
    subscriptions: [`s${index}`],
    stats: {
      subscriptions: { total: 2, succeeded: 2, failed: 0 },
      clusters: 10,
      locations: { total: 2, failed: 0 },
      findings: { total: 4, bySeverity: { critical: 1, high: 1, medium: 2, low: 0, info: 0 }, byRule: { 'AKS-A': 3, 'AKS-B': 1 } },
      policy: { compliant: 3, nonCompliant: 1, percent: 75 },
      logs: { workspaces: 1, failedWorkspaces: 0, queries: 1 },
      store: { opened: 2, reopened: 1, updated: 1, resolved: 1, conflicts: 0, subscriptions: 2, rowsWritten: 4, transactions: 2 },
      alerts: { alerts: 3, notifications: 3, messages: 2, silenced: 1, inhibited: 0 },
      ...overrides,
    },
    errors,
    durationMs: 1000,
    clusterRowsWritten: true,
  };
}

describe('planShards', () => {
  it('groups at most perShard subscriptions, lower-cased and de-duplicated, in the order given', () => {
    expect(planShards(['A', 'b', 'a', 'C', 'd', 'E'], 2)).toEqual([
      { index: 0, subscriptions: ['a', 'b'] },
      { index: 1, subscriptions: ['c', 'd'] },
      { index: 2, subscriptions: ['e'] },
    ]);
  });

  it('closes a shard before its clusters would pass the bound; a subscription larger than the bound is a shard of its own', () => {
    const clustersBySubscription = new Map([
      ['a', 30],
      ['b', 50],
      ['c', 5000],
      ['d', 10],
      ['e', 60],
    ]);
    expect(planShards(['a', 'b', 'c', 'd', 'e'], 1000, { maxClusters: 100, clustersBySubscription }).map((shard) => shard.subscriptions)).toEqual([
      ['a', 'b'],
      ['c'],
      ['d', 'e'],
    ]);
  });

  it('counts a subscription missing from the counts as unknownClusters (0 when not given)', () => {
    const bound = { maxClusters: 100, clustersBySubscription: new Map([['a', 90]]) };
    expect(planShards(['a', 'b', 'c'], 1000, bound).map((shard) => shard.subscriptions)).toEqual([['a', 'b', 'c']]);
    expect(planShards(['a', 'b', 'c'], 1000, { ...bound, unknownClusters: 50 }).map((shard) => shard.subscriptions)).toEqual([['a'], ['b', 'c']]);
  });
});

describe('mergeShardOutcomes', () => {
  it('sums the counts of every shard, recomputes the policy percent from the sums and times the sweep from its start', () => {
    const result = mergeShardOutcomes(
      CONTEXT,
      [outcome(0), outcome(1, { policy: { compliant: 1, nonCompliant: 3, percent: 25 } })],
      new Date('2026-11-30T10:01:00.000Z'),
    );
    expect(result).toMatchObject({ sweepId: 'sweep-1', status: 'succeeded', findings: [], clusters: [], errors: [] });
    expect(result.stats).toMatchObject({
      subscriptions: { total: 4, succeeded: 4, failed: 0 },
      clusters: 20,
      findings: { total: 8, bySeverity: { critical: 2, high: 2, medium: 4, low: 0, info: 0 }, byRule: { 'AKS-A': 6, 'AKS-B': 2 } },
      policy: { compliant: 4, nonCompliant: 4, percent: 50 },
      store: { opened: 4, reopened: 2, updated: 2, resolved: 2, subscriptions: 4, rowsWritten: 8, transactions: 4 },
      alerts: { alerts: 6, messages: 4, silenced: 2 },
      durationMs: 60_000,
    });
  });

  it('keeps every shard error once, and is partial when a shard degraded, failed when no subscription was swept', () => {
    const subscription: SweepError = { scope: 'subscription', target: 's1', reason: 'authError', message: 'forbidden' };
    const location: SweepError = { scope: 'location', target: 'westeurope', reason: 'serverError', message: 'versions failed' };
    const partial = mergeShardOutcomes(
      CONTEXT,
      [outcome(0, {}, [location]), outcome(1, { subscriptions: { total: 2, succeeded: 1, failed: 1 } }, [subscription, location])],
      new Date(),
    );
    expect(partial.status).toBe('partial');
    expect(partial.errors).toEqual([location, subscription]);
    expect(partial.stats.subscriptions).toEqual({ total: 4, succeeded: 3, failed: 1 });
    const none = { subscriptions: { total: 2, succeeded: 0, failed: 2 } };
    expect(mergeShardOutcomes(CONTEXT, [outcome(0, none, [subscription]), outcome(1, none, [subscription])], new Date()).status).toBe('failed');
  });

  it('leaves out the store, logs and alerts counts when no shard had them, and the policy percent when no state was evaluated', () => {
    const bare = outcome(0, { store: undefined, logs: undefined, alerts: undefined, policy: { compliant: 0, nonCompliant: 0, percent: undefined } });
    const { stats } = mergeShardOutcomes(CONTEXT, [bare], new Date());
    expect(stats.store).toBeUndefined();
    expect(stats.logs).toBeUndefined();
    expect(stats.alerts).toBeUndefined();
    expect(stats.policy.percent).toBeUndefined();
  });
});
