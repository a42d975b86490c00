/**
 * The fleet sweep fanned out over Durable Functions (issue 19), for fleets larger than one
 * invocation should carry: one activity lists the subscriptions, the orchestration plans shards of
 * them and deals the shards over `maxShardsInFlight` lanes (sub-orchestrations running their shards
 * one after another, as lib/sweep/inClusterOrchestrator.ts does), so at most that many shard
 * activities run at once; each shard runs the whole pipeline for its subscriptions
 * (lib/sweep/sweepShard.ts: inventory → rules → findings → alerts, its cluster rows) and returns a
 * small `ShardOutcome`; a last activity merges the outcomes and writes the sweep's summary row.
 *
 * Deterministic: time comes from `context.df.currentUtcDateTime`, everything else from activities.
 * The history holds subscription ids and counts, never clusters nor findings. This module loads at
 * registration (the replay calls it synchronously): types only from the sweep modules.
 *
 * Failures: a shard activity throws when a subscription of it could not be listed or stored for a
 * reason a retry may fix; Durable retries it ({@link FLEET_SWEEP_RETRY}). After the last retry one
 * more attempt runs `tolerant` (it returns the degraded outcome, naming the failing subscriptions in
 * its errors, as the single-invocation sweep does). A shard whose tolerant attempt still throws
 * becomes an error of the sweep naming its subscriptions; the other shards carry on, and the record
 * says `partial`.
 */
import type { OrchestrationContext } from 'durable-functions';
import * as df from 'durable-functions';

import type { Severity } from '../model/finding.js';
import { planShards, type SweepShard } from './shardPlan.js';
import type { SweepError, SweepStatus } from './sweepResult.js';
import type { ShardContext, ShardOutcome } from './sweepShard.js';

export const FLEET_SWEEP_ORCHESTRATION = 'fleetSweepOrchestrator';
export const FLEET_SWEEP_LANE_ORCHESTRATION = 'fleetSweepLaneOrchestrator';
export const FLEET_SWEEP_ACTIVITIES = { list: 'fleetSweepList', shard: 'fleetSweepShard', record: 'fleetSweepRecord' } as const;

/**
 * One instance id for every fan-out: the timer starts one only when no instance with this id is
 * pending or running (Learn, "Singleton orchestrators in Durable Functions",
 * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-singletons).
 */
export const FLEET_SWEEP_INSTANCE_ID = 'fleetguard-fleet-sweep';

/**
 * Each activity's retry budget: 3 attempts, 30 s then 60 s apart (long enough to outlast a short
 * outage the HTTP pipeline's own retries, seconds apart, do not).
 */
export const FLEET_SWEEP_RETRY: df.RetryOptions = Object.assign(new df.RetryOptions(30_000, 3), { backoffCoefficient: 2 });

/** What the timer hands the orchestration (settings are read there, never in the orchestrator). */
export interface FleetSweepInput {
  sweepId: string;
  trigger: string;
  /** Concurrent calls inside one shard (FLEETGUARD_SWEEP_CONCURRENCY). */
  concurrency: number;
  shardSubscriptions: number;
  maxShardsInFlight: number;
}

/** The list activity's answer: the subscriptions to sweep, or why they could not be listed. */
export interface ListedSubscriptions {
  subscriptions: string[];
  errors: SweepError[];
}

/** A shard activity's input. `tolerant`: return the degraded outcome instead of throwing for a retry. */
export interface ShardInput {
  context: ShardContext;
  shard: SweepShard;
  tolerant: boolean;
  /** Shard activities that may run at once across the app (the lanes): they share the identity's per-user limits. */
  lanes?: number;
}

/** The record activity's input: the outcomes in shard order, and the listing's errors. */
export interface RecordInput {
  context: ShardContext;
  endedAt: string;
  outcomes: ShardOutcome[];
  listErrors: SweepError[];
}

/** What the record activity returns and the orchestration ends with (no findings, no clusters). */
export interface FleetSweepSummary {
  sweepId: string;
  status: SweepStatus;
  shards: number;
  failedShards: number[];
  subscriptions: number;
  clusters: number;
  findings: number;
  errorCount: number;
  recorded: boolean;
  /** Why the summary row could not be written (the shards' rows are written). */
  recordError?: string;
}

/** Shards dealt round-robin over at most `lanes` lanes. */
export function lanesOf(shards: readonly SweepShard[], lanes: number): SweepShard[][] {
  const count = Math.max(1, Math.min(lanes, shards.length));
  const dealt: SweepShard[][] = Array.from({ length: count }, () => []);
  shards.forEach((shard, position) => dealt[position % count]?.push(shard));
  return shards.length === 0 ? [] : dealt;
}

const NO_SEVERITIES: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };

