/**
 * The in-cluster stage on its own schedule, fanned out over Durable Functions (issue 16, "Fleet
 * scale on the distributed engine"): one activity lists the clusters, the orchestration splits them
 * into batches and deals them over `maxBatchesInFlight` lanes (sub-orchestrations running their
 * batches one after another), so at most that many batch activities run at once (the Durable
 * extension spreads them over the app's instances); a last activity records the run.
 *
 * Deterministic: time comes from `context.df.currentUtcDateTime`, everything else from
 * activities; the batching and merging below are pure functions. A batch activity returns only
 * per-cluster coverage and counts (never Kubernetes objects), so the history stays small. A batch
 * that still fails after its retries costs its own clusters only: they are recorded `unreachable`
 * with the failure as the reason (their findings untouched: coverage, never silence), and the other
 * batches complete.
 */
import type { OrchestrationContext } from 'durable-functions';
import * as df from 'durable-functions';

import type { ReconcileCounts } from '../findings/findingsStore.js';
import type { Cluster } from '../model/cluster.js';
import { IN_CLUSTER_STATES, type InClusterState } from '../model/inCluster.js';
import type { SweepError } from './sweepResult.js';

export const IN_CLUSTER_ORCHESTRATION = 'inClusterOrchestrator';
export const IN_CLUSTER_LANE_ORCHESTRATION = 'inClusterLaneOrchestrator';
export const IN_CLUSTER_ACTIVITIES = { list: 'inClusterList', batch: 'inClusterBatch', record: 'inClusterRecord' } as const;
/**
 * One instance id for every run: the timer starts a run only when no instance with this id is
 * pending or running (Learn, "Singleton orchestrators in Durable Functions",
 * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-singletons), so two
 * ticks, or two app instances on the same tick, never run the stage twice at once.
 */
export const IN_CLUSTER_INSTANCE_ID = 'fleetguard-in-cluster';

/**
 * Each activity's retry budget: 3 attempts, 30 s then 60 s apart. An activity throws only what a
 * retry may fix (the findings table, the listing); a cluster that cannot be read is a coverage state,
 * not a failure, so it is never retried here.
 */
export const IN_CLUSTER_RETRY: df.RetryOptions = Object.assign(new df.RetryOptions(30_000, 3), { backoffCoefficient: 2 });

/** What the timer hands the orchestration (settings are read there, never in the orchestrator). */
export interface InClusterRunInput {
  /** The run's id in the sweep records: `inCluster-{tick time}`. */
  runId: string;
  batchSize: number;
  maxBatchesInFlight: number;
}

export interface ListedClusters {
  clusters: Cluster[];
  subscriptions: number;
  subscriptionsFailed: number;
  errors: SweepError[];
}

export interface BatchInput {
  runId: string;
  /** When the run started: the observation time of its findings (an older run never overwrites a newer row). */
  observedAt: string;
  batch: number;
  clusters: Cluster[];
}

/** One cluster's in-cluster coverage, as small as the record needs. */
export interface ClusterCoverageRow {
  resourceId: string;
  name: string;
  subscriptionId: string;
  location: string;
  state: InClusterState;
  reason?: string;
  /** K8S findings observed on it (0 unless checked). */
  findings: number;
}

export type StoreCounts = Omit<ReconcileCounts, 'conflicts'>;

/** What a batch activity returns: coverage and counts, never objects. */
export interface BatchResult {
  clusters: ClusterCoverageRow[];
  findings: number;
  store: StoreCounts;
  alertsQueued: number;
  /** The first few problems of the batch, and how many there were. */
  errors: SweepError[];
  errorCount: number;
}

export interface FailedBatch {
  batch: number;
  clusters: number;
  reason: string;
}

/** The merged run: what the record activity writes and the orchestration returns (without the rows). */
export interface InClusterRunRecord {
  runId: string;
  startedAt: string;
  endedAt: string;
  status: 'succeeded' | 'partial' | 'failed';
  subscriptions: number;
  subscriptionsFailed: number;
  batches: number;
  failedBatches: FailedBatch[];
  counts: Record<InClusterState, number>;
  findings: number;
  store: StoreCounts;
  alertsQueued: number;
  /** The first problems (at most 50), and how many there were. */
  errors: SweepError[];
  errorCount: number;
  clusters: ClusterCoverageRow[];
}

