import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { bodyReader } from '../lib/boundedBody.js';
import { loadOnce } from '../lib/loadOnce.js';
import type { RollbackActivities } from '../lib/upgrades/rollbackActivities.js';
import { ROLLBACK_ACTIVITIES, ROLLBACK_ORCHESTRATION, rollbackOrchestrator } from '../lib/upgrades/rollbackOrchestrator.js';
import { durableClient } from './durableClient.js';

/** Node-pool rollback of a rollout's clusters: request, approval by another principal, the durable run (lib/upgrades/rollbackApi.ts). */
const endpoint = loadOnce(() => import('../lib/app/rollbackEndpoint.js'));
const composed = loadOnce(() => import('../lib/app/rolloutActivities.js'));

function handler(operation: 'request' | 'approve') {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const { serveRollbackRequest } = await endpoint();
    const response = await serveRollbackRequest(
      operation,
      { principalHeader: request.headers.get('x-ms-client-principal'), params: request.params, body: bodyReader(request) },
      durableClient(context),
    );
    return { status: response.status, jsonBody: response.body };
  };
}

// Function key plus App Service Authentication; app roles are checked in lib/.
const options = { authLevel: 'function' as const, extraInputs: [df.input.durableClient()] };
app.http('rolloutsRollback', { ...options, methods: ['POST'], route: 'rollouts/{id}/rollback', handler: handler('request') });
app.http('rolloutsRollbackApprove', { ...options, methods: ['POST'], route: 'rollouts/{id}/rollback/approve', handler: handler('approve') });

df.app.orchestration(ROLLBACK_ORCHESTRATION, rollbackOrchestrator);
df.app.activity(ROLLBACK_ACTIVITIES.step, {
  handler: async (input: Parameters<RollbackActivities['rollbackStepActivity']>[0]) => (await composed()).rollbackActivities().rollbackStepActivity(input),
});
df.app.activity(ROLLBACK_ACTIVITIES.record, {
  handler: async (input: Parameters<RollbackActivities['rollbackRecordActivity']>[0]) => (await composed()).rollbackActivities().rollbackRecordActivity(input),
});
