/**
 * Write operations of AKS as long-running operations that take simulated time: upgrades of the
 * control plane and of agent pools, and node-image upgrades. They complete (or fail, when told to)
 * once the simulator's clock passes their end time; anomalies make a named cluster's health
 * detections spike after its upgrade.
 */
import { randomUUID } from 'node:crypto';

import { compareMinors, minorOf } from '../../lib/model/kubernetesVersions.js';
import type { FleetState } from './fleetState.js';
import type { RecentlyUsedVersion } from './poolRollback.js';
import type { JsonObject } from './snapshot.js';

export interface UpgradeOperation {
  id: string;
  clusterId: string;
  /** `rollback`: a pool PUT back to its recentlyUsedVersions entry (poolRollback.ts). */
  kind: 'controlPlane' | 'agentPool' | 'nodeImage' | 'rollback';
  pool: string | undefined;
  target: string;
  /** The node image a rollback restores. */
  targetNodeImage?: string;
  /** The pool's version pair when the operation started: recorded as recently used when it succeeds. */
  previous?: { orchestratorVersion: string; nodeImageVersion: string | undefined };
  startedAt: number;
  completesAt: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
}

/**
 * Use of a Kubernetes API that a later minor removes, as AKS records it per cluster (hourly) for its
 * upgrade pre-flight. Nothing in ARM exposes it: tests and rehearsals set it on the simulator.
 */
export interface DeprecatedApiUsage {
  /** The API as AKS names it, e.g. `flowcontrol.apiserver.k8s.io.prioritylevelconfigurations.v1beta1`. */
  api: string;
  /** The minor that removes it (`1.32`). */
  removedIn: string;
  /** When it was last seen (ms since the epoch, on the simulator's clock). */
  lastSeen: number;
}

/** How far back AKS looks for deprecated API use before a minor upgrade (Learn: stop-cluster-upgrade-api-breaking-changes). */
const DEPRECATED_USAGE_WINDOW_MS = 12 * 60 * 60_000;

export interface UpgradeSimulationOptions {
  now?: () => number;
  /** Simulated duration of each operation (default 10 minutes). */
  upgradeMinutes?: number;
}

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

export class UpgradeSimulation {
  readonly operations = new Map<string, UpgradeOperation>();
  /** PUTs and node-image POSTs per cluster key: "upgraded exactly once" is checked against this. */
  readonly writesByCluster = new Map<string, number>();
  /** When each cluster finished its last control-plane upgrade. */
  readonly upgradedAt = new Map<string, number>();
  readonly failingClusters = new Set<string>();
  readonly anomalousClusters = new Set<string>();
  /** Deprecated API use per cluster name (lower case), read by the control-plane upgrade pre-flight. */
  readonly deprecatedApiUsage = new Map<string, DeprecatedApiUsage>();
  /** `aksManagedAutoUpgradeSchedule` maintenance windows (REST shape) by cluster key. */
  readonly maintenanceWindows = new Map<string, JsonObject>();
  /**
   * `recentlyUsedVersions` per pool (key: {@link poolKey}): the pair a pool left by its last
   * successful upgrade. One entry, as AKS keeps (poolRollback.ts); tests may seed older ones.
   */
  readonly recentlyUsed = new Map<string, RecentlyUsedVersion[]>();
  now: () => number;
  upgradeMs: number;

  constructor(
    private readonly fleet: FleetState,
    options: UpgradeSimulationOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.upgradeMs = (options.upgradeMinutes ?? 10) * 60_000;
  }

  private clusterOf(clusterId: string): JsonObject | undefined {
    const subscription = clusterId.split('/')[2] ?? '';
    return this.fleet.clustersOf(subscription).find((cluster) => String(cluster['id']).toLowerCase() === clusterId.toLowerCase());
  }

  /** Every write request (accepted, refused or no-op) counts: idempotence is about not sending them. */
  countWrite(clusterId: string): void {
    const key = clusterId.toLowerCase();
    this.writesByCluster.set(key, (this.writesByCluster.get(key) ?? 0) + 1);
  }

