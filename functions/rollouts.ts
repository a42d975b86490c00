import * as df from 'durable-functions';

import { loadOnce } from '../lib/loadOnce.js';
import type { RolloutActivities } from '../lib/upgrades/activities.js';
import { ACTIVITIES, clusterOrchestrator, ORCHESTRATIONS, rolloutOrchestrator, waveOrchestrator } from '../lib/upgrades/orchestrators.js';

// Orchestrators are generators the replay calls synchronously, so they load with the entry (their
// module is small and pure); the activities (SDKs, stores, configuration) load on the first call.
const composed = loadOnce(() => import('../lib/app/rolloutActivities.js'));

/** The named activity, bound to the worker's dependencies by lib/app on the first call of any of them. */
function deferred<Name extends keyof RolloutActivities>(name: Name): (input: Parameters<RolloutActivities[Name]>[0]) => Promise<unknown> {
  return async (input) => {
    const activity = (await composed()).rolloutActivities()[name] as (input: Parameters<RolloutActivities[Name]>[0]) => Promise<unknown>;
    return activity(input);
  };
}

/** Progressive upgrades: a rollout runs waves, a wave runs clusters (see lib/upgrades/orchestrators.ts). */
df.app.orchestration(ORCHESTRATIONS.rollout, rolloutOrchestrator);
df.app.orchestration(ORCHESTRATIONS.wave, waveOrchestrator);
df.app.orchestration(ORCHESTRATIONS.cluster, clusterOrchestrator);

df.app.activity(ACTIVITIES.precheck, { handler: deferred('precheckActivity') });
df.app.activity(ACTIVITIES.advance, { handler: deferred('advanceActivity') });
df.app.activity(ACTIVITIES.health, { handler: deferred('healthActivity') });
df.app.activity(ACTIVITIES.healthBatch, { handler: deferred('healthBatchActivity') });
df.app.activity(ACTIVITIES.inhibit, { handler: deferred('inhibitActivity') });
df.app.activity(ACTIVITIES.haltAlert, { handler: deferred('haltAlertActivity') });
df.app.activity(ACTIVITIES.recordStatus, { handler: deferred('recordStatusActivity') });
df.app.activity(ACTIVITIES.maintenanceWindow, { handler: deferred('maintenanceWindowActivity') });
df.app.activity(ACTIVITIES.abortRequested, { handler: deferred('abortRequestedActivity') });
