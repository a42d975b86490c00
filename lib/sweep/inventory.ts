/**
 * Inventory: one paged list call per subscription and one versions call per location, with bounded
 * concurrency. Never one call per cluster. A failing subscription or location is recorded and the
 * rest carries on.
 */
import pLimit, { type LimitFunction } from 'p-limit';

import { toFleetGuardError } from '../errors.js';
import type { ClusterListing } from '../model/cluster.js';
import type { Cluster } from '../model/cluster.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import type { FleetReader } from './fleetReader.js';
import type { SweepError } from './sweepResult.js';

export interface InventoryProgress {
  stage: 'subscriptions' | 'versions';
  done: number;
  total: number;
}

export interface Inventory {
  /** Subscriptions whose cluster listing completed (their findings may be resolved). */
  listedSubscriptions: string[];
  failedSubscriptions: string[];
  /** Listed subscriptions that returned a cluster we could not read. */
  incompleteSubscriptions: Set<string>;
  clusters: Cluster[];
  versionsByLocation: Map<string, KubernetesVersionCatalog>;
  errors: SweepError[];
  /** Whether Resource Graph answered for (some of) the subscriptions; the policy stage follows suit. */
  viaResourceGraph: boolean;
}

/** The clusters, once listed (before the versions of their locations are known). */
export type ListedInventory = Pick<Inventory, 'listedSubscriptions' | 'incompleteSubscriptions' | 'clusters' | 'viaResourceGraph'>;

export interface InventoryOptions {
  subscriptions: readonly string[];
  concurrency: number;
  /** Shared with the caller's other work, so the sweep as a whole stays within the concurrency. */
  limit?: LimitFunction;
  /** Work that needs only the listed clusters: it runs while the versions are fetched (`versions` resolves when they are). */
  alongsideVersions?: (listed: ListedInventory, versions: Promise<Map<string, KubernetesVersionCatalog>>) => Promise<void>;
  onProgress?: (progress: InventoryProgress) => void;
  /** Versions already asked for by other shards of the same sweep: each location is asked once per sweep. */
  versionsCache?: KubernetesVersionsCache;
}

/**
 * The versions of each location, shared by the shards of one sweep (lib/sweep/streamingSweep.ts):
 * the answer, or the failure after the fallback, of the first shard that needed the location.
 */
export type KubernetesVersionsCache = Map<string, Promise<KubernetesVersionCatalog>>;

export async function collectInventory(reader: FleetReader, options: InventoryOptions): Promise<Inventory> {
  const limit = options.limit ?? pLimit(options.concurrency);
  const errors: SweepError[] = [];
  const listedSubscriptions: string[] = [];
  const failedSubscriptions: string[] = [];
  const incompleteSubscriptions = new Set<string>();
  const clusters: Cluster[] = [];
  let done = 0;
  const accept = (subscriptionId: string, listing: ClusterListing) => {
    clusters.push(...listing.clusters);
    if (listing.rejected.length > 0) incompleteSubscriptions.add(subscriptionId);
    for (const rejected of listing.rejected) {
      errors.push({ scope: 'cluster', target: rejected.name, reason: 'badInput', message: `subscription ${subscriptionId}: ${rejected.problem}` });
    }
    listedSubscriptions.push(subscriptionId);
  };

  let perSubscription = options.subscriptions;
  let viaResourceGraph = false;
  if (
    reader.listClustersAcross !== undefined &&
    options.subscriptions.length > 0 &&
    options.subscriptions.length >= (reader.resourceGraphFromSubscriptions ?? 0)
  ) {
    try {
      // Subscriptions Resource Graph did not vouch for are listed one by one below.
      const listings = await reader.listClustersAcross(options.subscriptions, limit);
      for (const subscriptionId of options.subscriptions) {
        const listing = listings.get(subscriptionId.toLowerCase());
        if (listing !== undefined) accept(subscriptionId, listing);
      }
      perSubscription = options.subscriptions.filter((id) => !listings.has(id.toLowerCase()));
      viaResourceGraph = listings.size > 0;
      done = options.subscriptions.length - perSubscription.length;
      options.onProgress?.({ stage: 'subscriptions', done, total: options.subscriptions.length });
    } catch (error) {
      const failure = toFleetGuardError(error, 'querying Azure Resource Graph for clusters');
      errors.push({
        scope: 'resourceGraph',
        target: 'clusters',
        reason: failure.reason,
        message: `${failure.message} (fell back to listing each subscription)`,
      });
    }
  }

  await Promise.all(
    perSubscription.map((subscriptionId) =>
      limit(async () => {
        try {
          accept(subscriptionId, await reader.listClusters(subscriptionId));
        } catch (error) {
          const failure = toFleetGuardError(error, `listing managed clusters of subscription ${subscriptionId}`);
          errors.push({ scope: 'subscription', target: subscriptionId, reason: failure.reason, message: failure.message });
          failedSubscriptions.push(subscriptionId);
        }
        options.onProgress?.({ stage: 'subscriptions', done: (done += 1), total: options.subscriptions.length });
      }),
    ),
  );

  // Deterministic order whatever the completion order was.
  clusters.sort((left, right) => left.id.toLowerCase().localeCompare(right.id.toLowerCase()));
  listedSubscriptions.sort();
  const versions = collectVersions(
    reader,
    clusters,
    limit,
    errors,
    options.onProgress,
    options.versionsCache ?? new Map<string, Promise<KubernetesVersionCatalog>>(),
  );
  const [versionsByLocation] = await Promise.all([
    versions,
    options.alongsideVersions?.({ listedSubscriptions, incompleteSubscriptions, clusters, viaResourceGraph }, versions),
  ]);
  return {
    listedSubscriptions,
    failedSubscriptions: failedSubscriptions.sort(),
    incompleteSubscriptions,
    clusters,
    versionsByLocation,
    errors,
    viaResourceGraph,
  };
}

/** One call per location, through a subscription that has clusters there; a second one is tried on failure. */
async function collectVersions(
  reader: FleetReader,
  clusters: readonly Cluster[],
  limit: LimitFunction,
  errors: SweepError[],
  onProgress: InventoryOptions['onProgress'],
  cache: KubernetesVersionsCache,
): Promise<Map<string, KubernetesVersionCatalog>> {
  const subscriptionsByLocation = new Map<string, string[]>();
  for (const cluster of clusters) {
    const candidates = subscriptionsByLocation.get(cluster.location) ?? [];
    if (!candidates.includes(cluster.subscriptionId)) candidates.push(cluster.subscriptionId);
    subscriptionsByLocation.set(cluster.location, candidates);
  }
  const versionsByLocation = new Map<string, KubernetesVersionCatalog>();
  let done = 0;
  const ask = async (candidates: readonly string[], location: string): Promise<KubernetesVersionCatalog> => {
    let lastError: unknown;
    for (const subscriptionId of candidates.slice(0, 2)) {
      try {
        return await reader.listKubernetesVersions(subscriptionId, location);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };
  await Promise.all(
    [...subscriptionsByLocation].map(([location, candidates]) =>
      limit(async () => {
        let pending = cache.get(location);
        if (pending === undefined) {
          pending = ask(candidates, location);
          cache.set(location, pending);
        }
        try {
          versionsByLocation.set(location, await pending);
        } catch (error) {
          const failure = toFleetGuardError(error, `listing Kubernetes versions of location ${location}`);
          errors.push({ scope: 'location', target: location, reason: failure.reason, message: `${failure.message} (version rules skipped there)` });
        }
        onProgress?.({ stage: 'versions', done: (done += 1), total: subscriptionsByLocation.size });
      }),
    ),
  );
  return versionsByLocation;
}
