/**
 * The simulator's in-memory Azure: clusters per subscription, versions per location. It is mutable
 * so a demo or test can change the fleet between sweeps (fix a cluster, add a subscription).
 */
import { randomUUID } from 'node:crypto';

import semver from 'semver';

import { normalizeLocation, parseResourceId } from '../../lib/model/cluster.js';
import { compareMinors, minorOf } from '../../lib/model/kubernetesVersions.js';
import type { FleetSnapshot, JsonObject } from './snapshot.js';
import type { UpgradeSimulation } from './upgradeSimulation.js';

export interface SimulatedSubscription {
  subscriptionId: string;
  displayName: string;
  clusters: JsonObject[];
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

export class FleetState {
  private readonly subscriptions = new Map<string, SimulatedSubscription>();
  readonly versionsByLocation: Map<string, JsonObject>;
  policyStates: JsonObject | undefined;
  /** Body of `componentPolicyStates/latest/queryResults` over every cluster (`{"value": [...]}`), when seeded. */
  componentPolicyStates: JsonObject | undefined;
  /** Policy definitions and initiatives (`{"value": [...]}` of their bodies), when seeded. */
  policyDefinitions: JsonObject | undefined;
  readonly logs: Map<string, JsonObject>;
  /** Lower-cased cluster id → body of its DiagnosticSettings_List, when seeded (diagnosticSettingsRoutes.ts). */
  readonly diagnosticSettings: Map<string, JsonObject>;
  /** Upgrades in flight and their outcomes (set up by the simulator server). */
  upgrades: UpgradeSimulation | undefined;
  /** Workspaces that exist though no cluster references them (configured ones). */
  readonly extraWorkspaces: string[] = [];
  /** Bumped by every change made through this class; with the cluster count it keys the caches below. */
  private revision = 0;
  private workspacesCache: { key: string; value: Map<string, Set<string>>; all: Set<string> } | undefined;
  private policyIndex: { states: unknown; length: number; bySubscription: Map<string, JsonObject[]> } | undefined;

  constructor(snapshot: FleetSnapshot, extraSubscriptions: readonly string[] = []) {
    this.versionsByLocation = new Map(snapshot.versionsByLocation);
    this.policyStates = snapshot.policyStates;
    this.componentPolicyStates = snapshot.componentPolicyStates;
    this.policyDefinitions = snapshot.policyDefinitions;
    this.logs = new Map(snapshot.logs);
    this.diagnosticSettings = new Map(snapshot.diagnosticSettings ?? []);
    for (const subscriptionId of extraSubscriptions) this.subscription(subscriptionId);
    for (const cluster of snapshot.clusters) this.putCluster(structuredClone(cluster));
  }

  private subscription(subscriptionId: string): SimulatedSubscription {
    const key = subscriptionId.toLowerCase();
    let subscription = this.subscriptions.get(key);
    if (subscription === undefined) {
      subscription = { subscriptionId, displayName: `Subscription ${subscriptionId.slice(0, 8)}`, clusters: [] };
      this.subscriptions.set(key, subscription);
    }
    return subscription;
  }

  listSubscriptions(): SimulatedSubscription[] {
    return [...this.subscriptions.values()];
  }

  hasSubscription(subscriptionId: string): boolean {
    return this.subscriptions.has(subscriptionId.toLowerCase());
  }

  clustersOf(subscriptionId: string): JsonObject[] {
    return this.subscriptions.get(subscriptionId.toLowerCase())?.clusters ?? [];
  }

  findCluster(subscriptionId: string, resourceGroup: string, name: string): JsonObject | undefined {
    return this.clustersOf(subscriptionId).find((cluster) => {
      const parsed = parseResourceId(String(cluster['id']));
      return parsed.resourceGroup?.toLowerCase() === resourceGroup.toLowerCase() && String(cluster['name']).toLowerCase() === name.toLowerCase();
    });
  }

  /**
   * Adds or replaces a cluster (matched by id, case-insensitively). A cluster or pool without an
   * `eTag` gets one: AKS returns `eTag` on the cluster and on each pool profile (ManagedClustersGet
   * and ManagedClustersList 2025-07-01 examples; Learn "use-etags").
   */
  putCluster(cluster: JsonObject): void {
    if (typeof cluster['eTag'] !== 'string') cluster['eTag'] = randomUUID();
    for (const pool of poolsOf(cluster)) if (typeof pool['eTag'] !== 'string') pool['eTag'] = randomUUID();
    const id = String(cluster['id']);
    const subscriptionId = parseResourceId(id).subscriptionId ?? '';
    const clusters = this.subscription(subscriptionId).clusters;
    const index = clusters.findIndex((existing) => String(existing['id']).toLowerCase() === id.toLowerCase());
    if (index >= 0) clusters[index] = cluster;
    else clusters.push(cluster);
    this.revision += 1;
  }

