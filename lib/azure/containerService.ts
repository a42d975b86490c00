import { ContainerServiceClient } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';

import type { AzureTarget } from '../config.js';
import { toFleetGuardError } from '../errors.js';
import type { Cluster } from '../model/cluster.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import type { MaintenanceWindowSpec } from '../upgrades/maintenanceWindow.js';
import { armClientOptions, armScope, type RetrySettings } from './clientOptions.js';
import { toCluster, toVersionCatalog } from './containerServiceConverters.js';

/** A cluster the SDK returned that could not be converted (no id, say): reported, not fatal. */
export interface RejectedCluster {
  name: string;
  problem: string;
}

export interface ClusterListing {
  clusters: Cluster[];
  rejected: RejectedCluster[];
}

/**
 * The AKS resource provider, one ContainerServiceClient per subscription (the SDK binds a client
 * to a subscription). Clients are created on first use and reused for the adapter's lifetime.
 */
export class ContainerServiceAdapter {
  private readonly clients = new Map<string, ContainerServiceClient>();

  constructor(
    private readonly credential: TokenCredential,
    private readonly target: AzureTarget,
    private readonly retry: RetrySettings,
  ) {}

  private client(subscriptionId: string): ContainerServiceClient {
    let client = this.clients.get(subscriptionId);
    if (client === undefined) {
      client = new ContainerServiceClient(this.credential, subscriptionId, {
        ...armClientOptions(this.target, this.retry),
        credentials: { scopes: [armScope(this.target)] },
      });
      this.clients.set(subscriptionId, client);
    }
    return client;
  }

  /** Every cluster of a subscription: one paged list call (the SDK follows `nextLink`). */
  async listClusters(subscriptionId: string): Promise<ClusterListing> {
    const listing: ClusterListing = { clusters: [], rejected: [] };
    try {
      for await (const sdkCluster of this.client(subscriptionId).managedClusters.list()) {
        try {
          listing.clusters.push(toCluster(sdkCluster));
        } catch (error) {
          listing.rejected.push({ name: String(sdkCluster.name ?? sdkCluster.id ?? '?'), problem: (error as Error).message });
        }
      }
    } catch (error) {
      throw toFleetGuardError(error, `listing managed clusters of subscription ${subscriptionId}`);
    }
    return listing;
  }

  /** One cluster, or undefined when it does not exist (any more). */
  async getCluster(subscriptionId: string, resourceGroup: string, name: string): Promise<Cluster | undefined> {
    try {
      return toCluster(await this.client(subscriptionId).managedClusters.get(resourceGroup, name));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading managed cluster ${resourceGroup}/${name} of subscription ${subscriptionId}`);
    }
  }

  /** The cluster's planned auto-upgrade window, or undefined when it has none. */
  async autoUpgradeWindow(cluster: Cluster): Promise<MaintenanceWindowSpec | undefined> {
    try {
      const configuration = await this.client(cluster.subscriptionId).maintenanceConfigurations.get(cluster.resourceGroup, cluster.name, 'aksManagedAutoUpgradeSchedule');
      const window = configuration.maintenanceWindow;
      if (window === undefined) return undefined;
      return {
        schedule: window.schedule,
        durationHours: window.durationHours,
        ...(window.utcOffset === undefined ? {} : { utcOffset: window.utcOffset }),
        ...(window.startDate === undefined ? {} : { startDate: window.startDate.toISOString().slice(0, 10) }),
        startTime: window.startTime,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading the maintenance window of ${cluster.name}`);
    }
  }

  /** Versions the control plane may upgrade to now, from the cluster's upgrade profile. */
  async controlPlaneUpgrades(cluster: Cluster): Promise<string[]> {
    try {
      const profile = await this.client(cluster.subscriptionId).managedClusters.getUpgradeProfile(cluster.resourceGroup, cluster.name);
      return (profile.controlPlaneProfile.upgrades ?? []).map((upgrade) => upgrade.kubernetesVersion).filter((version): version is string => typeof version === 'string');
    } catch (error) {
      throw toFleetGuardError(error, `reading the upgrade profile of ${cluster.name}`);
    }
  }

  /** Starts a control-plane upgrade (PUT of the cluster with the new version); returns once ARM accepted it. */
  async startControlPlaneUpgrade(cluster: Cluster, version: string): Promise<void> {
    try {
      const client = this.client(cluster.subscriptionId);
      const current = await client.managedClusters.get(cluster.resourceGroup, cluster.name);
      await client.managedClusters.beginCreateOrUpdate(cluster.resourceGroup, cluster.name, { ...current, kubernetesVersion: version });
    } catch (error) {
      throw toFleetGuardError(error, `starting the upgrade of ${cluster.name} to ${version}`);
    }
  }

  /** Starts an agent-pool upgrade to the control plane's version. */
  async startPoolUpgrade(cluster: Cluster, pool: string, version: string): Promise<void> {
    try {
      await this.client(cluster.subscriptionId).agentPools.beginCreateOrUpdate(cluster.resourceGroup, cluster.name, pool, { orchestratorVersion: version });
    } catch (error) {
      throw toFleetGuardError(error, `starting the upgrade of pool ${pool} of ${cluster.name} to ${version}`);
    }
  }

  /** Starts a node-image upgrade of one pool (POST upgradeNodeImageVersion). */
  async startNodeImageUpgrade(cluster: Cluster, pool: string): Promise<void> {
    try {
      const poller = this.client(cluster.subscriptionId).agentPools.upgradeNodeImageVersion(cluster.resourceGroup, cluster.name, pool);
      await poller.submitted();
    } catch (error) {
      throw toFleetGuardError(error, `starting the node-image upgrade of pool ${pool} of ${cluster.name}`);
    }
  }

  /** The Kubernetes versions AKS offers in a location (asked through any subscription that can see it). */
  async listKubernetesVersions(subscriptionId: string, location: string): Promise<KubernetesVersionCatalog> {
    try {
      const result = await this.client(subscriptionId).managedClusters.listKubernetesVersions(location);
      return toVersionCatalog(location, result);
    } catch (error) {
      throw toFleetGuardError(error, `listing Kubernetes versions of location ${location}`);
    }
  }
}
