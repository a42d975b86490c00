/**
 * Rollout activities. Each reads plain JSON, uses the dependencies it is given (its ports, see
 * activityPorts.ts), and returns plain JSON. Permanent problems come back as tagged results; only
 * errors a retry can fix are thrown (a thrown error reaches the orchestrator as a plain Error).
 * `createRolloutActivities(deps)` binds them; lib/app builds the dependencies from the configuration.
 */
import pLimit from 'p-limit';

import { toFleetGuardError } from '../errors.js';
import { type Cluster, parseResourceId, resourceKey } from '../model/cluster.js';
import { findingFingerprint } from '../model/finding.js';
import { minorOf } from '../model/kubernetesVersions.js';
import type { RolloutActivityDependencies } from './activityPorts.js';
import { nextUpgradeStep } from './advance.js';
import { anyRiseSignals, type HealthSample, measureHealth, STRICT_SIGNALS } from './health.js';
import type { ProbeResult } from './healthGate.js';
import { nextMaintenanceWindow, type WindowVerdict } from './maintenanceWindow.js';
import { deprecatedApiExclusion, type PlannedCluster, type UpgradeType } from './plan.js';

export interface ClusterSnapshot {
  exists: boolean;
  provisioningState: string | undefined;
  powerState: string | undefined;
  version: string | undefined;
  nodeImages: Record<string, string | undefined>;
  workspaces: string[];
}

async function readCluster(planned: PlannedCluster, deps: RolloutActivityDependencies): Promise<Cluster | undefined> {
  return deps.clusters.getCluster(planned.subscriptionId, planned.resourceGroup, planned.name);
}

/**
 * A cluster read for a step: a retryable failure (429, 5xx, network) is thrown for Durable to retry;
 * a permanent one (403, 400) comes back as a reason, so the step reports it instead of retrying.
 */
async function readClusterOrReason(planned: PlannedCluster, deps: RolloutActivityDependencies): Promise<{ cluster: Cluster | undefined } | { reason: string }> {
  try {
    return { cluster: await readCluster(planned, deps) };
  } catch (error) {
    const failure = toFleetGuardError(error, `reading ${planned.name}`);
    if (failure.retryable) throw failure;
    return { reason: failure.message };
  }
}

/** `problem`: the cluster could not be read for a reason a retry cannot fix. */
export async function precheckActivity(input: { cluster: PlannedCluster }, deps: RolloutActivityDependencies): Promise<ClusterSnapshot & { problem?: string }> {
  const read = await readClusterOrReason(input.cluster, deps);
  if ('reason' in read)
    return { exists: false, provisioningState: undefined, powerState: undefined, version: undefined, nodeImages: {}, workspaces: [], problem: read.reason };
  const { cluster } = read;
  const configured = deps.workspaces;
  return {
    exists: cluster !== undefined,
    provisioningState: cluster?.provisioningState,
    powerState: cluster?.powerState,
    version: cluster?.kubernetesVersion,
    nodeImages: Object.fromEntries((cluster?.agentPools ?? []).map((pool) => [pool.name, pool.nodeImageVersion])),
    workspaces: [...new Set([...(cluster?.logWorkspaceIds ?? []), ...configured])],
  };
}

/**
 * `excluded`: AKS's pre-flight refused the upgrade for a reason only the cluster's owner can fix
 * (deprecated API use): permanent, not a failure of the rollout, reported with the way on.
 */
export type AdvanceResult =
  | { state: 'upgrading'; detail: string }
  | { state: 'done'; version: string | undefined }
  | { state: 'failed'; reason: string }
  | { state: 'excluded'; reason: string }
  /** The rollout was aborted: nothing was written; `inFlight` names an operation AKS is still running. */
  | { state: 'aborted'; inFlight: string | null };

/** Who asked to abort the rollout, or null; `unknown` when the marker cannot be read (a permanent failure). */
export type AbortCheck = { state: 'aborted'; by: string; at: string } | { state: 'none' } | { state: 'unknown'; reason: string };

/** Reads the rollout's abort marker (rolloutStore.requestAbort). Throws only what a retry can fix. */
export async function abortRequestedActivity(input: { rolloutId: string }, deps: RolloutActivityDependencies): Promise<AbortCheck> {
  const store = deps.rollouts;
  if (store === undefined) return { state: 'none' };
  try {
    const request = await store.abortRequest(input.rolloutId);
    return request === undefined ? { state: 'none' } : { state: 'aborted', ...request };
  } catch (error) {
    const failure = toFleetGuardError(error, `reading the abort marker of rollout ${input.rolloutId}`);
    if (failure.retryable) throw failure;
    return { state: 'unknown', reason: failure.message };
  }
}

