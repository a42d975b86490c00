import type { LimitFunction } from 'p-limit';

import type { ClusterListing } from '../model/cluster.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';

/** What a sweep needs to read from Azure. The composition root backs it with the SDK adapters. */
export interface FleetReader {
  /** Every subscription the identity can read (used when none are configured). */
  listSubscriptionIds(): Promise<string[]>;
  /** Every cluster in one subscription, in one paged list call. */
  listClusters(subscriptionId: string): Promise<ClusterListing>;
  /**
   * Every cluster of many subscriptions in one paged query (Azure Resource Graph), by lower-cased
   * subscription id. Absent when the inventory source is ARM listing.
   */
  listClustersAcross?(subscriptionIds: readonly string[], slots: LimitFunction): Promise<Map<string, ClusterListing>>;
  /**
   * Resource Graph is used from this many subscriptions on (0: always). Below it, per-subscription
   * listing is as fast and makes fewer calls: the benchmark's crossover is past one round of
   * concurrent list calls.
   */
  resourceGraphFromSubscriptions?: number;
  /**
   * Clusters per lower-cased subscription id, in one cheap query (Resource Graph `summarize`), to
   * bound a streaming sweep's shards by clusters. Subscriptions without clusters or not readable
   * are absent. Absent when the inventory source is ARM listing (there, listing is counting).
   */
  countClustersAcross?(subscriptionIds: readonly string[]): Promise<Map<string, number>>;
  /** The versions AKS offers in a location, asked through a subscription that has clusters there. */
  listKubernetesVersions(subscriptionId: string, location: string): Promise<KubernetesVersionCatalog>;
}
