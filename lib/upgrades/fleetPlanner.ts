import { type Cluster, resourceKey } from '../model/cluster.js';
import type { KubernetesVersionCatalog, OfferedUpgrade } from '../model/kubernetesVersions.js';
import type { FleetReader } from '../sweep/fleetReader.js';
import { planRollout, type RolloutPlan, type RolloutRequest } from './plan.js';

/** What planning reads from Azure: the fleet, and each moving cluster's offered upgrades when there is an adapter for them. */
export interface PlanningSources {
  fleet: Pick<FleetReader, 'listSubscriptionIds' | 'listClusters' | 'listKubernetesVersions'>;
  containerService?: { controlPlaneUpgrades(cluster: Cluster): Promise<readonly OfferedUpgrade[]> };
}

/** Plans a rollout from what Azure says now: one cluster list per subscription, one versions call per location. */
export async function planFromFleet(clients: PlanningSources, subscriptions: readonly string[], request: RolloutRequest): Promise<RolloutPlan> {
  const ids = subscriptions.length > 0 ? subscriptions : await clients.fleet.listSubscriptionIds();
  const clusters: Cluster[] = [];
  for (const subscriptionId of ids) clusters.push(...(await clients.fleet.listClusters(subscriptionId)).clusters);
  const catalogs = new Map<string, KubernetesVersionCatalog>();
  for (const cluster of clusters) {
    if (!catalogs.has(cluster.location)) catalogs.set(cluster.location, await clients.fleet.listKubernetesVersions(cluster.subscriptionId, cluster.location));
  }
  // Upgrade profiles only for clusters that would move: one call each, not for the whole fleet.
  const candidates = planRollout(clusters, catalogs, request).waves.flatMap((wave) =>
    wave.clusters.filter((cluster) => cluster.skipReason === undefined && cluster.hops.length > 0),
  );
  const profiles = new Map<string, readonly OfferedUpgrade[]>();
  if (clients.containerService !== undefined) {
    // By key, built once: a search of the fleet per candidate was quadratic (5,000 moving clusters: 25 million comparisons).
    const byKey = new Map<string, Cluster>();
    for (const cluster of clusters) if (!byKey.has(resourceKey(cluster.id))) byKey.set(resourceKey(cluster.id), cluster);
    for (const candidate of candidates) {
      const cluster = byKey.get(resourceKey(candidate.resourceId));
      if (cluster !== undefined) profiles.set(resourceKey(cluster.id), await clients.containerService.controlPlaneUpgrades(cluster));
    }
  }
  return planRollout(clusters, catalogs, request, profiles);
}
