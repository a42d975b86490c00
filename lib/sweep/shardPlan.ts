/**
 * How a sweep's subscriptions are cut into shards: pure and light, so the fan-out's orchestrator
 * (loaded at registration) and the streaming sweep plan alike without loading the sweep itself.
 */

/** One group of subscriptions swept together. */
export interface SweepShard {
  /** 0-based position in the plan (stable: names the shard in errors and progress). */
  index: number;
  subscriptions: string[];
}

/** How to bound shards by clusters ({@link planShards}). */
export interface ShardBound {
  /** At most this many clusters per shard, unless one subscription alone holds more (a subscription is never split: its findings are reconciled as a whole). */
  maxClusters: number;
  /** Clusters per lower-cased subscription id (a cheap count, e.g. one Resource Graph `summarize`). */
  clustersBySubscription: ReadonlyMap<string, number>;
  /** Taken for a subscription missing from the counts; 0 when absent. */
  unknownClusters?: number;
}

/**
 * Subscriptions in groups of at most `perShard`, in the order given (lower-cased, de-duplicated).
 * With `bound`, a group also closes before its clusters would pass `bound.maxClusters`.
 */
export function planShards(subscriptions: readonly string[], perShard: number, bound?: ShardBound): SweepShard[] {
  const unique = [...new Set(subscriptions.map((id) => id.toLowerCase()))];
  const size = Math.max(1, Math.floor(perShard));
  const shards: SweepShard[] = [];
  let current: string[] = [];
  let clusters = 0;
  for (const subscriptionId of unique) {
    const own = bound === undefined ? 0 : (bound.clustersBySubscription.get(subscriptionId) ?? bound.unknownClusters ?? 0);
    if (current.length > 0 && (current.length >= size || (bound !== undefined && clusters + own > bound.maxClusters))) {
      shards.push({ index: shards.length, subscriptions: current });
      current = [];
      clusters = 0;
    }
    current.push(subscriptionId);
    clusters += own;
  }
  if (current.length > 0) shards.push({ index: shards.length, subscriptions: current });
  return shards;
}
