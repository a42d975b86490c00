/**
 * A sweep in shards (issue 19): the fleet's subscriptions are split into groups; each group runs
 * the whole pipeline (inventory → rules → findings store → alert queue) and hands back only what is
 * small whatever the group's size (counts and errors, never findings nor cluster objects), so
 * memory is bounded by the largest shard. Shards run one after another in one invocation (the
 * streaming sweep, small fleets) or as Durable activities (the fan-out, large fleets); both merge
 * their outcomes into one sweep record with {@link mergeShardOutcomes}.
 *
 * CONTRACT shared by the streaming sweep and the Durable fan-out: keep the exported names and
 * shapes; the internals may change.
 */
import type { EnqueueResult } from '../alerts/alertPipeline.js';
import { SEVERITIES, type Severity } from '../model/finding.js';
import { runSweep, type SweepDependencies, type SweepOptions } from './runSweep.js';
import type { SweepShard } from './shardPlan.js';
import type { SweepError, SweepResult, SweepStats, SweepStatus } from './sweepResult.js';

export { planShards, type ShardBound, type SweepShard } from './shardPlan.js';

/** The sweep a shard belongs to. Serializable: it is a Durable activity's input. */
export interface ShardContext {
  sweepId: string;
  /** ISO time the sweep started: `observedAt` of every finding row, whatever shard wrote it. */
  startedAt: string;
  trigger: string;
  concurrency: number;
}

/** What a shard hands back. Serializable (a Durable activity's output) and small: no findings, no clusters. */
export interface ShardOutcome {
  index: number;
  subscriptions: string[];
  stats: Omit<SweepStats, 'durationMs'>;
  errors: SweepError[];
  durationMs: number;
  /** Whether the shard wrote its cluster rows of the sweep record itself. */
  clusterRowsWritten: boolean;
}

/**
 * Sweeps one shard. `deps.sweeps`, when given, receives the shard's cluster rows (the summary row
 * is the merge's); a failure to write them is one more error of the shard, not a thrown one.
 */
export async function sweepShard(
  deps: SweepDependencies,
  shard: SweepShard,
  context: ShardContext,
  options: Pick<SweepOptions, 'onProgress' | 'limit'> = {},
): Promise<ShardOutcome> {
  const { sweeps, ...withoutRecord } = deps;
  const now = deps.now ?? (() => new Date());
  const shardStarted = now().getTime();
  const result = await runSweep(withoutRecord, {
    subscriptions: shard.subscriptions,
    concurrency: context.concurrency,
    trigger: context.trigger,
    identity: { sweepId: context.sweepId, startedAt: new Date(context.startedAt) },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.limit ? { limit: options.limit } : {}),
  });
  let clusterRowsWritten = false;
  if (sweeps !== undefined) {
    try {
      await sweeps.ensureTable();
      await sweeps.recordClusterRows(context.sweepId, result.clusters);
      clusterRowsWritten = true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result.errors.push({ scope: 'store', target: 'sweeps', reason: 'serverError', message: `cluster rows of shard ${shard.index}: ${message}` });
    }
  }
  // runSweep's duration runs from the sweep's start; the shard's own is what its outcome reports.
  const { durationMs: _sinceSweepStart, ...stats } = result.stats;
  void _sinceSweepStart;
  return {
    index: shard.index,
    subscriptions: shard.subscriptions,
    stats,
    errors: result.errors,
    durationMs: now().getTime() - shardStarted,
    clusterRowsWritten,
  };
}

/** One sweep result from its shards' outcomes (findings and clusters empty: they stayed in the shards). */
export function mergeShardOutcomes(context: ShardContext, outcomes: readonly ShardOutcome[], endedAt: Date): SweepResult {
  const errors = distinctErrors(outcomes.flatMap((outcome) => outcome.errors));
  const sum = (pick: (stats: ShardOutcome['stats']) => number | undefined) => outcomes.reduce((total, outcome) => total + (pick(outcome.stats) ?? 0), 0);
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, sum((stats) => stats.findings.bySeverity[severity])])) as Record<
    Severity,
    number
  >;
  const byRule: Record<string, number> = {};
  for (const outcome of outcomes) for (const [rule, count] of Object.entries(outcome.stats.findings.byRule)) byRule[rule] = (byRule[rule] ?? 0) + count;
  const compliant = sum((stats) => stats.policy.compliant);
  const nonCompliant = sum((stats) => stats.policy.nonCompliant);
  const withStore = outcomes.filter((outcome) => outcome.stats.store !== undefined);
  const withLogs = outcomes.filter((outcome) => outcome.stats.logs !== undefined);
  const withAlerts = outcomes.filter((outcome) => outcome.stats.alerts !== undefined);
  const stats: SweepStats = {
    subscriptions: { total: sum((s) => s.subscriptions.total), succeeded: sum((s) => s.subscriptions.succeeded), failed: sum((s) => s.subscriptions.failed) },
    clusters: sum((s) => s.clusters),
    // Locations repeat across shards: the total is an upper bound, the failed count exact per shard.
    locations: { total: sum((s) => s.locations.total), failed: sum((s) => s.locations.failed) },
    findings: { total: sum((s) => s.findings.total), bySeverity, byRule },
    policy: { compliant, nonCompliant, percent: compliant + nonCompliant === 0 ? undefined : Math.round((1000 * compliant) / (compliant + nonCompliant)) / 10 },
    logs:
      withLogs.length === 0
        ? undefined
        : { workspaces: sum((s) => s.logs?.workspaces), failedWorkspaces: sum((s) => s.logs?.failedWorkspaces), queries: sum((s) => s.logs?.queries) },
    durationMs: endedAt.getTime() - Date.parse(context.startedAt),
    store:
      withStore.length === 0
        ? undefined
        : {
            opened: sum((s) => s.store?.opened),
            reopened: sum((s) => s.store?.reopened),
            updated: sum((s) => s.store?.updated),
            resolved: sum((s) => s.store?.resolved),
            conflicts: sum((s) => s.store?.conflicts),
            subscriptions: sum((s) => s.store?.subscriptions),
            rowsWritten: sum((s) => s.store?.rowsWritten),
            transactions: sum((s) => s.store?.transactions),
          },
    alerts: withAlerts.length === 0 ? undefined : mergeAlerts(withAlerts.map((outcome) => outcome.stats.alerts as EnqueueResult)),
  };
  return {
    sweepId: context.sweepId,
    startedAt: context.startedAt,
    endedAt: endedAt.toISOString(),
    status: mergedStatus(stats, errors),
    findings: [],
    clusters: [],
    stats,
    errors,
  };
}

/**
 * Each error once: what shards read through a shared cache (a location's versions, a workspace's
 * query, the notices) fails for every shard that asks, but it is one failure of the sweep.
 */
function distinctErrors(errors: readonly SweepError[]): SweepError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = JSON.stringify([error.scope, error.target, error.reason, error.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function mergedStatus(stats: SweepStats, errors: readonly SweepError[]): SweepStatus {
  if (errors.some((error) => error.scope === 'discovery') || (stats.subscriptions.total > 0 && stats.subscriptions.succeeded === 0)) return 'failed';
  return errors.length > 0 ? 'partial' : 'succeeded';
}

function mergeAlerts(results: readonly EnqueueResult[]): EnqueueResult {
  const total = (pick: (result: EnqueueResult) => number) => results.reduce((sum, result) => sum + pick(result), 0);
  return {
    alerts: total((result) => result.alerts),
    notifications: total((result) => result.notifications),
    messages: total((result) => result.messages),
    silenced: total((result) => result.silenced),
    inhibited: total((result) => result.inhibited),
  };
}
