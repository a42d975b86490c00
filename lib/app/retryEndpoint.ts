/** Glue between an HTTP invocation and the retry endpoint: the worker's clients and the durable client. */
import { handleRetryRequest } from '../upgrades/retryApi.js';
import type { DurableClientLike, RolloutApiRequest, RolloutApiResponse } from '../upgrades/rolloutsApi.js';
import { refuseUnauthenticatedHttpApi, storedRuntimeForHttp } from './httpApiGuard.js';

export async function serveRetryRequest(request: RolloutApiRequest, client: DurableClientLike): Promise<RolloutApiResponse> {
  const refusal = refuseUnauthenticatedHttpApi();
  if (refusal !== undefined) return refusal;
  const runtime = await storedRuntimeForHttp('the rollout store is unavailable');
  if ('status' in runtime) return runtime;
  const { clients } = runtime;
  if (clients.rollouts === undefined) return { status: 503, body: { error: 'storage is not configured' } };
  return handleRetryRequest(request, {
    client,
    store: clients.rollouts,
    now: new Date(),
    listClusters: (subscriptionId) => clients.containerService.listClusters(subscriptionId),
  });
}
