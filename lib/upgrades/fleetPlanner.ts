import type { AzureClients } from '../azure/clients.js';
import type { Cluster } from '../model/cluster.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import { planRollout, type RolloutPlan, type RolloutRequest } from './plan.js';

/** Plans a rollout from what Azure says now: one cluster list per subscription, one versions call per location. */
export async function planFromFleet(clients: Pick<AzureClients, 'fleet'>, subscriptions: readonly string[], request: RolloutRequest): Promise<RolloutPlan> {
  const ids = subscriptions.length > 0 ? subscriptions : await clients.fleet.listSubscriptionIds();
  const clusters: Cluster[] = [];
  for (const subscriptionId of ids) clusters.push(...(await clients.fleet.listClusters(subscriptionId)).clusters);
  const catalogs = new Map<string, KubernetesVersionCatalog>();
  for (const cluster of clusters) {
    if (!catalogs.has(cluster.location)) catalogs.set(cluster.location, await clients.fleet.listKubernetesVersions(cluster.subscriptionId, cluster.location));
  }
  return planRollout(clusters, catalogs, request);
}
