/**
 * AKS node-pool version rollback, as the simulator enforces it. A rollback is the agent pool PUT
 * with `orchestratorVersion` and `nodeImageVersion` set to an entry of the pool upgrade profile's
 * `recentlyUsedVersions` (AgentPool.nodeImageVersion in @azure/arm-containerservice 25.3.0,
 * api-version 2026-04-01: "Setting this value triggers an agentPool rollback. Only values from
 * `recentlyUsedVersions` are allowed."; promoted to 2026-04-01 by Azure/azure-rest-api-specs#43524).
 *
 * Sources of the rules:
 * - Learn "Roll back node pool versions in AKS" (https://learn.microsoft.com/azure/aks/roll-back-node-pool-version):
 *   manual, restores both the Kubernetes and the node image version, within 7 days, one step back,
 *   the cluster's auto-upgrade channel disabled first (../shared/reference/service-limits.md).
 * - Azure/karpenter-provider-azure designs/0013-node-image-rollback.md ("aligned with current AKS
 *   agent pool rollback semantics"): one recently-used entry is kept, "matching AKS RP semantics";
 *   its timestamp is when that version pair was last active; older than 7 days it is refused; the
 *   pair (orchestrator version and image) must match.
 * - Azure/azure-cli-extensions#9733 (`az aks nodepool rollback`): with `upgradeChannel` on, "Rollback
 *   will not succeed until auto-upgrade is disabled"; with only `nodeOSUpgradeChannel` on, the
 *   orchestrator version rolls back but the node image does not.
 * AKS's error codes and texts for these refusals are not published (no spec example shows a
 * rollback): the codes below are ARM's generic ones and the texts ours, marked unverified.
 */
import semver from 'semver';

import type { JsonObject } from './snapshot.js';

/** One entry of `recentlyUsedVersions` (AgentPoolRecentlyUsedVersion, 2026-04-01). */
export interface RecentlyUsedVersion {
  orchestratorVersion: string;
  nodeImageVersion: string | undefined;
  /** ISO date-time when this pair was last active (it stopped being the pool's version). */
  timestamp: string;
}

/** How long an entry stays a rollback target (Learn: "within 7 days"; karpenter 0013: "7-day TTL"). */
export const ROLLBACK_WINDOW_MS = 7 * 24 * 60 * 60_000;

/**
 * Whether an api-version has rollback: `recentlyUsedVersions` and a writable `nodeImageVersion`.
 * Learn: preview from 2025-08-02-preview; stable from 2026-04-01 (Azure/azure-rest-api-specs#43524).
 */