  /** Changes a cluster's `properties` in place; returns false when there is no such cluster. */
  updateClusterProperties(resourceId: string, change: (properties: JsonObject) => void): boolean {
    const subscriptionId = parseResourceId(resourceId).subscriptionId ?? '';
    const cluster = this.clustersOf(subscriptionId).find((existing) => String(existing['id']).toLowerCase() === resourceId.toLowerCase());
    if (cluster === undefined) return false;
    const properties = record(cluster['properties']);
    change(properties);
    cluster['properties'] = properties;
    renewEtags(cluster);
    this.revision += 1;
    return true;
  }

  removeCluster(resourceId: string): boolean {
    const subscriptionId = parseResourceId(resourceId).subscriptionId ?? '';
    const clusters = this.clustersOf(subscriptionId);
    const index = clusters.findIndex((existing) => String(existing['id']).toLowerCase() === resourceId.toLowerCase());
    if (index < 0) return false;
    clusters.splice(index, 1);
    this.revision += 1;
    return true;
  }

  /**
   * Lower-cased workspace ids each cluster reports to (Container Insights, Defender), by cluster key.
   * Every Log Analytics query needs it, so it is computed once per fleet revision: recomputing it per
   * query made the simulator, not the sweep, the bottleneck of the 5,000-cluster benchmark.
   */
  workspacesByCluster(): Map<string, Set<string>> {
    return this.workspaces().value;
  }

  /** Every workspace some cluster reports to, plus the configured extra ones. */
  knownWorkspaces(): Set<string> {
    const all = new Set(this.workspaces().all);
    for (const workspace of this.extraWorkspaces) all.add(workspace.toLowerCase());
    return all;
  }

  private workspaces(): { value: Map<string, Set<string>>; all: Set<string> } {
    let clusterCount = 0;
    for (const subscription of this.subscriptions.values()) clusterCount += subscription.clusters.length;
    const key = `${this.revision}/${clusterCount}`;
    if (this.workspacesCache?.key !== key) {
      const value = this.computeWorkspacesByCluster();
      const all = new Set<string>();
      for (const workspaces of value.values()) for (const workspace of workspaces) all.add(workspace);
      this.workspacesCache = { key, value, all };
    }
    return this.workspacesCache;
  }

  /**
   * The policy states of resources in one subscription. Indexed once per states array (and its
   * length, as tests push states in place), not filtered from the whole fleet on every page.
   */
  policyStatesOf(subscriptionId: string): JsonObject[] {
    const states = Array.isArray(this.policyStates?.['value']) ? (this.policyStates['value'] as JsonObject[]) : [];
    if (this.policyIndex?.states !== states || this.policyIndex.length !== states.length) {
      const bySubscription = new Map<string, JsonObject[]>();
      for (const state of states) {
        if (typeof state['resourceId'] !== 'string') continue;
        const owner = parseResourceId(state['resourceId']).subscriptionId?.toLowerCase() ?? '';
        const own = bySubscription.get(owner);
        if (own) own.push(state);
        else bySubscription.set(owner, [state]);
      }
      this.policyIndex = { states, length: states.length, bySubscription };
    }
    return this.policyIndex.bySubscription.get(subscriptionId.toLowerCase()) ?? [];
  }

  private computeWorkspacesByCluster(): Map<string, Set<string>> {
    const result = new Map<string, Set<string>>();
    for (const subscription of this.subscriptions.values()) {
      for (const cluster of subscription.clusters) {
        const properties = record(cluster['properties']);
        const workspaces = new Set<string>();
        for (const [name, profile] of Object.entries(record(properties['addonProfiles']))) {
          if (name.toLowerCase() !== 'omsagent') continue;
          for (const [key, value] of Object.entries(record(record(profile)['config']))) {
            if (key.toLowerCase() === 'loganalyticsworkspaceresourceid' && typeof value === 'string') workspaces.add(value.toLowerCase());
          }
        }
        const defender = record(record(properties['securityProfile'])['defender'])['logAnalyticsWorkspaceResourceId'];
        if (typeof defender === 'string') workspaces.add(defender.toLowerCase());
        result.set(String(cluster['id']).toLowerCase(), workspaces);
      }
    }
    return result;
  }

  versionsFor(location: string): JsonObject | undefined {
    return this.versionsByLocation.get(normalizeLocation(location));
  }