  inProgress(clusterId: string): boolean {
    this.settle();
    return [...this.operations.values()].some(
      (operation) => operation.clusterId.toLowerCase() === clusterId.toLowerCase() && operation.status === 'InProgress',
    );
  }

  /**
   * `previous`: the pool's pair before the write (a pool PUT has already stored its new version by
   * the time it starts the operation); read from the pool when not given.
   */
  start(
    clusterId: string,
    kind: UpgradeOperation['kind'],
    target: string,
    pool?: string,
    extra: { targetNodeImage?: string; previous?: UpgradeOperation['previous'] } = {},
  ): UpgradeOperation {
    const { targetNodeImage } = extra;
    const cluster = this.clusterOf(clusterId);
    if (cluster === undefined) throw new Error(`no cluster ${clusterId}`);
    const now = this.now();
    const operation: UpgradeOperation = {
      id: randomUUID(),
      clusterId,
      kind,
      pool,
      target,
      ...(targetNodeImage === undefined ? {} : { targetNodeImage }),
      startedAt: now,
      completesAt: now + this.upgradeMs,
      status: 'InProgress',
    };
    this.operations.set(operation.id, operation);
    const properties = record(cluster['properties']);
    properties['provisioningState'] = 'Upgrading';
    if (kind === 'controlPlane') properties['kubernetesVersion'] = target;
    for (const profile of Array.isArray(properties['agentPoolProfiles']) ? (properties['agentPoolProfiles'] as JsonObject[]) : []) {
      if (pool !== undefined && profile['name'] === pool) {
        const image = typeof profile['nodeImageVersion'] === 'string' ? profile['nodeImageVersion'] : undefined;
        const version =
          [profile['currentOrchestratorVersion'], profile['orchestratorVersion']].find((value): value is string => typeof value === 'string' && value !== '') ??
          '';
        operation.previous = extra.previous ?? { orchestratorVersion: version, nodeImageVersion: image };
        // AgentPoolsUpgradeNodeImageVersion example (2025-07-01): the pool reads UpgradingNodeImageVersion.
        profile['provisioningState'] = kind === 'nodeImage' ? 'UpgradingNodeImageVersion' : 'Upgrading';
        if (kind === 'agentPool' || kind === 'rollback') profile['orchestratorVersion'] = target;
      }
    }
    return operation;
  }

