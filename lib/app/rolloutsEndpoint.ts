/** Glue between an HTTP invocation and the rollouts API: the worker's clients and the durable client. */
import { planFromFleet } from '../upgrades/fleetPlanner.js';
import { type DurableClientLike, handleRolloutRequest, type RolloutApiRequest, type RolloutApiResponse } from '../upgrades/rolloutsApi.js';
import { getStoredRuntime } from './runtime.js';

export async function serveRolloutRequest(operation: Parameters<typeof handleRolloutRequest>[0], request: RolloutApiRequest, client: DurableClientLike): Promise<RolloutApiResponse> {
  const { config, clients } = await getStoredRuntime();
  if (clients.rollouts === undefined) return { status: 503, body: { error: 'storage is not configured' } };
  return handleRolloutRequest(operation, request, {
    client,
    store: clients.rollouts,
    plan: (rolloutRequest) => planFromFleet(clients, config.subscriptions, rolloutRequest),
    now: new Date(),
    poolRolling: () => clients.notices.poolRollingByCluster(),
  });
}
