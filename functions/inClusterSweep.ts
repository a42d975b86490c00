import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';

import { loadOnce } from '../lib/loadOnce.js';
import type { InClusterActivities } from '../lib/sweep/inClusterActivities.js';
import {
  IN_CLUSTER_ACTIVITIES,
  IN_CLUSTER_LANE_ORCHESTRATION,
  IN_CLUSTER_ORCHESTRATION,
  inClusterLaneOrchestrator,
  inClusterOrchestrator,
} from '../lib/sweep/inClusterOrchestrator.js';
import { timerSchedules } from '../lib/timerSchedules.js';
import { durableClient } from './durableClient.js';

// The orchestrator is a small pure generator the replay calls synchronously: it loads with the
// entry. The timer's glue and the activities (SDKs, stores, configuration) load on first use.
const run = loadOnce(() => import('../lib/app/inClusterRun.js'));

/** The in-cluster stage on its own schedule (FLEETGUARD_IN_CLUSTER_SCHEDULE, default hourly): starts the fan-out. */
app.timer('inClusterSweep', {
  schedule: timerSchedules().inCluster,
  runOnStartup: false,
  useMonitor: true,
  extraInputs: [df.input.durableClient()],
  handler: async (timer: Timer, context: InvocationContext): Promise<void> => {
    const { startScheduledInClusterRun } = await run();
    await startScheduledInClusterRun(durableClient(context), context, { now: new Date(), isPastDue: timer.isPastDue });
  },
});

/** The named activity, bound to the worker's clients by lib/app on its first call. */
function deferred<Name extends keyof InClusterActivities>(name: Name) {
  return async (input: Parameters<InClusterActivities[Name]>[0]): Promise<unknown> => {
    const activity = (await (await run()).inClusterActivities())[name] as (input: Parameters<InClusterActivities[Name]>[0]) => Promise<unknown>;
    return activity(input);
  };
}

df.app.orchestration(IN_CLUSTER_ORCHESTRATION, inClusterOrchestrator);
df.app.orchestration(IN_CLUSTER_LANE_ORCHESTRATION, inClusterLaneOrchestrator);
df.app.activity(IN_CLUSTER_ACTIVITIES.list, { handler: deferred('listActivity') });
df.app.activity(IN_CLUSTER_ACTIVITIES.batch, { handler: deferred('batchActivity') });
df.app.activity(IN_CLUSTER_ACTIVITIES.record, { handler: deferred('recordActivity') });