/** The outcome of a shard that failed after its retries: its subscriptions failed, named in the error. */
export function failedShardOutcome(shard: SweepShard, failure: string): ShardOutcome {
  return {
    index: shard.index,
    subscriptions: shard.subscriptions,
    stats: {
      subscriptions: { total: shard.subscriptions.length, succeeded: 0, failed: shard.subscriptions.length },
      clusters: 0,
      locations: { total: 0, failed: 0 },
      findings: { total: 0, bySeverity: { ...NO_SEVERITIES }, byRule: {} },
      policy: { compliant: 0, nonCompliant: 0, percent: undefined },
      logs: undefined,
      store: undefined,
    },
    errors: [
      {
        scope: 'subscription',
        target: shard.subscriptions.join(', '),
        reason: 'serverError',
        message: `shard ${shard.index} (subscriptions ${shard.subscriptions.join(', ')}) not swept: ${failure}`,
      },
    ],
    durationMs: 0,
    clusterRowsWritten: false,
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() ?? message;
}

/** A lane's share of the sweep: its shards, in order. */
export interface LaneInput {
  context: ShardContext;
  shards: SweepShard[];
  /** How many lanes run side by side (ShardInput.lanes). */
  lanes?: number;
}

export interface LaneResult {
  outcomes: ShardOutcome[];
  failed: number[];
}

/**
 * A lane: its shards one after another, so the sweep has at most one shard activity per lane in
 * flight. Each shard: attempts with Durable's retry, then one tolerant attempt, then an error naming
 * its subscriptions. (Lanes rather than a sliding window over `Task.any`: see inClusterOrchestrator.ts.)
 */
export function* fleetSweepLaneOrchestrator(context: OrchestrationContext): Generator<df.Task, LaneResult, unknown> {
  const input = context.df.getInput<LaneInput>();
  const outcomes: ShardOutcome[] = [];
  const failed: number[] = [];
  for (const shard of input.shards) {
    try {
      const strict: ShardInput = { context: input.context, shard, tolerant: false, ...(input.lanes === undefined ? {} : { lanes: input.lanes }) };
      outcomes.push((yield context.df.callActivityWithRetry(FLEET_SWEEP_ACTIVITIES.shard, FLEET_SWEEP_RETRY, strict)) as ShardOutcome);
      continue;
    } catch {
      // Retries used up: one more attempt keeps what it can.
    }
    try {
      const tolerant: ShardInput = { context: input.context, shard, tolerant: true, ...(input.lanes === undefined ? {} : { lanes: input.lanes }) };
      outcomes.push((yield context.df.callActivity(FLEET_SWEEP_ACTIVITIES.shard, tolerant)) as ShardOutcome);
    } catch (error) {
      failed.push(shard.index);
      outcomes.push(failedShardOutcome(shard, `failed after ${FLEET_SWEEP_RETRY.maxNumberOfAttempts + 1} attempts: ${firstLine(error)}`));
    }
  }
  return { outcomes, failed };
}

/** The orchestrator: list → shards over `maxShardsInFlight` lanes → merge and record. */
export function* fleetSweepOrchestrator(context: OrchestrationContext): Generator<df.Task, FleetSweepSummary, unknown> {
  const input = context.df.getInput<FleetSweepInput>();
  const shardContext: ShardContext = {
    sweepId: input.sweepId,
    startedAt: context.df.currentUtcDateTime.toISOString(),
    trigger: input.trigger,
    concurrency: input.concurrency,
  };
  let listed: ListedSubscriptions;
  try {
    listed = (yield context.df.callActivityWithRetry(FLEET_SWEEP_ACTIVITIES.list, FLEET_SWEEP_RETRY, { sweepId: input.sweepId })) as ListedSubscriptions;
  } catch (error) {
    listed = {
      subscriptions: [],
      errors: [{ scope: 'discovery', target: 'subscriptions', reason: 'serverError', message: `listing the subscriptions: ${firstLine(error)}` }],
    };
  }
  const shards = planShards(listed.subscriptions, input.shardSubscriptions);
  const lanes = lanesOf(shards, input.maxShardsInFlight);
  const laneResults =
    lanes.length === 0
      ? []
      : ((yield context.df.Task.all(
          lanes.map((laneShards, lane) =>
            context.df.callSubOrchestrator(
              FLEET_SWEEP_LANE_ORCHESTRATION,
              { context: shardContext, shards: laneShards, lanes: lanes.length } satisfies LaneInput,
              // Unique per sweep: the parent's id is the same for every sweep.
              `${context.df.instanceId}:${input.sweepId}:lane-${lane}`,
            ),
          ),
        )) as LaneResult[]);
  const outcomes = laneResults.flatMap((lane) => lane.outcomes).sort((left, right) => left.index - right.index);
  const failedShards = laneResults.flatMap((lane) => lane.failed).sort((left, right) => left - right);
  const record: RecordInput = { context: shardContext, endedAt: context.df.currentUtcDateTime.toISOString(), outcomes, listErrors: listed.errors };
  try {
    const summary = (yield context.df.callActivityWithRetry(FLEET_SWEEP_ACTIVITIES.record, FLEET_SWEEP_RETRY, record)) as FleetSweepSummary;
    return { ...summary, shards: shards.length, failedShards };
  } catch (error) {
    // The shards' findings and cluster rows are written; only the summary row is missing.
    const errorCount = outcomes.reduce((total, outcome) => total + outcome.errors.length, listed.errors.length) + 1;
    return {
      sweepId: input.sweepId,
      status: 'partial',
      shards: shards.length,
      failedShards,
      subscriptions: listed.subscriptions.length,
      clusters: outcomes.reduce((total, outcome) => total + outcome.stats.clusters, 0),
      findings: outcomes.reduce((total, outcome) => total + outcome.stats.findings.total, 0),
      errorCount,
      recorded: false,
      recordError: `recording the sweep: ${firstLine(error)}`,
    };
  }
}
