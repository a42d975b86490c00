/** Glue between an HTTP invocation and the rollback API: the worker's clients and the durable client. */
import { readRollbackFacts } from '../upgrades/rollbackActivities.js';
import { handleRollbackRequest } from '../upgrades/rollbackApi.js';
import type { DurableClientLike, RolloutApiRequest, RolloutApiResponse } from '../upgrades/rolloutsApi.js';
import { refuseUnauthenticatedHttpApi, storedRuntimeForHttp } from './httpApiGuard.js';

export async function serveRollbackRequest(
  operation: 'request' | 'approve',
  request: RolloutApiRequest,
  client: DurableClientLike,
): Promise<RolloutApiResponse> {
  const refusal = refuseUnauthenticatedHttpApi();
  if (refusal !== undefined) return refusal;
  const runtime = await storedRuntimeForHttp('the rollout store is unavailable');
  if ('status' in runtime) return runtime;
  const { clients } = runtime;
  if (clients.rollouts === undefined) return { status: 503, body: { error: 'storage is not configured' } };
  return handleRollbackRequest(operation, request, {
    client,
    store: clients.rollouts,
    now: new Date(),
    facts: (resourceId) => readRollbackFacts(clients.containerService, resourceId),
  });
}
