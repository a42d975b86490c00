/** The sweep fan-out's pure parts: shards, lanes (the bound on shards in flight), a failed shard, the merge, the retry decision. */
import { describe, expect, it } from 'vitest';

import { mergedSweep, retryableShardErrors, withLogsShare } from '../../../lib/sweep/fleetSweepActivities.js';
import { failedShardOutcome, lanesOf } from '../../../lib/sweep/fleetSweepOrchestrator.js';
import type { SweepError } from '../../../lib/sweep/sweepResult.js';
import { planShards, type ShardOutcome } from '../../../lib/sweep/sweepShard.js';

const SUBSCRIPTIONS = ['A', 'b', 'c', 'a', 'd', 'e', 'f'];
const context = { sweepId: 's1', startedAt: '2026-11-30T10:00:00.000Z', trigger: 'timer', concurrency: 8 };

function sweptOutcome(index: number, subscriptions: string[], clusters: number): ShardOutcome {
  return {
    index,
    subscriptions,
    stats: {
      subscriptions: { total: subscriptions.length, succeeded: subscriptions.length, failed: 0 },
      clusters,
      locations: { total: 1, failed: 0 },
      findings: { total: 2, bySeverity: { critical: 0, high: 2, medium: 0, low: 0, info: 0 }, byRule: { 'AKS-X': 2 } },
      policy: { compliant: 1, nonCompliant: 1, percent: 50 },
      logs: undefined,
      store: undefined,
    },
    errors: [],
    durationMs: 10,
    clusterRowsWritten: true,
  };
}

describe('sweep fan-out, pure parts', () => {
  it('cuts the subscriptions as the shared contract does (lower-cased, de-duplicated, in order)', () => {
    expect(planShards(SUBSCRIPTIONS, 2).map((shard) => shard.subscriptions)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
    ]);
    expect(planShards([], 2)).toEqual([]);
  });

  it('deals shards round-robin over at most maxShardsInFlight lanes', () => {
    const shards = planShards(SUBSCRIPTIONS, 1);
    expect(lanesOf(shards, 2).map((lane) => lane.map((shard) => shard.index))).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);
    expect(lanesOf(shards, 100)).toHaveLength(6);
    expect(lanesOf([], 4)).toEqual([]);
  });

  it('a failed shard counts its subscriptions failed and names them; the merged sweep is partial', () => {
    const [first, second] = planShards(SUBSCRIPTIONS, 3);
    const failed = failedShardOutcome(second!, 'failed after 4 attempts: boom');
    const merged = mergedSweep({ context, endedAt: '2026-11-30T10:05:00.000Z', outcomes: [sweptOutcome(0, first!.subscriptions, 7), failed], listErrors: [] });
    expect(merged).toMatchObject({
      sweepId: 's1',
      status: 'partial',
      findings: [],
      clusters: [],
      stats: { subscriptions: { total: 6, succeeded: 3, failed: 3 }, clusters: 7, durationMs: 300_000, findings: { total: 2, byRule: { 'AKS-X': 2 } } },
    });
    expect(merged.errors).toEqual([
      { scope: 'subscription', target: 'd, e, f', reason: 'serverError', message: 'shard 1 (subscriptions d, e, f) not swept: failed after 4 attempts: boom' },
    ]);
  });

  it('a listing that failed fails the sweep, its error first', () => {
    const listError: SweepError = { scope: 'discovery', target: 'subscriptions', reason: 'serverError', message: 'listing the subscriptions: 503' };
    const merged = mergedSweep({ context, endedAt: context.startedAt, outcomes: [], listErrors: [listError] });
    expect(merged).toMatchObject({ status: 'failed', errors: [listError] });
  });

  it('retries a shard for a subscription not listed or not stored on 429/5xx only', () => {
    const errors: SweepError[] = [
      { scope: 'subscription', target: 'a', reason: 'serverError', message: '' },
      { scope: 'store', target: 'b', reason: 'rateLimited', message: '' },
      { scope: 'subscription', target: 'c', reason: 'authError', message: '' },
      { scope: 'workspace', target: 'w', reason: 'rateLimited', message: '' },
      { scope: 'alerts', target: 'outbox', reason: 'serverError', message: '' },
      { scope: 'policy', target: 'd', reason: 'serverError', message: '' },
    ];
    expect(retryableShardErrors(errors).map((error) => error.target)).toEqual(['a', 'b']);
  });
});

describe('Log Analytics share of a shard activity', () => {
  /** A reader that counts its queries in flight; each answers after the test releases it. */
  function countingReader() {
    let inFlight = 0;
    let most = 0;
    const pending: Array<() => void> = [];
    return {
      most: () => most,
      release: () => pending.splice(0).forEach((resolve) => resolve()),
      pendingCount: () => pending.length,
      reader: {
        query: async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise<void>((resolve) => pending.push(resolve));
          inFlight -= 1;
          return { kind: 'ok' as const, rows: [] };
        },
      },
    };
  }

  it('lanes running at once together keep within the identity’s 5 concurrent queries; one lane keeps the client’s own limit of 5', async () => {
    const alone = { fleet: {} as never, logs: { reader: countingReader().reader as never, settings: {} as never } };
    expect(withLogsShare(alone, 1)).toBe(alone);
    for (const [lanes, share] of [
      [4, 1],
      [2, 2],
      [8, 1],
    ] as const) {
      const counting = countingReader();
      const base = { fleet: {} as never, logs: { reader: counting.reader as never, settings: {} as never } };
      const shared = withLogsShare(base, lanes);
      const queries = Array.from({ length: 12 }, () => shared.logs!.reader.query('ws', 'q', 60));
      await new Promise((resolve) => setImmediate(resolve));
      expect(counting.pendingCount(), `${lanes} lanes`).toBe(share);
      while (counting.pendingCount() > 0) {
        counting.release();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(queries);
      expect(counting.most(), `${lanes} lanes: most in flight per activity`).toBe(share);
    }
  });
});