/**
 * Observes the cluster and starts at most the next step. Idempotent. With `rolloutId`, the rollout's
 * abort marker is read after the cluster and before any write: once an abort is recorded, no step
 * starts, and what AKS is still running is reported; it is left to finish (aborting it is AKS's own
 * `abortLatestOperation`, an operator's decision, Learn: manage-abort-operations).
 */
export async function advanceActivity(
  input: { rolloutId?: string; cluster: PlannedCluster; target: string; upgradeType: UpgradeType; startingNodeImages: Record<string, string | undefined> },
  deps: RolloutActivityDependencies,
): Promise<AdvanceResult> {
  const read = await readClusterOrReason(input.cluster, deps);
  if ('reason' in read) return { state: 'failed', reason: read.reason };
  const { cluster } = read;
  if (cluster === undefined) return { state: 'failed', reason: `cluster ${input.cluster.name} no longer exists` };
  const step = nextUpgradeStep(cluster, input.target, input.upgradeType, input.startingNodeImages);
  if (input.rolloutId !== undefined) {
    const marker = await abortRequestedActivity({ rolloutId: input.rolloutId }, deps);
    // A marker that cannot be read stops the step as an abort would: never write blind.
    if (marker.state === 'unknown') return { state: 'failed', reason: marker.reason };
    if (marker.state === 'aborted')
      return {
        state: 'aborted',
        inFlight:
          step.kind === 'wait' ? `an operation AKS is still running (provisioningState ${cluster.provisioningState ?? '?'}${inFlightPools(cluster)})` : null,
      };
  }
  const adapter = deps.clusters;
  try {
    switch (step.kind) {
      case 'done':
        return { state: 'done', version: cluster.kubernetesVersion };
      case 'failed':
        return { state: 'failed', reason: step.reason };
      case 'wait':
        return { state: 'upgrading', detail: `provisioningState ${cluster.provisioningState ?? '?'}` };
      case 'startControlPlane': {
        const start = await adapter.startControlPlaneUpgrade(cluster, step.version);
        if (start.kind === 'blocked') return { state: 'excluded', reason: deprecatedApiExclusion(cluster, step.version, start.message) };
        return { state: 'upgrading', detail: `control plane → ${step.version}` };
      }
      case 'startPool':
        await adapter.startPoolUpgrade(cluster, step.pool, step.version);
        return { state: 'upgrading', detail: `pool ${step.pool} → ${step.version}` };
      case 'startNodeImage':
        await adapter.startNodeImageUpgrade(cluster, step.pool);
        return { state: 'upgrading', detail: `pool ${step.pool} node image` };
    }
  } catch (error) {
    const failure = toFleetGuardError(error, `upgrading ${cluster.name}`);
    // 409: another operation is running on the cluster (ours, started by a replayed attempt): wait.
    if (failure.status === 409) return { state: 'upgrading', detail: 'an operation is already running' };
    // 412 after the adapter's re-reads: the resource keeps changing under us; observe it again next poll.
    if (failure.status === 412) return { state: 'upgrading', detail: 'the cluster changed while the upgrade was being written' };
    if (failure.retryable) throw failure;
    return { state: 'failed', reason: failure.message };
  }
}

function inFlightPools(cluster: Cluster): string {
  const busy = cluster.agentPools
    .filter((pool) => (pool.provisioningState ?? 'Succeeded').toLowerCase() !== 'succeeded')
    .map((pool) => `${pool.name} ${pool.provisioningState ?? ''}`);
  return busy.length === 0 ? '' : `; pools: ${busy.join(', ')}`;
}