export type InClusterRunSummary = Omit<InClusterRunRecord, 'clusters' | 'errors'>;

/** A run's batches: clusters in id order (a subscription's clusters together), `size` at a time. */
export function batchesOf(clusters: readonly Cluster[], size: number): Cluster[][] {
  const sorted = [...clusters].sort((left, right) => left.id.toLowerCase().localeCompare(right.id.toLowerCase()));
  const batches: Cluster[][] = [];
  for (let start = 0; start < sorted.length; start += Math.max(1, size)) batches.push(sorted.slice(start, start + Math.max(1, size)));
  return batches;
}

/** A failed batch's clusters: unreachable, saying why. */
export function failedBatchResult(clusters: readonly Cluster[], reason: string): BatchResult {
  return {
    clusters: clusters.map((cluster) => ({
      resourceId: cluster.id,
      name: cluster.name,
      subscriptionId: cluster.subscriptionId,
      location: cluster.location,
      state: 'unreachable',
      reason: `not checked: ${reason}`,
      findings: 0,
    })),
    findings: 0,
    store: { opened: 0, reopened: 0, updated: 0, resolved: 0 },
    alertsQueued: 0,
    errors: [],
    errorCount: 0,
  };
}

/** Clusters per state (here, not from inClusterStage.ts: this module loads at registration, without the rules and zod). */
function countStates(rows: readonly ClusterCoverageRow[]): Record<InClusterState, number> {
  const counts = Object.fromEntries(IN_CLUSTER_STATES.map((state) => [state, 0])) as Record<InClusterState, number>;
  for (const { state } of rows) counts[state] += 1;
  return counts;
}

/** Errors kept in the record; the rest are counted (a table property holds 64 KiB). */
const MAX_RECORDED_ERRORS = 50;

