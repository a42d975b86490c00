/**
 * The in-cluster fan-out as the Functions app runs it: the `inClusterSweep` timer starts the
 * orchestration (a singleton: never two runs at once), and the activities are bound to the
 * worker's clients on their first call (functions/inClusterSweep.ts registers both).
 */
import { FleetGuardError } from '../errors.js';
import { createInClusterActivities, type InClusterActivities } from '../sweep/inClusterActivities.js';
import { IN_CLUSTER_INSTANCE_ID, IN_CLUSTER_ORCHESTRATION, type InClusterRunInput } from '../sweep/inClusterOrchestrator.js';
import { getRuntime, getStoredRuntime } from './runtime.js';
import type { FunctionLogger } from './scheduledSweep.js';

/** The slice of the Durable client the timer needs (functions/ adapts `df.getClient`). */
export interface InClusterStarter {
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  getStatus(instanceId: string): Promise<{ runtimeStatus?: unknown } | undefined>;
}

/** Runtime states in which a run is still going: a tick then starts nothing. */
const IN_PROGRESS = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);

export type InClusterTickOutcome = { started: string } | { skipped: 'off' | 'running' };

/**
 * One tick: starts a run unless the stage is off or the previous run is still going (the Learn
 * singleton pattern: getStatus, then startNew with the same instance id when it is finished).
 */
export async function startScheduledInClusterRun(
  client: InClusterStarter,
  log: FunctionLogger,
  options: { now: Date; isPastDue: boolean },
): Promise<InClusterTickOutcome> {
  const { config } = getRuntime();
  if (!config.inCluster.enabled) {
    log.info('inClusterSweep: FLEETGUARD_IN_CLUSTER is off; nothing to do');
    return { skipped: 'off' };
  }
  if (options.isPastDue) log.warn('inClusterSweep is running late (the previous schedule was missed)');
  const existing = await client.getStatus(IN_CLUSTER_INSTANCE_ID);
  if (existing !== undefined && IN_PROGRESS.has(String(existing.runtimeStatus))) {
    log.warn(`inClusterSweep: the previous run (${IN_CLUSTER_INSTANCE_ID}) is still ${String(existing.runtimeStatus)}; this tick starts none`);
    return { skipped: 'running' };
  }
  const runId = `inCluster-${options.now.toISOString()}`;
  const input: InClusterRunInput = { runId, batchSize: config.inCluster.batchSize, maxBatchesInFlight: config.inCluster.maxBatchesInFlight };
  await client.startNew(IN_CLUSTER_ORCHESTRATION, { instanceId: IN_CLUSTER_INSTANCE_ID, input });
  log.info(`inClusterSweep: started ${runId} (batches of ${input.batchSize}, ${input.maxBatchesInFlight} in flight)`);
  return { started: runId };
}

const built = new WeakMap<object, InClusterActivities>();

/** The worker's in-cluster activities, built once per runtime over its clients and stores. */
export async function inClusterActivities(): Promise<InClusterActivities> {
  const { config, clients } = await getStoredRuntime();
  const runtime = getRuntime();
  let activities = built.get(runtime);
  if (activities === undefined) {
    const reader = clients.inCluster;
    if (reader === undefined) throw new FleetGuardError('config', 'the in-cluster activities run only with FLEETGUARD_IN_CLUSTER=on');
    activities = createInClusterActivities({
      fleet: clients.fleet,
      check: { reader, deadlineSeconds: config.inCluster.clusterTimeoutSeconds, ...(clients.diagnostics ? { diagnostics: clients.diagnostics } : {}) },
      subscriptions: config.subscriptions,
      listConcurrency: config.sweep.concurrency,
      clusterConcurrency: config.inCluster.clusterConcurrency,
      findings: clients.findings,
      sweeps: clients.sweeps,
      ...(clients.alerts === undefined ? {} : { alerts: clients.alerts }),
    });
    built.set(runtime, activities);
  }
  return activities;
}
