/**
 * What the rollout activities need from the outside world, declared by the feature: lib/azure and
 * the stores implement these, lib/app wires them (lib/app/rolloutActivities.ts), and a unit test
 * passes plain fakes. Only the members the activities call are listed.
 */
import type { LifecycleChange } from '../findings/lifecycle.js';
import type { Cluster } from '../model/cluster.js';
import type { MaintenanceWindowSpec } from '../model/maintenanceWindow.js';
import type { ClusterNotices } from '../model/notice.js';
import type { PolicyStateRecord } from '../model/policyState.js';
import type { LogsReader } from '../sweep/detectionStage.js';
import type { RolloutStore } from './rolloutStore.js';

/** Reads a cluster and starts its upgrade steps (ARM, lib/azure/containerService.ts). */
export interface ClusterUpgrades {
  getCluster(subscriptionId: string, resourceGroup: string, name: string): Promise<Cluster | undefined>;
  autoUpgradeWindow(cluster: Cluster): Promise<MaintenanceWindowSpec | undefined>;
  /** `blocked`: AKS's pre-flight refused the upgrade (deprecated API use), a permanent answer. */
  startControlPlaneUpgrade(cluster: Cluster, version: string): Promise<{ kind: 'accepted' } | { kind: 'blocked'; message: string }>;
  startPoolUpgrade(cluster: Cluster, pool: string, version: string): Promise<void>;
  startNodeImageUpgrade(cluster: Cluster, pool: string): Promise<void>;
}

/** Holds back (and releases) a cluster's alerts while it upgrades. */
export interface AlertHold {
  ensureTable(): Promise<void>;
  inhibitCluster(clusterId: string, reason: string, until: Date): Promise<void>;
  releaseCluster(clusterId: string): Promise<void>;
}

export interface RolloutActivityDependencies {
  clusters: ClusterUpgrades;
  /** Non-compliant policy states of a resource group (Policy Insights). */
  policy: { listNonCompliantClusterStatesInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<readonly PolicyStateRecord[]> };
  /** The health gate's detections (Log Analytics). */
  logs: LogsReader;
  /** Log Analytics workspaces every cluster is measured in, besides its own (FLEETGUARD_LOG_WORKSPACES). */
  workspaces: readonly string[];
  /** Clusters a health batch measures at once (FLEETGUARD_SWEEP_CONCURRENCY). */
  concurrency: number;
  /** Node-pool rolling notices from Event Grid; absent without storage. */
  notices?: { noticesForCluster(clusterId: string): Promise<Pick<ClusterNotices, 'rolling'>> };
  /** Absent without storage. */
  alertHold?: AlertHold;
  /** The alert pipeline, for the halt alert; absent without storage or alert routes. */
  alerts?: { enqueue(changes: readonly LifecycleChange[], now: Date): Promise<unknown> };
  /** Rollout history and abort markers; absent without storage. */
  rollouts?: Pick<RolloutStore, 'ensureTable' | 'abortRequest' | 'recordClusterStatuses'>;
}
