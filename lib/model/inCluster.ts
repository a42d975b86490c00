/**
 * What a sweep knows of a cluster's inside (CONTRACTS.md §5): the Kubernetes resources it reads,
 * and, per cluster, whether they could be read. The port the sweep reads them through lives here so
 * that the snapshot reader (tooling) and a live Kubernetes API adapter (lib/azure) can implement it
 * without importing a feature.
 */
import type { Cluster } from './cluster.js';

/** The resources §5 reads, by their plural name (the file name in a snapshot, the path segment in the API). Never Secrets. */
export const KUBERNETES_RESOURCES = [
  'namespaces',
  'clusterrolebindings',
  'rolebindings',
  'clusterroles',
  'roles',
  'networkpolicies',
  'serviceaccounts',
  'pods',
] as const;
export type KubernetesResource = (typeof KUBERNETES_RESOURCES)[number];

/**
 * A cluster's in-cluster coverage. Only `checked` evaluates the K8S-* rules; the others are gaps
 * the sweep reports, and none of them resolves a finding (the rules were not evaluated).
 * - `unreachable`: no network line-of-sight (private API server, authorized IP ranges without us, timeout), or not captured in a snapshot;
 * - `unauthorized`: the API server refused our identity (no role yet);
 * - `notEntraIntegrated`: local accounts only, so the app's Entra identity cannot sign in.
 */
export const IN_CLUSTER_STATES = ['checked', 'unreachable', 'unauthorized', 'notEntraIntegrated'] as const;
export type InClusterState = (typeof IN_CLUSTER_STATES)[number];

/** One `List` body as the API server returned it, and where it came from (file or URL) for messages. */
export interface KubernetesListBody {
  body: unknown;
  source: string;
}

export type InClusterRead =
  | {
      state: 'checked';
      /** The bodies read, by resource. An absent resource could not be read: the rules that need it are not evaluated. */
      lists: Partial<Record<KubernetesResource, KubernetesListBody>>;
      /** Why each absent resource is absent, when the reader knows (shown with the coverage). */
      unread?: Partial<Record<KubernetesResource, string>>;
      /** How the objects were read when not from the API server directly: through AKS runCommand (lib/azure/runCommand.ts). */
      via?: 'runCommand';
    }
  | { state: Exclude<InClusterState, 'checked'>; reason: string };

/** Reads a cluster's Kubernetes objects: from its API server (live) or a snapshot folder. */
export interface InClusterReader {
  read(cluster: Cluster): Promise<InClusterRead>;
}
