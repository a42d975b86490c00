import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { bodyReader } from '../lib/boundedBody.js';
import { loadOnce } from '../lib/loadOnce.js';
import { durableClient } from './durableClient.js';

const endpoint = loadOnce(() => import('../lib/app/rolloutsEndpoint.js'));
const retryEndpoint = loadOnce(() => import('../lib/app/retryEndpoint.js'));

type Operation = 'create' | 'list' | 'get' | 'approve' | 'resume' | 'abort';

function handler(operation: Operation) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const { serveRolloutRequest } = await endpoint();
    const response = await serveRolloutRequest(
      operation,
      { principalHeader: request.headers.get('x-ms-client-principal'), params: request.params, body: bodyReader(request) },
      durableClient(context),
    );
    return { status: response.status, jsonBody: response.body };
  };
}

/** Retry: a new rollout over the failed and skipped clusters of an ended one (lib/upgrades/retryApi.ts). */
async function retryHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { serveRetryRequest } = await retryEndpoint();
  const response = await serveRetryRequest(
    { principalHeader: request.headers.get('x-ms-client-principal'), params: request.params, body: bodyReader(request) },
    durableClient(context),
  );
  return { status: response.status, jsonBody: response.body };
}

// Function key plus App Service Authentication; app roles are checked in lib/, which reads a body
// (bodyReader: within the endpoint's byte limit) only after them.
const options = { authLevel: 'function' as const, extraInputs: [df.input.durableClient()] };
app.http('rolloutsCreate', { ...options, methods: ['POST'], route: 'rollouts', handler: handler('create') });
app.http('rolloutsList', { ...options, methods: ['GET'], route: 'rollouts', handler: handler('list') });
app.http('rolloutsGet', { ...options, methods: ['GET'], route: 'rollouts/{id}', handler: handler('get') });
app.http('rolloutsApprove', { ...options, methods: ['POST'], route: 'rollouts/{id}/approve', handler: handler('approve') });
app.http('rolloutsResume', { ...options, methods: ['POST'], route: 'rollouts/{id}/resume', handler: handler('resume') });
app.http('rolloutsAbort', { ...options, methods: ['POST'], route: 'rollouts/{id}/abort', handler: handler('abort') });
app.http('rolloutsRetry', { ...options, methods: ['POST'], route: 'rollouts/{id}/retry', handler: retryHandler });