  /**
   * The upgrade profile ARM derives from the versions list: the control plane may move to newer
   * patches of its minor and to the next minor (AKS never skips one); pools may move up to the
   * control plane's version.
   */
  upgradeProfile(cluster: JsonObject): JsonObject {
    const properties = record(cluster['properties']);
    const current = text(properties['currentKubernetesVersion'], text(properties['kubernetesVersion'], ''));
    const catalog = offeredToPlan(this.versionsFor(String(cluster['location'])) ?? { values: [] }, text(properties['supportPlan'], 'KubernetesOfficial'));
    const upgrades = upgradesFrom(current, catalog);
    const pools = Array.isArray(properties['agentPoolProfiles']) ? (properties['agentPoolProfiles'] as unknown[]).map(record) : [];
    return {
      id: `${String(cluster['id'])}/upgradeprofiles/default`,
      name: 'default',
      type: 'Microsoft.ContainerService/managedClusters/upgradeprofiles',
      properties: {
        controlPlaneProfile: { kubernetesVersion: current, name: 'master', osType: 'Linux', upgrades },
        agentPoolProfiles: pools.map((pool) => {
          const poolVersion = text(pool['currentOrchestratorVersion'], text(pool['orchestratorVersion'], current));
          return {
            name: pool['name'],
            kubernetesVersion: poolVersion,
            osType: pool['osType'] ?? 'Linux',
            // A pool never goes past its control plane.
            upgrades: upgradesFrom(poolVersion, catalog).filter((upgrade) => compareVersions(String(upgrade['kubernetesVersion']), current) <= 0),
          };
        }),
      },
    };
  }
}

/** The cluster's agent pool profiles (the objects themselves, for in-place changes). */
export function poolsOf(cluster: JsonObject | undefined): JsonObject[] {
  const pools = record(cluster?.['properties'])['agentPoolProfiles'];
  return Array.isArray(pools)
    ? (pools as unknown[]).filter((pool): pool is JsonObject => typeof pool === 'object' && pool !== null && !Array.isArray(pool))
    : [];
}

/**
 * A write changes eTags as AKS does (Learn "Enhance concurrency control with entity tags (eTags) in
 * AKS", https://learn.microsoft.com/azure/aks/use-etags): a cluster-level operation renews the
 * cluster's eTag and every pool's; an operation on one pool renews only that pool's.
 */
export function renewEtags(cluster: JsonObject, poolName?: string): void {
  if (poolName === undefined) cluster['eTag'] = randomUUID();
  for (const pool of poolsOf(cluster)) {
    if (poolName === undefined || String(pool['name']).toLowerCase() === poolName.toLowerCase()) pool['eTag'] = randomUUID();
  }
}

/**
 * The catalog as a cluster on `plan` sees it: a minor is offered only to the support plans in its
 * `capabilities.supportPlan` (a minor without capabilities is `KubernetesOfficial`). A standard
 * cluster is never offered an LTS-only minor (Learn "Long-term support for AKS versions":
 * https://learn.microsoft.com/azure/aks/long-term-support; ../shared/CONTRACTS.md §1).
 */
function offeredToPlan(catalog: JsonObject, plan: string): JsonObject {
  const values = Array.isArray(catalog['values']) ? (catalog['values'] as unknown[]).map(record) : [];
  return {
    ...catalog,
    values: values.filter((entry) => {
      const plans = record(entry['capabilities'])['supportPlan'];
      return Array.isArray(plans) ? plans.some((offered) => String(offered).toLowerCase() === plan.toLowerCase()) : plan.toLowerCase() === 'kubernetesofficial';
    }),
  };
}

function upgradesFrom(current: string, catalog: JsonObject): JsonObject[] {
  const currentMinor = minorOf(current);
  const values = Array.isArray(catalog['values']) ? (catalog['values'] as unknown[]).map(record) : [];
  const upgrades: JsonObject[] = [];
  for (const entry of values) {
    const minor = minorOf(String(entry['version']));
    if (minor === undefined || currentMinor === undefined) continue;
    const distance = compareMinors(minor, currentMinor);
    const nextMinor =
      distance > 0 &&
      values.every((other) => {
        const otherMinor = minorOf(String(other['version']));
        return otherMinor === undefined || compareMinors(otherMinor, currentMinor) <= 0 || compareMinors(otherMinor, minor) >= 0;
      });
    for (const patch of Object.keys(record(entry['patchVersions']))) {
      const newerPatch = distance === 0 && compareVersions(patch, current) > 0;
      if (newerPatch || nextMinor) upgrades.push({ kubernetesVersion: patch, ...(entry['isPreview'] === true ? { isPreview: true } : {}) });
    }
  }
  return upgrades.sort((left, right) => compareVersions(String(left['kubernetesVersion']), String(right['kubernetesVersion'])));
}

function compareVersions(left: string, right: string): number {
  return semver.compare(semver.coerce(left) ?? '0.0.0', semver.coerce(right) ?? '0.0.0');
}
