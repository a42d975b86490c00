/**
 * The terms of CONTRACTS.md §5 that several in-cluster rules share: system namespaces, platform
 * bindings, a pod's owner, and the `kubectl`/`az` words of a fix hint.
 */
import type { Cluster } from '../model/cluster.js';
import { shellWord } from '../shellWord.js';
import type { Binding, Namespace, Pod } from './objects.js';

/** Namespaces AKS and its add-ons own; their workloads are the platform's, not the user's. */
const SYSTEM_NAMESPACES = new Set([
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'gatekeeper-system',
  'calico-system',
  'tigera-operator',
  'aks-command',
  'app-routing-system',
]);
/** The label AKS puts on the namespaces it manages. */
const MANAGED_BY = 'kubernetes.azure.com/managedby';

/**
 * Decides whether a namespace is a system namespace: by name, or by the AKS label on its Namespace
 * object. A namespace whose object was not listed is judged by its name alone.
 */
export function systemNamespaces(namespaces: readonly Namespace[]): (name: string) => boolean {
  const labelled = new Set(namespaces.filter((namespace) => namespace.metadata.labels[MANAGED_BY] === 'aks').map((namespace) => namespace.metadata.name));
  return (name) => SYSTEM_NAMESPACES.has(name) || labelled.has(name);
}

/** Bindings AKS and Kubernetes create (`system:*`, `aks-*`); the rest are user bindings. */
export function isUserBinding(binding: Binding): boolean {
  const name = binding.metadata.name;
  return !name.startsWith('system:') && !name.startsWith('aks-');
}

/** `Kind/name` of the pod's controller (`ownerReferences` entry with `controller: true`), else `Pod/name`. */
export function ownerOf(pod: Pod): string {
  const controller = pod.metadata.ownerReferences.find((reference) => reference.controller === true);
  return controller === undefined ? `Pod/${pod.metadata.name}` : `${controller.kind}/${controller.name}`;
}

/** `kubectl --context {cluster}`: the context `az aks get-credentials` writes is named after the cluster. */
export function kubectl(cluster: Cluster): string {
  return `kubectl --context ${shellWord(cluster.name)}`;
}

/** The `az aks get-credentials` that creates that context. */
export function getCredentials(cluster: Cluster): string {
  return `az aks get-credentials --subscription ${shellWord(cluster.subscriptionId)} --resource-group ${shellWord(cluster.resourceGroup)} --name ${shellWord(cluster.name)}`;
}
