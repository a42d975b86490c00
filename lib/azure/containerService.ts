import { type AgentPoolUpgradeProfile, ContainerServiceClient, type KubernetesVersionListResult } from '@azure/arm-containerservice';
import { type ContainerServiceContext, createContainerService } from '@azure/arm-containerservice/api';
import type { TokenCredential } from '@azure/core-auth';

import type { AzureTarget } from '../config.js';
import { FleetGuardError, reasonFromStatus, toFleetGuardError } from '../errors.js';
import type { Cluster, ClusterListing } from '../model/cluster.js';
import type { KubernetesVersionCatalog, OfferedUpgrade } from '../model/kubernetesVersions.js';
import type { MaintenanceWindowSpec } from '../model/maintenanceWindow.js';
import { clusterFromArmJson } from './armClusterJson.js';
import { armClientOptions, armScope, type RetrySettings } from './clientOptions.js';
import { toCluster, toControlPlaneUpgrades, toMaintenanceWindowSpec, toVersionCatalog } from './containerServiceConverters.js';

/** The api-version the SDK's own operations use (arm-containerservice 25.3.0). */
const API_VERSION = '2026-04-01';
/** The same, for readers of raw bodies (snapshotBodies.ts). */
export const CONTAINER_SERVICE_API_VERSION = API_VERSION;

/** Reads and writes of one resource before a persistent 412 is given up on (see `conditionalWrite`). */
const PRECONDITION_ATTEMPTS = 3;

/** The subcode of AKS's refusal of a minor upgrade after recent deprecated API use. */
export const UPGRADE_BLOCKED_ON_DEPRECATED_API_USAGE = 'UpgradeBlockedOnDeprecatedAPIUsage';

/** What ARM answered to an upgrade request. */
export type UpgradeStart =
  | { kind: 'accepted' }
  /** AKS's pre-flight refused it: permanent until the cause is fixed or bypassed. */
  | { kind: 'blocked'; code: typeof UPGRADE_BLOCKED_ON_DEPRECATED_API_USAGE; message: string };

/**
 * A version pair a pool may be rolled back to: an entry of the pool upgrade profile's
 * `recentlyUsedVersions` (AgentPoolRecentlyUsedVersion, api-version 2026-04-01).
 */
export interface PoolRollbackVersion {
  orchestratorVersion: string;
  nodeImageVersion: string | undefined;
  /** ISO date-time the pair was last used; undefined when AKS did not say. */
  timestamp: string | undefined;
}

/** What a pool's upgrade profile says about rollback: its version and the pairs it may go back to. */
export interface PoolRollbackOptions {
  pool: string;
  kubernetesVersion: string | undefined;
  recentlyUsedVersions: PoolRollbackVersion[];
}

/**
 * The rollback part of an agent pool upgrade profile. Entries without an orchestrator version
 * cannot be written back (the rollback PUT sets it) and are left out.
 */
export function toPoolRollbackOptions(pool: string, profile: Pick<AgentPoolUpgradeProfile, 'kubernetesVersion' | 'recentlyUsedVersions'>): PoolRollbackOptions {
  const entries = Array.isArray(profile.recentlyUsedVersions) ? profile.recentlyUsedVersions : [];
  const recentlyUsedVersions = entries.flatMap((entry): PoolRollbackVersion[] => {
    if (typeof entry !== 'object' || entry === null || typeof entry.orchestratorVersion !== 'string' || entry.orchestratorVersion === '') return [];
    const stamp =
      entry.timestamp instanceof Date && !Number.isNaN(entry.timestamp.getTime())
        ? entry.timestamp.toISOString()
        : typeof entry.timestamp === 'string'
          ? entry.timestamp
          : undefined;
    return [
      {
        orchestratorVersion: entry.orchestratorVersion,
        nodeImageVersion: typeof entry.nodeImageVersion === 'string' && entry.nodeImageVersion !== '' ? entry.nodeImageVersion : undefined,
        timestamp: stamp,
      },
    ];
  });
  return { pool, kubernetesVersion: typeof profile.kubernetesVersion === 'string' ? profile.kubernetesVersion : undefined, recentlyUsedVersions };
}

function ifMatch(eTag: string | undefined): { ifMatch?: string } {
  return eTag === undefined || eTag === '' ? {} : { ifMatch: eTag };
}

/**
 * AKS's refusal of a minor upgrade after deprecated API use in the last 12 hours, from the error
 * body. Learn (https://learn.microsoft.com/azure/aks/stop-cluster-upgrade-api-breaking-changes)
 * shows `{"code": "ValidationError", "message": ..., "subcode": "UpgradeBlockedOnDeprecatedAPIUsage"}`;
 * ARM wraps errors in `error`; AKS's own error bodies have been reported unwrapped (microsoft/tyger#121,
 * Azure/terraform-azurerm-aks#604): both are read. The SDK's RestError keeps only code and message,
 * so the body is taken from the raw response.
 */
