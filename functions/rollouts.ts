import * as df from 'durable-functions';

import { advanceActivity, haltAlertActivity, healthActivity, healthBatchActivity, inhibitActivity, maintenanceWindowActivity, precheckActivity, recordStatusActivity } from '../lib/upgrades/activities.js';
import { ACTIVITIES, clusterOrchestrator, ORCHESTRATIONS, rolloutOrchestrator, waveOrchestrator } from '../lib/upgrades/orchestrators.js';

/** Progressive upgrades: a rollout runs waves, a wave runs clusters (see lib/upgrades/orchestrators.ts). */
df.app.orchestration(ORCHESTRATIONS.rollout, rolloutOrchestrator);
df.app.orchestration(ORCHESTRATIONS.wave, waveOrchestrator);
df.app.orchestration(ORCHESTRATIONS.cluster, clusterOrchestrator);

df.app.activity(ACTIVITIES.precheck, { handler: precheckActivity });
df.app.activity(ACTIVITIES.advance, { handler: advanceActivity });
df.app.activity(ACTIVITIES.health, { handler: healthActivity });
df.app.activity(ACTIVITIES.healthBatch, { handler: healthBatchActivity });
df.app.activity(ACTIVITIES.inhibit, { handler: inhibitActivity });
df.app.activity(ACTIVITIES.haltAlert, { handler: haltAlertActivity });
df.app.activity(ACTIVITIES.recordStatus, { handler: recordStatusActivity });
df.app.activity(ACTIVITIES.maintenanceWindow, { handler: maintenanceWindowActivity });
