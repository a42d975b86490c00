/**
 * The `fleetSweep` timer's choice between one invocation and the Durable fan-out
 * (lib/sweep/fleetSweepOrchestrator.ts), and the fan-out's activities bound to the worker's
 * clients (functions/fleetSweep.ts registers both).
 *
 * The criterion is the subscription count (FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS, 0 = never):
 * it is known without reading the fleet (the configured list, or the one subscriptions call the
 * sweep makes anyway), and it is what the shards are cut by, so the threshold reads directly as
 * "at least N / shard-size shards". A cluster count would track memory more closely, but no reader
 * we have answers it in one truthful call (the inventory pages the clusters themselves).
 */
import { randomUUID } from 'node:crypto';

import { createFleetSweepActivities, type FleetSweepActivities } from '../sweep/fleetSweepActivities.js';
import { FLEET_SWEEP_INSTANCE_ID, FLEET_SWEEP_ORCHESTRATION, type FleetSweepInput } from '../sweep/fleetSweepOrchestrator.js';
import type { SweepResult } from '../sweep/sweepResult.js';
import { sweepDependencies } from './clients.js';
import { expireProcessedEvents } from './deliveredEvent.js';
import { expirePagerDutyEvents } from './pagerDutyWebhookEndpoint.js';
import { getRuntime, getStoredRuntime } from './runtime.js';
import { type FunctionLogger, runScheduledSweep } from './scheduledSweep.js';

/** The slice of the Durable client the timer needs (functions/ adapts `df.getClient`). */
export interface FleetSweepStarter {
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  getStatus(instanceId: string): Promise<{ runtimeStatus?: unknown; createdTime?: unknown } | undefined>;
  terminate(instanceId: string, reason: string): Promise<void>;
}

/** Runtime states in which a fan-out is still going: a tick then starts nothing. */
const IN_PROGRESS = new Set(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);

/**
 * A fan-out running longer than this is taken as hung (a lost worker, a stuck task hub): the tick
 * terminates it, and the next tick starts a new one (terminate is a queued message, the instance is
 * not terminal at once, and an id may start again only once its instance is). Every activity is
 * bounded by the host's function timeout and its retries (minutes), so a healthy fan-out of a fleet
 * of 100,000 clusters ends well within it.
 */
export const FAN_OUT_STALE_AFTER_MS = 4 * 60 * 60_000;

export type FleetSweepTickOutcome =
  | { path: 'single'; subscriptions: number | undefined; result: SweepResult }
  | { path: 'fanOut'; subscriptions: number; started: string }
  | { path: 'fanOut'; subscriptions: number; skipped: 'running' | 'terminatedHung' };

/** How many subscriptions the sweep would cover, or undefined when they cannot be listed (the single path reports why). */
async function countSubscriptions(): Promise<number | undefined> {
  const { config, clients } = getRuntime();
  if (config.subscriptions.length > 0) return new Set(config.subscriptions).size;
  try {
    return (await clients.fleet.listSubscriptionIds()).length;
  } catch {
    return undefined;
  }
}

/**
 * One tick: the single-invocation sweep for a small fleet (or with the fan-out off), else the
 * fan-out, started unless the previous one is still going (Learn singleton pattern: getStatus,
 * then startNew with the same instance id when it is finished).
 */
export async function runFleetSweepTick(
  client: () => FleetSweepStarter,
  log: FunctionLogger,
  options: { now: Date; isPastDue: boolean },
): Promise<FleetSweepTickOutcome> {
  const { config, clients } = await getStoredRuntime();
  const { fromSubscriptions, shardSubscriptions, maxShardsInFlight } = config.sweep.fanOut;
  const subscriptions = fromSubscriptions === 0 ? undefined : await countSubscriptions();
  if (subscriptions === undefined || subscriptions < fromSubscriptions) {
    return { path: 'single', subscriptions, result: await runScheduledSweep(log, { isPastDue: options.isPastDue }) };
  }
  if (options.isPastDue) log.warn('fleetSweep is running late (the previous schedule was missed)');
  const starter = client();
  const existing = await starter.getStatus(FLEET_SWEEP_INSTANCE_ID);
  if (existing !== undefined && IN_PROGRESS.has(String(existing.runtimeStatus))) {
    const created = existing.createdTime;
    const createdAt = created instanceof Date || typeof created === 'string' ? new Date(created).getTime() : Number.NaN;
    const age = options.now.getTime() - createdAt;
    if (age > FAN_OUT_STALE_AFTER_MS) {
      log.error(`fleetSweep: the fan-out ${FLEET_SWEEP_INSTANCE_ID} has run ${Math.round(age / 60_000)} min; terminating it, the next tick starts a new one`);
      await starter.terminate(FLEET_SWEEP_INSTANCE_ID, `no end after ${Math.round(age / 60_000)} min`);
      return { path: 'fanOut', subscriptions, skipped: 'terminatedHung' };
    }
    log.warn(`fleetSweep: the previous fan-out (${FLEET_SWEEP_INSTANCE_ID}) is still ${String(existing.runtimeStatus)}; this tick starts none`);
    return { path: 'fanOut', subscriptions, skipped: 'running' };
  }
  const input: FleetSweepInput = { sweepId: randomUUID(), trigger: 'timer', concurrency: config.sweep.concurrency, shardSubscriptions, maxShardsInFlight };
  await starter.startNew(FLEET_SWEEP_ORCHESTRATION, { instanceId: FLEET_SWEEP_INSTANCE_ID, input });
  log.info(
    `fleetSweep: ${subscriptions} subscriptions (fan-out from ${fromSubscriptions}): started sweep ${input.sweepId} in shards of ${shardSubscriptions}, ${maxShardsInFlight} in flight`,
  );
  // The housekeeping the single path does after its sweep.
  await expireProcessedEvents(clients.notices, log);
  if (clients.alertStore !== undefined) await expirePagerDutyEvents(clients.alertStore.webhookEvents, log);
  return { path: 'fanOut', subscriptions, started: input.sweepId };
}

const built = new WeakMap<object, FleetSweepActivities>();

/** The worker's fan-out activities, built once per runtime over its clients and stores. */
export async function fleetSweepActivities(): Promise<FleetSweepActivities> {
  const { config, clients } = await getStoredRuntime();
  const runtime = getRuntime();
  let activities = built.get(runtime);
  if (activities === undefined) {
    // The in-cluster stage has its own schedule in the Functions app (functions/inClusterSweep.ts), as in the single path.
    const { inCluster: _ownSchedule, ...sweep } = sweepDependencies(clients);
    void _ownSchedule;
    activities = createFleetSweepActivities({ sweep, subscriptions: config.subscriptions });
    built.set(runtime, activities);
  }
  return activities;
}
