/**
 * The `kubernetes/{subscriptionId}/{resourceGroup}/{clusterName}/{resource}.json` folders of a
 * snapshot (CONTRACTS.md §5): bodies of `kubectl get {resource} -A -o json`. Every file is validated
 * when the snapshot loads, so a malformed one stops the run naming the file and the field. They are
 * served to the sweep as an in-cluster reader; a cluster without a folder is a coverage gap.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { parseKubernetesList } from '../../lib/k8s/objects.js';
import { type Cluster, parseResourceId, resourceKey } from '../../lib/model/cluster.js';
import { type InClusterReader, KUBERNETES_RESOURCES, type KubernetesListBody, type KubernetesResource } from '../../lib/model/inCluster.js';
import { readSnapshotJson } from './snapshotFile.js';

export interface KubernetesFolder {
  /** The folder, for messages. */
  folder: string;
  /** The files present, as read (validated). */
  lists: Partial<Record<KubernetesResource, KubernetesListBody>>;
}

/** Lower-cased cluster id → its folder. */
export type SnapshotKubernetes = Map<string, KubernetesFolder>;

/** The entries of a folder, case-insensitively by name (folder names match ARM ids case-insensitively). */
function entriesByLowerName(directory: string): Map<string, string> {
  return new Map(readdirSync(directory).map((name) => [name.toLowerCase(), path.join(directory, name)]));
}

/**
 * Reads the folder of each cluster of the snapshot. Folders that match no cluster are not read: the
 * cluster they were meant for shows as not checked, naming the folder it looked for.
 */
export function loadKubernetesFolders(directory: string, clusterIds: readonly string[]): SnapshotKubernetes {
  const folders: SnapshotKubernetes = new Map();
  const root = path.join(directory, 'kubernetes');
  if (!existsSync(root) || !statSync(root).isDirectory()) return folders;
  const subscriptions = entriesByLowerName(root);
  for (const id of clusterIds) {
    const { subscriptionId, resourceGroup, name } = parseResourceId(id);
    const subscriptionFolder = subscriptions.get((subscriptionId ?? '').toLowerCase());
    const groupFolder =
      subscriptionFolder && statSync(subscriptionFolder).isDirectory()
        ? entriesByLowerName(subscriptionFolder).get((resourceGroup ?? '').toLowerCase())
        : undefined;
    const clusterFolder = groupFolder && statSync(groupFolder).isDirectory() ? entriesByLowerName(groupFolder).get((name ?? '').toLowerCase()) : undefined;
    if (clusterFolder === undefined || !statSync(clusterFolder).isDirectory()) continue;
    const files = entriesByLowerName(clusterFolder);
    const lists: KubernetesFolder['lists'] = {};
    for (const resource of KUBERNETES_RESOURCES) {
      const file = files.get(`${resource}.json`);
      if (file === undefined) continue;
      const body = readSnapshotJson(file);
      parseKubernetesList(resource, body, file);
      lists[resource] = { body, source: file };
    }
    folders.set(resourceKey(id), { folder: clusterFolder, lists });
  }
  return folders;
}

/** The in-cluster reader of a snapshot: a folder is `checked`, its absent files unread; no folder is a gap. */
export function snapshotInClusterReader(kubernetes: SnapshotKubernetes): InClusterReader {
  return {
    read(cluster: Cluster) {
      const folder = kubernetes.get(resourceKey(cluster.id));
      if (folder !== undefined) {
        const unread = Object.fromEntries(
          KUBERNETES_RESOURCES.filter((resource) => folder.lists[resource] === undefined).map((resource) => [
            resource,
            `${resource}.json is not in ${folder.folder}`,
          ]),
        );
        return Promise.resolve({ state: 'checked', lists: folder.lists, unread });
      }
      const expected = `kubernetes/${cluster.subscriptionId}/${cluster.resourceGroup}/${cluster.name}/`;
      if (cluster.aadManaged !== true) {
        return Promise.resolve({
          state: 'notEntraIntegrated',
          reason: `cluster ${cluster.name} is not Entra-integrated (local accounts only), so the app's identity cannot sign in to its API server; the snapshot has no ${expected} folder`,
        });
      }
      return Promise.resolve({ state: 'unreachable', reason: `the snapshot has no ${expected} folder (not captured, or not reachable when it was)` });
    },
  };
}