/** Detections, policy compliance and node-pool rolling failures of one cluster (`since`: upgrade start). */
export async function healthActivity(
  input: { clusterId: string; workspaces: string[]; windowMinutes: number; since?: string },
  deps: RolloutActivityDependencies,
): Promise<HealthSample> {
  const sample = await measureHealth(deps.logs, input.clusterId, input.workspaces, input.windowMinutes);
  if (sample.kind === 'inconclusive') return sample;
  const parsed = parseResourceId(input.clusterId);
  try {
    const cluster =
      parsed.subscriptionId !== undefined && parsed.resourceGroup !== undefined && parsed.name !== undefined
        ? await deps.clusters.getCluster(parsed.subscriptionId, parsed.resourceGroup, parsed.name)
        : undefined;
    if (cluster === undefined) return { kind: 'inconclusive', reason: 'the cluster cannot be read' };
    const failedState = (state: string | undefined) => (state ?? '').toLowerCase() === 'failed';
    sample.counts[STRICT_SIGNALS.provisioning] =
      failedState(cluster.provisioningState) || cluster.agentPools.some((pool) => failedState(pool.provisioningState)) ? 1 : 0;
    sample.counts[STRICT_SIGNALS.skew] = cluster.agentPools.filter((pool) => minorOf(pool.version) !== minorOf(cluster.kubernetesVersion)).length;
    if (parsed.subscriptionId !== undefined && parsed.resourceGroup !== undefined) {
      const states = await deps.policy.listNonCompliantClusterStatesInResourceGroup(parsed.subscriptionId, parsed.resourceGroup);
      sample.counts[STRICT_SIGNALS.policy] = states.filter(
        (state) =>
          resourceKey(state.resourceId) === resourceKey(input.clusterId) || resourceKey(state.resourceId).startsWith(`${resourceKey(input.clusterId)}/`),
      ).length;
    }
    if (deps.notices !== undefined) {
      const notices = await deps.notices.noticesForCluster(input.clusterId);
      const since = input.since ?? '';
      sample.counts[STRICT_SIGNALS.rolling] = notices.rolling.filter((notice) => notice.state === 'failed' && notice.eventTime >= since).length;
    }
  } catch (error) {
    // A throttled or failing call is retried by Durable; only what a retry cannot fix is inconclusive.
    const failure = toFleetGuardError(error, `measuring ${input.clusterId}`);
    if (failure.retryable) throw failure;
    return { kind: 'inconclusive', reason: `policy or events: ${failure.message}` };
  }
  return { ...sample, anyRise: anyRiseSignals() };
}

/**
 * Several clusters measured in one activity, `FLEETGUARD_SWEEP_CONCURRENCY` at a time: the wave gate
 * measures a whole wave, and one activity per cluster put two events and one replay per cluster
 * into the wave's history. A probe that fails for a reason a retry can fix comes back as `retry`
 * instead of throwing the batch: the other probes keep what they measured, and the orchestrator
 * measures only the failed ones again. (Thrown, one failed call among a wave's clusters re-measured
 * them all: at 20 % faulty calls a 2-cluster batch attempt failed 6 times in 10.)
 */
export async function healthBatchActivity(
  input: { probes: Array<Parameters<typeof healthActivity>[0]> },
  deps: RolloutActivityDependencies,
): Promise<ProbeResult[]> {
  const limit = pLimit(deps.concurrency);
  return Promise.all(
    input.probes.map((probe) =>
      limit(async (): Promise<ProbeResult> => {
        try {
          return await healthActivity(probe, deps);
        } catch (error) {
          const failure = toFleetGuardError(error, `measuring ${probe.clusterId}`);
          if (!failure.retryable) throw failure;
          return { kind: 'retry', reason: failure.message };
        }
      }),
    ),
  );
}

/** Holds back (or releases) the cluster's alerts during its upgrade; a permanent store failure comes back as a problem. */
export async function inhibitActivity(
  input: { clusterId: string; minutes: number; release: boolean; now: string },
  deps: RolloutActivityDependencies,
): Promise<boolean | { problem: string }> {
  const store = deps.alertHold;
  if (store === undefined) return false;
  return orProblem(
    async () => {
      await store.ensureTable();
      if (input.release) await store.releaseCluster(input.clusterId);
      else await store.inhibitCluster(input.clusterId, 'Kubernetes upgrade in progress', new Date(Date.parse(input.now) + input.minutes * 60_000));
      return true;
    },
    `${input.release ? 'releasing' : 'holding back'} the alerts of ${input.clusterId}`,
  );
}

/** When the cluster's auto-upgrade maintenance window lets the upgrade start. */
export async function maintenanceWindowActivity(
  input: { cluster: PlannedCluster; now: string },
  deps: RolloutActivityDependencies,
): Promise<WindowVerdict | { kind: 'none' }> {
  try {
    const cluster = await readCluster(input.cluster, deps);
    if (cluster === undefined) return { kind: 'none' };
    const window = await deps.clusters.autoUpgradeWindow(cluster);
    return window === undefined ? { kind: 'none' } : nextMaintenanceWindow(window, new Date(input.now));
  } catch (error) {
    const failure = toFleetGuardError(error, `reading the maintenance window of ${input.cluster.name}`);
    if (failure.retryable) throw failure;
    return { kind: 'unsupported', reason: failure.message };
  }
}

/** A permanent failure of a write to our own stores, as a result (principle 4); retryable ones are thrown. */
async function orProblem(work: () => Promise<boolean>, context: string): Promise<boolean | { problem: string }> {
  try {
    return await work();
  } catch (error) {
    const failure = toFleetGuardError(error, context);
    if (failure.retryable) throw failure;
    return { problem: failure.message };
  }
}

