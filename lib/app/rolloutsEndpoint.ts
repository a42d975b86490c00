/** Glue between an HTTP invocation and the rollouts API: the worker's clients and the durable client. */
import { planFromFleet } from '../upgrades/fleetPlanner.js';
import { readRollbackFacts } from '../upgrades/rollbackActivities.js';
import { withRollbackStatus } from '../upgrades/rollbackApi.js';
import { type DurableClientLike, handleRolloutRequest, type RolloutApiRequest, type RolloutApiResponse } from '../upgrades/rolloutsApi.js';
import { refuseUnauthenticatedHttpApi, storedRuntimeForHttp } from './httpApiGuard.js';

export async function serveRolloutRequest(
  operation: Parameters<typeof handleRolloutRequest>[0],
  request: RolloutApiRequest,
  client: DurableClientLike,
): Promise<RolloutApiResponse> {
  const refusal = refuseUnauthenticatedHttpApi();
  if (refusal !== undefined) return refusal;
  const runtime = await storedRuntimeForHttp('the rollout store is unavailable');
  if ('status' in runtime) return runtime;
  const { config, clients } = runtime;
  if (clients.rollouts === undefined) return { status: 503, body: { error: 'storage is not configured' } };
  const store = clients.rollouts;
  const now = new Date();
  return handleRolloutRequest(operation, request, {
    client,
    store,
    plan: (rolloutRequest) => planFromFleet(clients, config.subscriptions, rolloutRequest),
    now,
    poolRolling: () => clients.notices.poolRollingByCluster(),
    rollbackStatus: (id, status, clusters) =>
      withRollbackStatus(id, status, clusters, { store, now, facts: (resourceId) => readRollbackFacts(clients.containerService, resourceId) }),
  });
}
