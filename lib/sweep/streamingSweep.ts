/**
 * The streaming sweep (issue 19): one invocation sweeps the fleet shard by shard, so memory is
 * bounded by the largest shard, not by the fleet. Subscriptions are resolved once and split into
 * shards of at most `shardClusters` clusters (a subscription is never split: its findings are
 * reconciled as a whole); each shard runs the whole pipeline (inventory → rules → findings store →
 * alert queue) with the stage overlap of runSweep, writes its cluster rows of the sweep record and
 * hands back only counts and errors (lib/sweep/sweepShard.ts). The summary row is written last.
 *
 * Shard sizes come from one Resource Graph count per subscription when the inventory source has
 * Resource Graph; without it (ARM listing, or the count failed) they are learnt as shards finish:
 * the first shard takes one round of list calls (`concurrency` subscriptions), the next ones as
 * many subscriptions as the densest shard so far says fit.
 */
import { randomUUID } from 'node:crypto';

import pLimit from 'p-limit';

import { toFleetGuardError } from '../errors.js';
import { resolveSubscriptions, type SweepDependencies } from './runSweep.js';
import { shareReads } from './sharedReads.js';
import type { SweepError, SweepResult } from './sweepResult.js';
import { mergeShardOutcomes, planShards, type ShardContext, type ShardOutcome, type SweepShard, sweepShard } from './sweepShard.js';

/**
 * Two shards at a time: one after another left the sweep's slots idle at each shard's tail (its
 * last component calls) and head (Resource Graph pages before any per-cluster call); measured at
 * 20,000 clusters, 119–151 s one at a time, 106 s two at a time, same calls (BENCHMARKS.md, Scale).
 */
export const SHARDS_IN_FLIGHT = 2;

/** Resource Graph takes at most 1,000 subscriptions per request: a shard never holds more. */
const MAX_SUBSCRIPTIONS_PER_SHARD = 1000;

export interface StreamingSweepOptions {
  /** Subscriptions to sweep; empty = discover every subscription the identity can read. */
  subscriptions: readonly string[];
  concurrency: number;
  /** Recorded with the sweep: `timer`, `bench`. */
  trigger: string;
  /** At most this many clusters per shard (FLEETGUARD_SWEEP_SHARD_CLUSTERS). */
  shardClusters: number;
  /**
   * Shards swept at once, sharing the sweep's `concurrency` (default {@link SHARDS_IN_FLIGHT}): the
   * next shard's listing overlaps the last calls of the one before, at the memory of two shards.
   */
  shardsInFlight?: number;
  /** After each shard, e.g. to log progress. */
  onShard?: (outcome: ShardOutcome) => void;
}

export async function runStreamingSweep(deps: SweepDependencies, options: StreamingSweepOptions): Promise<SweepResult> {
  const now = deps.now ?? (() => new Date());
  const context: ShardContext = { sweepId: randomUUID(), startedAt: now().toISOString(), trigger: options.trigger, concurrency: options.concurrency };
  const planErrors: SweepError[] = [];
  const subscriptions = await resolveSubscriptions(deps.fleet, options.subscriptions, planErrors);
  const counts = await countClusters(deps, subscriptions, planErrors);
  const shared = shareReads(deps);

  const remaining = [...subscriptions];
  // Without counts: one round of list calls first, then the densest shard so far sets the pace.
  let densest = Math.ceil(options.shardClusters / Math.max(1, options.concurrency));
  let next = 0;
  const nextShard = (): SweepShard | undefined => {
    const [first] = planShards(remaining, MAX_SUBSCRIPTIONS_PER_SHARD, {
      maxClusters: options.shardClusters,
      clustersBySubscription: counts ?? new Map(),
      unknownClusters: counts === undefined ? densest : 0,
    });
    if (first === undefined) return undefined;
    remaining.splice(0, first.subscriptions.length);
    return { index: next++, subscriptions: first.subscriptions };
  };
  const outcomes: ShardOutcome[] = [];
  // One set of call slots for the sweep: overlapping shards share FLEETGUARD_SWEEP_CONCURRENCY, they do not each get it.
  const limit = pLimit(options.concurrency);
  const worker = async () => {
    for (let shard = nextShard(); shard !== undefined; shard = nextShard()) {
      const outcome = await sweepShard(shared.deps, shard, context, { limit });
      if (outcome.stats.subscriptions.succeeded > 0) densest = Math.max(densest, Math.ceil(outcome.stats.clusters / outcome.stats.subscriptions.succeeded));
      outcomes.push(outcome);
      options.onShard?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.shardsInFlight ?? SHARDS_IN_FLIGHT) }, worker));
  outcomes.sort((left, right) => left.index - right.index);

  const result = mergeShardOutcomes(context, outcomes, now());
  result.errors.unshift(...planErrors);
  if (planErrors.some((error) => error.scope === 'discovery')) result.status = 'failed';
  else if (planErrors.length > 0 && result.status === 'succeeded') result.status = 'partial';
  // What the shards shared was asked once: the merge's sums would count it once per shard.
  const sent = shared.counts();
  const distinctTargets = (scope: SweepError['scope']) => new Set(result.errors.filter((error) => error.scope === scope).map((error) => error.target)).size;
  result.stats.locations = { total: sent.locations, failed: distinctTargets('location') };
  if (result.stats.logs) result.stats.logs = { workspaces: sent.workspaces, failedWorkspaces: distinctTargets('workspace'), queries: sent.logQueries };

  if (deps.sweeps) {
    try {
      await deps.sweeps.ensureTable();
      // The cluster rows went shard by shard; the summary row goes last, as in runSweep.
      await deps.sweeps.record(result, options.trigger, { clusterRowsWritten: true });
    } catch (error) {
      const failure = toFleetGuardError(error, 'recording the sweep');
      result.errors.push({ scope: 'store', target: 'sweeps', reason: failure.reason, message: failure.message });
      result.status = result.status === 'failed' ? 'failed' : 'partial';
    }
  }
  return result;
}

/** Clusters per subscription in one Resource Graph query, when the fleet reader has one and there is more than one subscription to split. */
async function countClusters(deps: SweepDependencies, subscriptions: readonly string[], errors: SweepError[]): Promise<Map<string, number> | undefined> {
  if (deps.fleet.countClustersAcross === undefined || subscriptions.length < 2) return undefined;
  try {
    return await deps.fleet.countClustersAcross(subscriptions);
  } catch (error) {
    const failure = toFleetGuardError(error, 'counting clusters per subscription in Azure Resource Graph');
    errors.push({ scope: 'resourceGraph', target: 'cluster counts', reason: failure.reason, message: `${failure.message} (shards sized as they were swept)` });
    return undefined;
  }
}