/** Merges the batches (in batch order, whatever order they finished in) into the run's record. */
export function mergeBatches(
  run: { runId: string; startedAt: string; endedAt: string },
  listed: ListedClusters,
  results: readonly BatchResult[],
  failedBatches: readonly FailedBatch[],
): InClusterRunRecord {
  const clusters = results.flatMap((result) => result.clusters);
  const store: StoreCounts = { opened: 0, reopened: 0, updated: 0, resolved: 0 };
  let findings = 0;
  let alertsQueued = 0;
  const errors: SweepError[] = [...listed.errors];
  let errorCount = listed.errors.length;
  for (const result of results) {
    findings += result.findings;
    alertsQueued += result.alertsQueued;
    for (const key of Object.keys(store) as Array<keyof StoreCounts>) store[key] += result.store[key];
    errors.push(...result.errors);
    errorCount += result.errorCount;
  }
  for (const failed of failedBatches) {
    errors.push({
      scope: 'cluster',
      target: `batch ${failed.batch}`,
      reason: 'serverError',
      message: `${failed.clusters} clusters not checked: ${failed.reason}`,
    });
    errorCount += 1;
  }
  const listingFailed = listed.subscriptions > 0 && listed.subscriptionsFailed === listed.subscriptions;
  return {
    ...run,
    status: listingFailed ? 'failed' : errorCount > 0 ? 'partial' : 'succeeded',
    subscriptions: listed.subscriptions,
    subscriptionsFailed: listed.subscriptionsFailed,
    batches: results.length,
    failedBatches: [...failedBatches],
    counts: countStates(clusters),
    findings,
    store,
    alertsQueued,
    errors: errors.slice(0, MAX_RECORDED_ERRORS),
    errorCount,
    clusters,
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() ?? message;
}

function call(context: OrchestrationContext, name: string, input: unknown): df.Task {
  return context.df.callActivityWithRetry(name, IN_CLUSTER_RETRY, input);
}

/** A lane's share of the run: every `lanes`-th batch, in order. */
export interface LaneInput {
  runId: string;
  observedAt: string;
  batches: Array<{ batch: number; clusters: Cluster[] }>;
}

export interface LaneResult {
  results: Array<{ batch: number; result: BatchResult; failure?: string }>;
}

/** Batches dealt round-robin over at most `lanes` lanes (batches are the same size, so the lanes are even). */
export function lanesOf(batches: readonly Cluster[][], lanes: number): Array<Array<{ batch: number; clusters: Cluster[] }>> {
  const count = Math.max(1, Math.min(lanes, batches.length));
  const dealt: Array<Array<{ batch: number; clusters: Cluster[] }>> = Array.from({ length: count }, () => []);
  batches.forEach((clusters, batch) => dealt[batch % count]?.push({ batch, clusters }));
  return batches.length === 0 ? [] : dealt;
}

/**
 * A lane: its batches one after another, so the run has at most one batch activity per lane in
 * flight. Each batch is its own yield inside try/catch: a batch that fails after its retries
 * becomes its clusters' `unreachable` coverage and the lane goes on. (Lanes rather than a sliding
 * window over `Task.any`: a task yielded again inside a new `Task.any` is emitted again as an
 * action by durable-functions' replay schema V1, which the extension schedules as a new activity.)
 */
export function* inClusterLaneOrchestrator(context: OrchestrationContext): Generator<df.Task, LaneResult, unknown> {
  const input = context.df.getInput<LaneInput>();
  const results: LaneResult['results'] = [];
  for (const { batch, clusters } of input.batches) {
    const batchInput: BatchInput = { runId: input.runId, observedAt: input.observedAt, batch, clusters };
    try {
      results.push({ batch, result: (yield call(context, IN_CLUSTER_ACTIVITIES.batch, batchInput)) as BatchResult });
    } catch (error) {
      const failure = `batch activity failed after ${IN_CLUSTER_RETRY.maxNumberOfAttempts} attempts: ${firstLine(error)}`;
      results.push({ batch, result: failedBatchResult(clusters, failure), failure });
    }
  }
  return { results };
}

/** The orchestrator: list → batches over `maxBatchesInFlight` lanes (sub-orchestrations) → record. */
export function* inClusterOrchestrator(context: OrchestrationContext): Generator<df.Task, InClusterRunSummary, unknown> {
  const input = context.df.getInput<InClusterRunInput>();
  const startedAt = context.df.currentUtcDateTime.toISOString();
  let listed: ListedClusters;
  try {
    listed = (yield call(context, IN_CLUSTER_ACTIVITIES.list, { runId: input.runId })) as ListedClusters;
  } catch (error) {
    listed = {
      clusters: [],
      subscriptions: 1,
      subscriptionsFailed: 1,
      errors: [{ scope: 'discovery', target: 'clusters', reason: 'serverError', message: `listing the clusters: ${firstLine(error)}` }],
    };
  }
  const batches = batchesOf(listed.clusters, input.batchSize);
  const lanes = lanesOf(batches, input.maxBatchesInFlight);
  const laneResults =
    lanes.length === 0
      ? []
      : ((yield context.df.Task.all(
          lanes.map((laneBatches, lane) =>
            context.df.callSubOrchestrator(
              IN_CLUSTER_LANE_ORCHESTRATION,
              { runId: input.runId, observedAt: startedAt, batches: laneBatches } satisfies LaneInput,
              // Unique per run: the parent's id is the same for every run.
              `${context.df.instanceId}:${input.runId}:lane-${lane}`,
            ),
          ),
        )) as LaneResult[]);
  const byBatch = laneResults.flatMap((lane) => lane.results).sort((left, right) => left.batch - right.batch);
  const failedBatches: FailedBatch[] = byBatch
    .filter((entry) => entry.failure !== undefined)
    .map((entry) => ({ batch: entry.batch, clusters: entry.result.clusters.length, reason: entry.failure ?? '' }));
  const record = mergeBatches(
    { runId: input.runId, startedAt, endedAt: context.df.currentUtcDateTime.toISOString() },
    listed,
    byBatch.map((entry) => entry.result),
    failedBatches,
  );
  let recordError: string | undefined;
  try {
    yield call(context, IN_CLUSTER_ACTIVITIES.record, record);
  } catch (error) {
    recordError = `recording the run: ${firstLine(error)}`;
  }
  const { clusters: _clusters, errors: _errors, ...summary } = record;
  void _clusters;
  void _errors;
  return recordError === undefined ? summary : { ...summary, status: 'partial', errorCount: summary.errorCount + 1 };
}