export function apiHasRollback(apiVersion: string): boolean {
  const date = /^(\d{4}-\d{2}-\d{2})(-preview)?$/.exec(apiVersion);
  if (date === null) return false;
  return date[2] === undefined ? date[1]! >= '2026-04-01' : date[1]! >= '2025-08-02';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

function older(left: string, right: string): boolean {
  const a = semver.coerce(left);
  const b = semver.coerce(right);
  return a !== null && b !== null && semver.lt(a, b);
}

/** What a pool PUT asks for, seen as a possible rollback. */
export interface PoolWrite {
  /** The pool's current orchestrator version and node image. */
  currentVersion: string;
  currentImage: string;
  /** The body's orchestratorVersion (already defaulted to the pool's) and nodeImageVersion ('' when absent). */
  wantedVersion: string;
  wantedImage: string;
}

/** A PUT is a rollback when it changes the node image, or moves the orchestrator version back. */
export function isRollback(write: PoolWrite): boolean {
  return (write.wantedImage !== '' && write.wantedImage !== write.currentImage) || older(write.wantedVersion, write.currentVersion);
}

export type RollbackDecision =
  { kind: 'refused'; status: number; code: string; message: string; target?: string } | { kind: 'accepted'; entry: RecentlyUsedVersion; nodeImage: string };

/**
 * The rules, in the order a caller is most helped by: the cluster's channels first (fixable by the
 * owner), then whether the pair is a rollback target at all, then its age.
 */
export function decideRollback(
  cluster: JsonObject,
  poolName: string,
  write: PoolWrite,
  recentlyUsed: readonly RecentlyUsedVersion[],
  now: number,
): RollbackDecision {
  const autoUpgrade = record(record(cluster['properties'])['autoUpgradeProfile']);
  const channel = text(autoUpgrade['upgradeChannel']);
  const clusterName = text(cluster['name']);
  // Learn roll-back-node-pool-version: disable the auto-upgrade channel first; az CLI warns
  // "Rollback will not succeed until auto-upgrade is disabled" (Azure/azure-cli-extensions#9733).
  if (channel !== '' && channel.toLowerCase() !== 'none') {
    return {
      kind: 'refused',
      status: 400,
      code: 'OperationNotAllowed',
      message: `Rollback of agent pool '${poolName}' is not allowed while the auto-upgrade channel of managed cluster '${clusterName}' is '${channel}'. Disable auto-upgrade (upgradeChannel 'none') first.`,
    };
  }
  const imageChanges = write.wantedImage !== '' && write.wantedImage !== write.currentImage;
  const osChannel = text(autoUpgrade['nodeOSUpgradeChannel']);
  // Azure/azure-cli-extensions#9733: with nodeOSUpgradeChannel on, "the node image rollback will not succeed".
  if (imageChanges && ['nodeimage', 'securitypatch'].includes(osChannel.toLowerCase())) {
    return {
      kind: 'refused',
      status: 400,
      code: 'OperationNotAllowed',
      message: `Node image rollback of agent pool '${poolName}' is not allowed while the node OS auto-upgrade channel of managed cluster '${clusterName}' is '${osChannel}'. Set nodeOSUpgradeChannel to 'None' or 'Unmanaged' first.`,
    };
  }
  // Only values from recentlyUsedVersions (SDK doc of nodeImageVersion); only one entry is kept, so
  // anything further back than one step is not among them (karpenter 0013, Learn: "one step back").
  const entry = recentlyUsed.find(
    (candidate) => candidate.orchestratorVersion === write.wantedVersion && (!imageChanges || candidate.nodeImageVersion === write.wantedImage),
  );
  if (entry === undefined) {
    const offered = recentlyUsed.map((candidate) => `${candidate.orchestratorVersion}/${candidate.nodeImageVersion ?? '-'}`).join(', ') || 'none';
    return {
      kind: 'refused',
      status: 400,
      code: 'InvalidParameter',
      message: `Agent pool '${poolName}' can only be rolled back to a version in recentlyUsedVersions (${offered}); orchestratorVersion '${write.wantedVersion}' with nodeImageVersion '${write.wantedImage || write.currentImage}' is not one.`,
      target: 'properties.nodeImageVersion',
    };
  }
  // Learn: within 7 days of the upgrade; karpenter 0013: "a validation gate only".
  if (now - Date.parse(entry.timestamp) > ROLLBACK_WINDOW_MS) {
    return {
      kind: 'refused',
      status: 400,
      code: 'InvalidParameter',
      message: `Agent pool '${poolName}' can no longer be rolled back to ${entry.orchestratorVersion}/${entry.nodeImageVersion ?? '-'}: it was last used at ${entry.timestamp}, more than 7 days ago.`,
      target: 'properties.nodeImageVersion',
    };
  }
  return { kind: 'accepted', entry, nodeImage: entry.nodeImageVersion ?? write.currentImage };
}

/**
 * The agent pool upgrade profile (AgentPoolsGetUpgradeProfile example, 2025-08-02-preview): the
 * pool's version, the versions it may move to (never past its control plane), the latest node
 * image, and, for api-versions with rollback, `recentlyUsedVersions` when there is one.
 */
export function agentPoolUpgradeProfile(
  clusterId: string,
  pool: JsonObject,
  upgrades: JsonObject[],
  latestNodeImage: string,
  recentlyUsed: readonly RecentlyUsedVersion[] | undefined,
): JsonObject {
  const version = text(pool['currentOrchestratorVersion']) || text(pool['orchestratorVersion']);
  return {
    id: `${clusterId}/agentPools/${text(pool['name'])}/upgradeprofiles/default`,
    name: 'default',
    properties: {
      kubernetesVersion: version,
      osType: text(pool['osType']) || 'Linux',
      upgrades,
      latestNodeImageVersion: latestNodeImage,
      ...(recentlyUsed === undefined || recentlyUsed.length === 0
        ? {}
        : {
            recentlyUsedVersions: recentlyUsed.map((entry) => ({
              orchestratorVersion: entry.orchestratorVersion,
              ...(entry.nodeImageVersion === undefined ? {} : { nodeImageVersion: entry.nodeImageVersion }),
              timestamp: entry.timestamp,
            })),
          }),
    },
    type: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles',
  };
}