  /**
   * AKS's pre-flight for a control-plane upgrade from `current` to `target`: the refusal message
   * when it is blocked on deprecated API use, or undefined. Rule and message from Learn, "Stop AKS
   * cluster upgrades automatically on API breaking changes"
   * (https://learn.microsoft.com/azure/aks/stop-cluster-upgrade-api-breaking-changes): a minor
   * version change of the control plane, to 1.26 or later, of a cluster that used an API the target
   * removes within the last 12 hours. `overrideSettings` is the PUT body's
   * `properties.upgradeSettings.overrideSettings` (ClusterUpgradeSettings / UpgradeOverrideSettings
   * in the 2025-07-01 spec): `forceUpgrade: true` bypasses the check, but only while `until` is in
   * the future ("It must be set for the overrides to take effect").
   */
  deprecatedApiRefusal(clusterName: string, current: string, target: string, overrideSettings: unknown): string | undefined {
    const usage = this.deprecatedApiUsage.get(clusterName.toLowerCase());
    const from = minorOf(current);
    const to = minorOf(target);
    if (usage === undefined || from === undefined || to === undefined) return undefined;
    if (compareMinors(to, from) <= 0 || compareMinors(to, '1.26') < 0) return undefined;
    if (compareMinors(to, usage.removedIn) < 0 || compareMinors(from, usage.removedIn) >= 0) return undefined;
    const now = this.now();
    if (usage.lastSeen > now || now - usage.lastSeen > DEPRECATED_USAGE_WINDOW_MS) return undefined;
    const override = record(overrideSettings);
    const until = typeof override['until'] === 'string' ? Date.parse(override['until']) : Number.NaN;
    if (override['forceUpgrade'] === true && until > now) return undefined;
    const seen = new Date(usage.lastSeen)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' +0000 UTC');
    return (
      'Control Plane upgrade is blocked due to recent usage of a Kubernetes API deprecated in the specified version. ' +
      'Please refer to https://kubernetes.io/docs/reference/using-api/deprecation-guide to migrate the usage. ' +
      'To bypass this error, set enable-force-upgrade in upgradeSettings.overrideSettings. ' +
      'Bypassing this error without migrating usage will result in the deprecated Kubernetes API calls failing. ' +
      `Usage details: 1 error occurred:\n\t* usage has been detected on API ${usage.api}, and was recently seen at: ${seen}, which will be removed in ${usage.removedIn}\n\n`
    );
  }

  /** The key of a pool in {@link recentlyUsed}. */
  static poolKey(clusterId: string, pool: string): string {
    return `${clusterId.toLowerCase()}/${pool.toLowerCase()}`;
  }

  /** The newest node image the simulator offers on a day (also what a node-image upgrade installs). */
  static latestNodeImage(now: number): string {
    return `AKSUbuntu-2204gen2containerd-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '.')}`;
  }

  /**
   * A pool operation that succeeded. An upgrade (version or image) records the pair the pool left
   * as its one recently used version, timestamped now (karpenter 0013: "the time this pair was last
   * active", i.e. when the operation ended); a Kubernetes upgrade reimages nodes onto the latest image too (Learn node-image-upgrade:
   * upgrading the Kubernetes version also upgrades the node image), when the pool reports one.
   * A rollback restores both versions and leaves nothing to roll back to: one step back only
   * (Learn roll-back-node-pool-version; what AKS then lists is not documented, unverified).
   */
  private completePoolOperation(operation: UpgradeOperation, profile: JsonObject, now: number): void {
    const key = UpgradeSimulation.poolKey(operation.clusterId, String(profile['name']));
    if (operation.kind === 'rollback') {
      profile['currentOrchestratorVersion'] = operation.target;
      if (operation.targetNodeImage !== undefined) profile['nodeImageVersion'] = operation.targetNodeImage;
      this.recentlyUsed.delete(key);
      return;
    }
    if (operation.kind === 'agentPool') {
      profile['currentOrchestratorVersion'] = operation.target;
      if (typeof profile['nodeImageVersion'] === 'string') profile['nodeImageVersion'] = UpgradeSimulation.latestNodeImage(now);
    }
    if (operation.kind === 'nodeImage') profile['nodeImageVersion'] = UpgradeSimulation.latestNodeImage(now);
    const previous = operation.previous;
    // When the operation ended, not when the simulator noticed: operations settle lazily.
    if (previous !== undefined && previous.orchestratorVersion !== '')
      this.recentlyUsed.set(key, [{ ...previous, timestamp: new Date(operation.completesAt).toISOString() }]);
  }

  /** Completes every operation whose time has come. */
  settle(): void {
    const now = this.now();
    for (const operation of this.operations.values()) {
      if (operation.status !== 'InProgress' || operation.completesAt > now) continue;
      const cluster = this.clusterOf(operation.clusterId);
      const name = typeof cluster?.['name'] === 'string' ? cluster['name'].toLowerCase() : '';
      const failed = this.failingClusters.has(name);
      operation.status = failed ? 'Failed' : 'Succeeded';
      const properties = record(cluster?.['properties']);
      for (const profile of Array.isArray(properties['agentPoolProfiles']) ? (properties['agentPoolProfiles'] as JsonObject[]) : []) {
        if (operation.pool !== undefined && profile['name'] === operation.pool) {
          profile['provisioningState'] = failed ? 'Failed' : 'Succeeded';
          if (!failed) this.completePoolOperation(operation, profile, now);
        }
      }
      const stillRunning = [...this.operations.values()].some(
        (other) => other !== operation && other.clusterId === operation.clusterId && other.status === 'InProgress',
      );
      if (failed) properties['provisioningState'] = 'Failed';
      else if (!stillRunning) properties['provisioningState'] = 'Succeeded';
      if (!failed && operation.kind === 'controlPlane') {
        properties['currentKubernetesVersion'] = operation.target;
        this.upgradedAt.set(operation.clusterId.toLowerCase(), now);
      }
    }
  }
}
