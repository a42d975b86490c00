/**
 * Kubernetes objects for the in-cluster rule tests, written as the API server returns them and read
 * through the same schema as a snapshot file or an API response (lib/k8s/objects.ts).
 */
import { KUBERNETES_RESOURCES, type KubernetesObjects, type KubernetesResource, parseKubernetesList } from '../../lib/k8s/objects.js';

type Json = Record<string, unknown>;

/** Every resource present (empty unless given): the rules that need them all run. */
export function kubernetesObjects(raw: Partial<Record<KubernetesResource, Json[]>>): Required<KubernetesObjects> {
  const objects: Record<string, unknown> = {};
  for (const resource of KUBERNETES_RESOURCES)
    objects[resource] = parseKubernetesList(resource, { kind: 'List', items: raw[resource] ?? [] }, `test ${resource}`);
  return objects as Required<KubernetesObjects>;
}

export function namespace(name: string, labels: Record<string, string> = {}): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export interface SubjectSpec {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

export function clusterRoleBinding(name: string, role: string, subjects: SubjectSpec[]): Json {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  };
}

export function roleBinding(namespaceName: string, name: string, roleRef: { kind: 'Role' | 'ClusterRole'; name: string }, subjects: SubjectSpec[]): Json {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace: namespaceName },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects,
  };
}

export function clusterRole(name: string, rules: Json[]): Json {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules };
}

export function role(namespaceName: string, name: string, rules: Json[]): Json {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: namespaceName }, rules };
}

export function networkPolicy(namespaceName: string, name: string, spec: Json): Json {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: namespaceName }, spec };
}

export function serviceAccount(namespaceName: string, name: string, extra: Json = {}, annotations: Record<string, string> = {}): Json {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: namespaceName, annotations }, ...extra };
}

export interface PodSpecOptions {
  owner?: { kind: string; name: string; controller?: boolean };
  labels?: Record<string, string>;
  spec?: Json;
}

export function pod(namespaceName: string, name: string, options: PodSpecOptions = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: namespaceName,
      labels: options.labels ?? {},
      ...(options.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', uid: 'u', controller: true, ...options.owner }] } : {}),
    },
    spec: { containers: [{ name: 'main', image: 'contoso.azurecr.io/app:1.0' }], ...options.spec },
  };
}