/** Keeps the rollout's per-cluster statuses in Azure Tables (the rollout history). */
export async function recordStatusActivity(
  input: {
    rolloutId: string;
    status: string;
    waves: Array<{ name: string; clusters: Array<{ resourceId: string; status: string; fromVersion: string; toVersion: string; reason: string | null }> }>;
    at: string;
  },
  deps: RolloutActivityDependencies,
): Promise<boolean | { problem: string }> {
  const store = deps.rollouts;
  if (store === undefined) return false;
  return orProblem(async () => {
    await store.ensureTable();
    const clusters = input.waves.flatMap((wave) =>
      wave.clusters.map((cluster) => ({
        resourceId: cluster.resourceId,
        wave: wave.name,
        status: cluster.status,
        fromVersion: cluster.fromVersion,
        toVersion: cluster.toVersion,
        reason: cluster.reason ?? '',
      })),
    );
    await store.recordClusterStatuses(input.rolloutId, input.status, clusters, input.at);
    return true;
  }, `recording the status of rollout ${input.rolloutId}`);
}

/** One alert per halt: a synthetic finding keyed by the rollout, through the alert pipeline. */
export async function haltAlertActivity(
  input: { rolloutId: string; reason: string; where: string; subscriptionId: string; resourceId: string; now: string },
  deps: RolloutActivityDependencies,
): Promise<boolean | { problem: string }> {
  const pipeline = deps.alerts;
  if (pipeline === undefined) return false;
  return orProblem(() => enqueueHaltAlert(pipeline, input), `alerting the halt of rollout ${input.rolloutId}`);
}

async function enqueueHaltAlert(
  pipeline: NonNullable<RolloutActivityDependencies['alerts']>,
  input: Parameters<typeof haltAlertActivity>[0],
): Promise<boolean> {
  const fingerprint = findingFingerprint('ROLLOUT-HALTED', input.resourceId, input.rolloutId);
  await pipeline.enqueue(
    [
      {
        kind: 'opened',
        previous: undefined,
        next: {
          ruleId: 'ROLLOUT-HALTED',
          resourceId: input.resourceId,
          subscriptionId: input.subscriptionId,
          clusterName: input.where,
          severity: 'high',
          title: `Rollout ${input.rolloutId} halted`,
          detail: `Rollout ${input.rolloutId} halted at ${input.where}: ${input.reason}. Later waves will not start. Next: \`fleetguard rollouts resume ${input.rolloutId}\` re-runs the failed gate and continues once it passes; \`fleetguard rollouts abort ${input.rolloutId}\` ends it, and then \`fleetguard rollouts retry ${input.rolloutId}\` re-runs its failed and skipped clusters; \`fleetguard rollouts status ${input.rolloutId}\` shows whether a node-pool rollback applies.`,
          practice: 'Upgrade hygiene',
          docUrl: 'https://learn.microsoft.com/azure/aks/upgrade-aks-cluster',
          subject: input.rolloutId,
          fingerprint,
          clusterTags: {},
          status: 'open',
          firstSeen: input.now,
          lastSeen: input.now,
          resolvedAt: undefined,
          resolution: undefined,
          timesOpened: 1,
          observedAt: input.now,
          sweepId: input.rolloutId,
        },
      },
    ],
    new Date(input.now),
  );
  return true;
}

/** The activities bound to their dependencies: what functions/rollouts.ts registers. */
export function createRolloutActivities(deps: RolloutActivityDependencies) {
  return {
    precheckActivity: (input: Parameters<typeof precheckActivity>[0]) => precheckActivity(input, deps),
    advanceActivity: (input: Parameters<typeof advanceActivity>[0]) => advanceActivity(input, deps),
    healthActivity: (input: Parameters<typeof healthActivity>[0]) => healthActivity(input, deps),
    healthBatchActivity: (input: Parameters<typeof healthBatchActivity>[0]) => healthBatchActivity(input, deps),
    inhibitActivity: (input: Parameters<typeof inhibitActivity>[0]) => inhibitActivity(input, deps),
    haltAlertActivity: (input: Parameters<typeof haltAlertActivity>[0]) => haltAlertActivity(input, deps),
    recordStatusActivity: (input: Parameters<typeof recordStatusActivity>[0]) => recordStatusActivity(input, deps),
    maintenanceWindowActivity: (input: Parameters<typeof maintenanceWindowActivity>[0]) => maintenanceWindowActivity(input, deps),
    abortRequestedActivity: (input: Parameters<typeof abortRequestedActivity>[0]) => abortRequestedActivity(input, deps),
  };
}

export type RolloutActivities = ReturnType<typeof createRolloutActivities>;