function deprecatedApiRefusal(body: unknown): UpgradeStart | undefined {
  const outer = record(body);
  const inner = typeof outer['error'] === 'object' && outer['error'] !== null ? record(outer['error']) : outer;
  const named = [inner['subcode'], inner['code']].some((value) => value === UPGRADE_BLOCKED_ON_DEPRECATED_API_USAGE);
  if (!named) return undefined;
  const message = typeof inner['message'] === 'string' ? inner['message'] : UPGRADE_BLOCKED_ON_DEPRECATED_API_USAGE;
  return { kind: 'blocked', code: UPGRADE_BLOCKED_ON_DEPRECATED_API_USAGE, message };
}

/**
 * The SDK's model deserialisers throw a TypeError on a field of an unexpected type (an array that
 * is a string, a null list item), failing a whole page for one odd cluster. Such a body is read
 * again raw and converted by our own defensive converters, cluster by cluster.
 */
function sdkCouldNotRead(error: unknown): boolean {
  return (error instanceof TypeError || error instanceof RangeError) && (error as { statusCode?: unknown }).statusCode === undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The AKS resource provider, one ContainerServiceClient per subscription (the SDK binds a client
 * to a subscription). Clients are created on first use and reused for the adapter's lifetime.
 */
/**
 * The SDK's REST layer (same pipeline: credential, retries, TLS) for reading bodies its models
 * cannot, one context per subscription, made on first use. Shared by the adapter and the snapshot capture.
 */
export function rawContainerServiceContexts(
  credential: TokenCredential,
  target: AzureTarget,
  retry: RetrySettings,
): (subscriptionId: string) => ContainerServiceContext {
  const contexts = new Map<string, ContainerServiceContext>();
  return (subscriptionId) => {
    let context = contexts.get(subscriptionId);
    if (context === undefined) {
      context = createContainerService(credential, subscriptionId, { ...armClientOptions(target, retry), credentials: { scopes: [armScope(target)] } });
      contexts.set(subscriptionId, context);
    }
    return context;
  };
}

/** One ContainerServiceClient per subscription, made on first use. Shared by the adapter and the runCommand client. */
export function containerServiceClients(
  credential: TokenCredential,
  target: AzureTarget,
  retry: RetrySettings,
): (subscriptionId: string) => ContainerServiceClient {
  const clients = new Map<string, ContainerServiceClient>();
  return (subscriptionId) => {
    let client = clients.get(subscriptionId);
    if (client === undefined) {
      client = new ContainerServiceClient(credential, subscriptionId, { ...armClientOptions(target, retry), credentials: { scopes: [armScope(target)] } });
      clients.set(subscriptionId, client);
    }
    return client;
  };
}

export class ContainerServiceAdapter {
  private readonly client: (subscriptionId: string) => ContainerServiceClient;
  private readonly rawContext: (subscriptionId: string) => ContainerServiceContext;

  constructor(credential: TokenCredential, target: AzureTarget, retry: RetrySettings) {
    this.rawContext = rawContainerServiceContexts(credential, target, retry);
    this.client = containerServiceClients(credential, target, retry);
  }

  /** GET of an ARM path or `nextLink`: the JSON body, or undefined for 404; other statuses throw with their reason. */
  private async rawGet(subscriptionId: string, pathOrUrl: string, context: string): Promise<unknown> {
    const response = await this.rawContext(subscriptionId).pathUnchecked(pathOrUrl).get();
    const status = Number(response.status);
    if (status === 404) return undefined;
    if (status !== 200) throw new FleetGuardError(reasonFromStatus(status), `${context}: HTTP ${status}`, { status });
    return response.body as unknown;
  }

  /** The listing read raw: every page, each cluster converted (or rejected, naming the field) on its own. */
  private async listClustersRaw(subscriptionId: string): Promise<ClusterListing> {
    const listing: ClusterListing = { clusters: [], rejected: [] };
    const context = `listing managed clusters of subscription ${subscriptionId}`;
    let next: string | undefined =
      `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.ContainerService/managedClusters?api-version=${API_VERSION}`;
    while (next !== undefined) {
      const page = record(await this.rawGet(subscriptionId, next, context));
      if (!Array.isArray(page['value'])) throw new FleetGuardError('badInput', `${context}: the response has no list of clusters (field: value)`);
      for (const item of page['value'] as unknown[]) {
        try {
          listing.clusters.push(clusterFromArmJson(item));
        } catch (error) {
          const name = record(item)['name'] ?? record(item)['id'];
          listing.rejected.push({ name: typeof name === 'string' ? name : '?', problem: (error as Error).message });
        }
      }
      next = typeof page['nextLink'] === 'string' && page['nextLink'] !== '' ? page['nextLink'] : undefined;
    }
    return listing;
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
      if (!sdkCouldNotRead(error)) throw toFleetGuardError(error, `listing managed clusters of subscription ${subscriptionId}`);
      try {
        return await this.listClustersRaw(subscriptionId);
      } catch (rawError) {
        throw toFleetGuardError(rawError, `listing managed clusters of subscription ${subscriptionId}`);
      }
    }
    return listing;
  }

  /** One cluster, or undefined when it does not exist (any more). */
  async getCluster(subscriptionId: string, resourceGroup: string, name: string): Promise<Cluster | undefined> {
    const context = `reading managed cluster ${resourceGroup}/${name} of subscription ${subscriptionId}`;
    try {
      return toCluster(await this.client(subscriptionId).managedClusters.get(resourceGroup, name));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      if (!sdkCouldNotRead(error)) throw toFleetGuardError(error, context);
    }
    try {
      const path = `/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.ContainerService/managedClusters/${encodeURIComponent(name)}?api-version=${API_VERSION}`;
      const body = await this.rawGet(subscriptionId, path, context);
      return body === undefined ? undefined : clusterFromArmJson(body);
    } catch (error) {
      throw toFleetGuardError(error, context);
    }
  }

  /**
   * The cluster's user kubeconfig (POST listClusterUserCredential), as text, in memory: the caller
   * parses it and never writes it to disk. For an Entra-integrated cluster it holds the server, its
   * CA and an exec user (kubelogin), no secret.
   */
  async userKubeconfig(cluster: Cluster, abortSignal?: AbortSignal): Promise<string> {
    const result = await this.client(cluster.subscriptionId).managedClusters.listClusterUserCredentials(cluster.resourceGroup, cluster.name, {
      ...(abortSignal === undefined ? {} : { abortSignal }),
    });
    const value = result.kubeconfigs?.[0]?.value;
    if (value === undefined) throw new FleetGuardError('badInput', `the user credential of ${cluster.name} holds no kubeconfig (field: kubeconfigs)`);
    return Buffer.from(value).toString('utf8');
  }

  /** The cluster's planned auto-upgrade window (blackouts included), or undefined when it has none. */
  async autoUpgradeWindow(cluster: Cluster): Promise<MaintenanceWindowSpec | undefined> {
    try {
      const configuration = await this.client(cluster.subscriptionId).maintenanceConfigurations.get(
        cluster.resourceGroup,
        cluster.name,
        'aksManagedAutoUpgradeSchedule',
      );
      const window = configuration.maintenanceWindow;
      return window === undefined || window === null ? undefined : toMaintenanceWindowSpec(window);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw toFleetGuardError(error, `reading the maintenance window of ${cluster.name}`);
    }
  }

  /** Versions the control plane may upgrade to now, from the cluster's upgrade profile, preview ones flagged. */
  async controlPlaneUpgrades(cluster: Cluster): Promise<OfferedUpgrade[]> {
    try {
      return toControlPlaneUpgrades(await this.client(cluster.subscriptionId).managedClusters.getUpgradeProfile(cluster.resourceGroup, cluster.name));
    } catch (error) {
      throw toFleetGuardError(error, `reading the upgrade profile of ${cluster.name}`);
    }
  }

  /**
   * One conditional write: read, change, PUT with `If-Match` on the read's eTag. A 412 means the
   * resource changed between the read and the write (Learn "use-etags"): it is read again and the
   * write retried, at most `PRECONDITION_ATTEMPTS` times, so a concurrent change is never
   * overwritten blindly. Still 412 after that: thrown (status 412) for the caller to observe again.
   */
  private async conditionalWrite<T>(context: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await write();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 412 && attempt < PRECONDITION_ATTEMPTS) continue;
        throw toFleetGuardError(error, context);
      }
    }
  }

  /**
   * Starts a control-plane upgrade; returns once ARM accepted it (the SDK poller's initial response
   * only), or with AKS's pre-flight refusal. PUT is create-or-replace, so the body is the whole
   * cluster as just read (the SDK's own model of api-version 2026-04-01, which keeps every
   * writable field and leaves out only what the spec marks read-only) with `kubernetesVersion`
   * changed, sent with `If-Match` on the read's `eTag`.
   */
  async startControlPlaneUpgrade(cluster: Cluster, version: string): Promise<UpgradeStart> {
    const client = this.client(cluster.subscriptionId);
    return this.conditionalWrite(`starting the upgrade of ${cluster.name} to ${version}`, async () => {
      const current = await client.managedClusters.get(cluster.resourceGroup, cluster.name);
      let refusal: unknown;
      try {
        await client.managedClusters.beginCreateOrUpdate(
          cluster.resourceGroup,
          cluster.name,
          { ...current, kubernetesVersion: version },
          {
            ...ifMatch(current.eTag),
            // The SDK's ifMatch option becomes the If-Match header (api/managedClusters/operations.js).
            onResponse: (response) => {
              refusal = response.parsedBody;
            },
          },
        );
      } catch (error) {
        const blocked = (error as { statusCode?: number }).statusCode === 400 ? deprecatedApiRefusal(refusal) : undefined;
        if (blocked !== undefined) return blocked;
        throw error;
      }
      return { kind: 'accepted' } as const;
    });
  }

  /**
   * Starts an agent-pool upgrade to `version`; returns once ARM accepted it. PUT is create-or-replace
   * and AKS refuses a pool without `count` (InvalidParameter, Pulumi azure-native#2943,
   * Azure/azure-service-operator#3220) or resets what the body leaves out, so the pool is read, its
   * `orchestratorVersion` changed, and the whole pool PUT back with `If-Match` on its `eTag`.
   */
  async startPoolUpgrade(cluster: Cluster, pool: string, version: string): Promise<void> {
    const client = this.client(cluster.subscriptionId);
    await this.conditionalWrite(`starting the upgrade of pool ${pool} of ${cluster.name} to ${version}`, async () => {
      const current = await client.agentPools.get(cluster.resourceGroup, cluster.name, pool);
      await client.agentPools.beginCreateOrUpdate(
        cluster.resourceGroup,
        cluster.name,
        pool,
        { ...current, orchestratorVersion: version },
        ifMatch(current.eTag),
      );
    });
  }

  /** A pool's rollback options, from its upgrade profile (GET agentPools/{pool}/upgradeProfiles/default). */
  async poolRollbackOptions(cluster: Cluster, pool: string): Promise<PoolRollbackOptions> {
    try {
      return toPoolRollbackOptions(pool, await this.client(cluster.subscriptionId).agentPools.getUpgradeProfile(cluster.resourceGroup, cluster.name, pool));
    } catch (error) {
      throw toFleetGuardError(error, `reading the rollback versions of pool ${pool} of ${cluster.name}`);
    }
  }

  /**
   * Starts a node-pool rollback to `to`; returns once ARM accepted it. AKS has no rollback action:
   * a rollback is the pool PUT with `orchestratorVersion` and `nodeImageVersion` set to an entry of
   * `recentlyUsedVersions` (AgentPool.nodeImageVersion, 2026-04-01: "Setting this value triggers an
   * agentPool rollback"), which is what `az aks nodepool rollback` does (Azure/azure-cli#33509).
   * Like an upgrade, the whole pool is read and PUT back with `If-Match` on its `eTag`.
   */
  async startPoolRollback(cluster: Cluster, pool: string, to: { orchestratorVersion: string; nodeImageVersion: string | undefined }): Promise<void> {
    const client = this.client(cluster.subscriptionId);
    await this.conditionalWrite(
      `rolling back pool ${pool} of ${cluster.name} to ${to.orchestratorVersion}${to.nodeImageVersion === undefined ? '' : ` (${to.nodeImageVersion})`}`,
      async () => {
        const current = await client.agentPools.get(cluster.resourceGroup, cluster.name, pool);
        const body = {
          ...current,
          orchestratorVersion: to.orchestratorVersion,
          ...(to.nodeImageVersion === undefined ? {} : { nodeImageVersion: to.nodeImageVersion }),
        };
        await client.agentPools.beginCreateOrUpdate(cluster.resourceGroup, cluster.name, pool, body, ifMatch(current.eTag));
      },
    );
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
    const context = `listing Kubernetes versions of location ${location}`;
    try {
      const result = await this.client(subscriptionId).managedClusters.listKubernetesVersions(location);
      return toVersionCatalog(location, result);
    } catch (error) {
      if (!sdkCouldNotRead(error)) throw toFleetGuardError(error, context);
    }
    try {
      const path = `/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.ContainerService/locations/${encodeURIComponent(location)}/kubernetesVersions?api-version=${API_VERSION}`;
      const body = await this.rawGet(subscriptionId, path, context);
      if (body === undefined) throw new FleetGuardError('clientError', `${context}: HTTP 404`, { status: 404 });
      // The REST body has the SDK model's field names; toVersionCatalog checks every field's type.
      return toVersionCatalog(location, body as KubernetesVersionListResult);
    } catch (error) {
      throw toFleetGuardError(error, context);
    }
  }
}
