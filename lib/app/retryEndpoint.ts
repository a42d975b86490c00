/** Glue between an HTTP invocation and the retry endpoint: the worker's clients and the durable client. */
import { handleRetryRequest } from '../upgrades/retryApi.js';
import type { DurableClientLike, RolloutApiRequest, RolloutApiResponse } from '../upgrades/rolloutsApi.js';
import { getStoredRuntime } from './runtime.js';

export async function serveRetryRequest(request: RolloutApiRequest, client: DurableClientLike): Promise<RolloutApiResponse> {
  const { clients } = await getStoredRuntime();
  if (clients.rollouts === undefined) return { status: 503, body: { error: 'storage is not configured' } };
  return handleRetryRequest(request, {
    client,
    store: clients.rollouts,
    now: new Date(),
    listClusters: (subscriptionId) => clients.containerService.listClusters(subscriptionId),
  });
}
