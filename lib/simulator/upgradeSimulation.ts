/**
 * Write operations of AKS as long-running operations that take simulated time: upgrades of the
 * control plane and of agent pools, and node-image upgrades. They complete (or fail, when told to)
 * once the simulator's clock passes their end time; anomalies make a named cluster's health
 * detections spike after its upgrade.
 */
import { randomUUID } from 'node:crypto';

import type { FleetState } from './fleetState.js';
import type { JsonObject } from './snapshot.js';

export interface UpgradeOperation {
  id: string;
  clusterId: string;
  kind: 'controlPlane' | 'agentPool' | 'nodeImage';
  pool: string | undefined;
  target: string;
  startedAt: number;
  completesAt: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
}

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
  /** `aksManagedAutoUpgradeSchedule` maintenance windows (REST shape) by cluster key. */
  readonly maintenanceWindows = new Map<string, JsonObject>();
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
    return [...this.operations.values()].some((operation) => operation.clusterId.toLowerCase() === clusterId.toLowerCase() && operation.status === 'InProgress');
  }

  start(clusterId: string, kind: UpgradeOperation['kind'], target: string, pool?: string): UpgradeOperation {
    const cluster = this.clusterOf(clusterId);
    if (cluster === undefined) throw new Error(`no cluster ${clusterId}`);
    const now = this.now();
    const operation: UpgradeOperation = { id: randomUUID(), clusterId, kind, pool, target, startedAt: now, completesAt: now + this.upgradeMs, status: 'InProgress' };
    this.operations.set(operation.id, operation);
    const properties = record(cluster['properties']);
    properties['provisioningState'] = 'Upgrading';
    if (kind === 'controlPlane') properties['kubernetesVersion'] = target;
    for (const profile of Array.isArray(properties['agentPoolProfiles']) ? (properties['agentPoolProfiles'] as JsonObject[]) : []) {
      if (pool !== undefined && profile['name'] === pool) {
        profile['provisioningState'] = 'Upgrading';
        if (kind === 'agentPool') profile['orchestratorVersion'] = target;
      }
    }
    return operation;
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
          if (!failed && operation.kind === 'agentPool') profile['currentOrchestratorVersion'] = operation.target;
          if (!failed && operation.kind === 'nodeImage') profile['nodeImageVersion'] = `AKSUbuntu-2204gen2containerd-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '.')}`;
        }
      }
      const stillRunning = [...this.operations.values()].some((other) => other !== operation && other.clusterId === operation.clusterId && other.status === 'InProgress');
      if (failed) properties['provisioningState'] = 'Failed';
      else if (!stillRunning) properties['provisioningState'] = 'Succeeded';
      if (!failed && operation.kind === 'controlPlane') {
        properties['currentKubernetesVersion'] = operation.target;
        this.upgradedAt.set(operation.clusterId.toLowerCase(), now);
      }
    }
  }
}
