/**
 * The activities of the sweep fan-out (lib/sweep/fleetSweepOrchestrator.ts): list the
 * subscriptions, sweep one shard, merge the outcomes and record the sweep. Created from their
 * dependencies; the composition root (lib/app/fleetSweepFanOut.ts) binds them to the worker's clients.
 *
 * A retried shard queues no alert twice: it reconciles with the same `sweepId` and `observedAt`,
 * so the findings its first attempt wrote come back as `updated` (nothing opened, nothing resolved
 * again: lib/findings/lifecycle.ts), and the alert pipeline sends a firing alert again only when
 * the receiver's notification log says it was not told (lib/alerts/planner.ts). A first attempt
 * that wrote findings but died before queueing their alerts has them queued by the retry.
 */
import pLimit from 'p-limit';

import { FleetGuardError, isRetryableReason } from '../errors.js';
import { LOG_ANALYTICS_LIMITS } from '../serviceLimits.js';
import type { FleetSweepSummary, ListedSubscriptions, RecordInput, ShardInput } from './fleetSweepOrchestrator.js';
import type { SweepDependencies } from './runSweep.js';
import type { SweepError, SweepResult } from './sweepResult.js';
import { mergeShardOutcomes, type ShardOutcome, sweepShard } from './sweepShard.js';
import { formatSweepSummary } from './sweepSummary.js';

export interface FleetSweepActivityDeps {
  /** The sweep's readers and stores (without the in-cluster stage: it has its own schedule). */
  sweep: SweepDependencies;
  /** Subscriptions to sweep; empty = every subscription the identity can read. */
  subscriptions: readonly string[];
}

/** Where the record activity tells how the sweep went (the activity's InvocationContext). */
export interface SweepLog {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface FleetSweepActivities {
  listActivity(input: { sweepId: string }): Promise<ListedSubscriptions>;
  shardActivity(input: ShardInput): Promise<ShardOutcome>;
  recordActivity(input: RecordInput, log?: SweepLog): Promise<FleetSweepSummary>;
}

/** Scopes whose failure leaves a subscription's findings unrefreshed: the listing and the store. */
const RETRIED_SCOPES = new Set<SweepError['scope']>(['subscription', 'store']);

/**
 * Errors of a shard worth a retry of the whole shard: a subscription not listed or not stored for a
 * reason a retry may fix (429, 5xx). Others (a throttled workspace, a refused subscription, a failed
 * alert queue) degrade the shard as they degrade a single-invocation sweep: re-reading the shard
 * would add load where it is already refused.
 */
export function retryableShardErrors(errors: readonly SweepError[]): SweepError[] {
  return errors.filter((error) => RETRIED_SCOPES.has(error.scope) && isRetryableReason(error.reason));
}

/** The merged sweep: the shards' outcomes and the listing's errors (a listing failure fails the sweep, as in runSweep). */
export function mergedSweep(input: RecordInput): SweepResult {
  const result = mergeShardOutcomes(input.context, input.outcomes, new Date(input.endedAt));
  if (input.listErrors.length === 0) return result;
  return { ...result, errors: [...input.listErrors, ...result.errors], status: 'failed' };
}

/**
 * Log Analytics allows 5 concurrent queries per user (LOG_ANALYTICS_LIMITS), and every instance of
 * the app is the same user, while each instance's client paces only itself: a shard activity gets
 * an equal share of those 5 (at least 1), so `lanes` activities running at once stay within them
 * wherever the host places them.
 */
export function withLogsShare(sweep: SweepDependencies, lanes: number): SweepDependencies {
  if (sweep.logs === undefined || lanes <= 1) return sweep;
  const limit = pLimit(Math.max(1, Math.floor(LOG_ANALYTICS_LIMITS.concurrency / lanes)));
  const reader = sweep.logs.reader;
  return { ...sweep, logs: { ...sweep.logs, reader: { query: (workspace, query, minutes) => limit(() => reader.query(workspace, query, minutes)) } } };
}

export function createFleetSweepActivities(deps: FleetSweepActivityDeps): FleetSweepActivities {
  return {
    async listActivity() {
      const configured = [...new Set(deps.subscriptions.map((id) => id.toLowerCase()))];
      // Throws on failure: the orchestration retries, then records the sweep failed (a discovery error).
      const subscriptions = configured.length > 0 ? configured : await deps.sweep.fleet.listSubscriptionIds();
      return { subscriptions, errors: [] };
    },

    async shardActivity(input) {
      const outcome = await sweepShard(withLogsShare(deps.sweep, input.lanes ?? 1), input.shard, input.context);
      const retryable = input.tolerant ? [] : retryableShardErrors(outcome.errors);
      if (retryable.length > 0) {
        const first = retryable[0];
        throw new FleetGuardError(
          'serverError',
          `shard ${input.shard.index}: ${retryable.length} subscription(s) not swept (${first?.scope} ${first?.target}: ${first?.message}); retrying the shard`,
        );
      }
      return outcome;
    },

    async recordActivity(input, log) {
      const result = mergedSweep(input);
      let recorded = false;
      if (deps.sweep.sweeps !== undefined) {
        await deps.sweep.sweeps.ensureTable();
        // Throws on a storage failure: the orchestration retries (the row is an upsert).
        await deps.sweep.sweeps.record(result, input.context.trigger, { clusterRowsWritten: true });
        recorded = true;
      }
      if (log !== undefined) logSweep(log, result);
      return {
        sweepId: result.sweepId,
        status: result.status,
        shards: input.outcomes.length,
        failedShards: [],
        subscriptions: result.stats.subscriptions.total,
        clusters: result.stats.clusters,
        findings: result.stats.findings.total,
        errorCount: result.errors.length,
        recorded,
      };
    },
  };
}

/** The summary line and every degraded part, as the single-invocation timer logs them. */
function logSweep(log: SweepLog, result: SweepResult): void {
  log.info(`sweep ${result.sweepId} (fan-out): ${formatSweepSummary(result)}`);
  for (const error of result.errors) log.warn(`sweep ${result.sweepId} degraded: ${error.scope} ${error.target} (${error.reason}): ${error.message}`);
  // A failed sweep is what monitoring alerts on (an error line: the activity itself succeeded in recording it).
  if (result.status === 'failed') log.error(`sweep ${result.sweepId} failed: no subscription could be swept`);
}
