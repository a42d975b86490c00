import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';

import { loadOnce } from '../lib/loadOnce.js';
import type { FleetSweepActivities } from '../lib/sweep/fleetSweepActivities.js';
import {
  FLEET_SWEEP_ACTIVITIES,
  FLEET_SWEEP_LANE_ORCHESTRATION,
  FLEET_SWEEP_ORCHESTRATION,
  fleetSweepLaneOrchestrator,
  fleetSweepOrchestrator,
} from '../lib/sweep/fleetSweepOrchestrator.js';
import { timerSchedules } from '../lib/timerSchedules.js';
import { durableClient } from './durableClient.js';

// Registration needs only the schedule and the small orchestrator; the sweep (SDKs, full configuration) loads on the first tick.
const fanOut = loadOnce(() => import('../lib/app/fleetSweepFanOut.js'));

/**
 * Sweeps the whole fleet on a schedule (FLEETGUARD_SWEEP_SCHEDULE, default every 15 minutes): in
 * this invocation, or fanned out over Durable activities when the fleet has at least
 * FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS subscriptions.
 */
app.timer('fleetSweep', {
  schedule: timerSchedules().sweep,
  runOnStartup: false,
  useMonitor: true,
  extraInputs: [df.input.durableClient()],
  handler: async (timer: Timer, context: InvocationContext): Promise<void> => {
    const { runFleetSweepTick } = await fanOut();
    await runFleetSweepTick(
      // Only the fan-out path needs the client.
      () => durableClient(context),
      context,
      { now: new Date(), isPastDue: timer.isPastDue },
    );
  },
});

/** The named activity, bound to the worker's clients by lib/app on its first call. */
function deferred<Name extends keyof FleetSweepActivities>(name: Name) {
  return async (input: Parameters<FleetSweepActivities[Name]>[0], context: InvocationContext): Promise<unknown> => {
    const activities = await (await fanOut()).fleetSweepActivities();
    const activity = activities[name] as (input: Parameters<FleetSweepActivities[Name]>[0], log: InvocationContext) => Promise<unknown>;
    return activity.call(activities, input, context);
  };
}

df.app.orchestration(FLEET_SWEEP_ORCHESTRATION, fleetSweepOrchestrator);
df.app.orchestration(FLEET_SWEEP_LANE_ORCHESTRATION, fleetSweepLaneOrchestrator);
df.app.activity(FLEET_SWEEP_ACTIVITIES.list, { handler: deferred('listActivity') });
df.app.activity(FLEET_SWEEP_ACTIVITIES.shard, { handler: deferred('shardActivity') });
df.app.activity(FLEET_SWEEP_ACTIVITIES.record, { handler: deferred('recordActivity') });
