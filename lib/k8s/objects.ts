/**
 * The Kubernetes API objects the in-cluster rules read (CONTRACTS.md §5), as the API server returns
 * them in a `List` (`kubectl get {resource} -A -o json`, or `GET /api/v1/namespaces` and the like).
 * Only the fields the rules read are typed; everything else is kept and ignored. Field names,
 * optionality and `null`s follow the Kubernetes API reference (v1 core, rbac.authorization.k8s.io/v1,
 * networking.k8s.io/v1): https://kubernetes.io/docs/reference/kubernetes-api/
 */
import { z } from 'zod';

import { describeZodError, FleetGuardError, formatIssuePath } from '../errors.js';
import { KUBERNETES_RESOURCES, type KubernetesResource } from '../model/inCluster.js';

export { KUBERNETES_RESOURCES, type KubernetesResource };

/** A string map the API server omits when empty (labels, annotations); `null` reads as empty. */
const stringMap = z
  .record(z.string(), z.string())
  .nullish()
  .transform((map) => map ?? {});
/** A list the API server omits when empty; `null` reads as empty. */
function listOf<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((items) => items ?? []);
}

const ownerReference = z.looseObject({ kind: z.string(), name: z.string(), controller: z.boolean().nullish() });

const objectMeta = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().nullish(),
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: listOf(ownerReference),
});

/** `subjects` and `roleRef` of (Cluster)RoleBindings (rbac.authorization.k8s.io/v1). */
const subject = z.looseObject({ kind: z.string(), name: z.string(), namespace: z.string().nullish() });
const binding = z.looseObject({
  metadata: objectMeta,
  roleRef: z.looseObject({ kind: z.string(), name: z.string() }),
  subjects: listOf(subject),
});

const policyRule = z.looseObject({ verbs: listOf(z.string()), resources: listOf(z.string()) });
/** Roles and ClusterRoles; an aggregated ClusterRole's `rules` are filled in by the controller (or null). */
const role = z.looseObject({ metadata: objectMeta, rules: listOf(policyRule) });

const labelSelector = z
  .looseObject({ matchLabels: stringMap, matchExpressions: listOf(z.unknown()) })
  .nullish()
  .transform((selector) => selector ?? { matchLabels: {}, matchExpressions: [] });
const networkPolicy = z.looseObject({
  metadata: objectMeta,
  spec: z.looseObject({
    podSelector: labelSelector,
    /** Absent only in hand-made files: the API server defaults it on create (see `policyTypesOf`). */
    policyTypes: z.array(z.string()).nullish(),
    ingress: listOf(z.unknown()),
    egress: listOf(z.unknown()),
  }),
});

const serviceAccount = z.looseObject({ metadata: objectMeta, automountServiceAccountToken: z.boolean().nullish() });

const container = z.looseObject({
  name: z.string(),
  securityContext: z.looseObject({ privileged: z.boolean().nullish() }).nullish(),
});
const pod = z.looseObject({
  metadata: objectMeta,
  spec: z.looseObject({
    containers: listOf(container),
    initContainers: listOf(container),
    ephemeralContainers: listOf(container),
    hostNetwork: z.boolean().nullish(),
    hostPID: z.boolean().nullish(),
    hostIPC: z.boolean().nullish(),
    volumes: listOf(z.looseObject({ name: z.string(), hostPath: z.looseObject({ path: z.string() }).nullish() })),
    serviceAccountName: z.string().nullish(),
    /** Deprecated alias of `serviceAccountName`, still returned by the API server. */
    serviceAccount: z.string().nullish(),
  }),
});

const ITEM_SCHEMAS = {
  namespaces: z.looseObject({ metadata: objectMeta }),
  clusterrolebindings: binding,
  rolebindings: binding,
  clusterroles: role,
  roles: role,
  networkpolicies: networkPolicy,
  serviceaccounts: serviceAccount,
  pods: pod,
} as const;

export type Namespace = z.output<(typeof ITEM_SCHEMAS)['namespaces']>;
export type Binding = z.output<typeof binding>;
export type Subject = Binding['subjects'][number];
export type Role = z.output<typeof role>;
export type NetworkPolicy = z.output<typeof networkPolicy>;
export type ServiceAccount = z.output<typeof serviceAccount>;
export type Pod = z.output<typeof pod>;

/** The objects of one cluster, by resource. A resource that could not be read is absent: the rules that need it do not run. */
export interface KubernetesObjects {
  namespaces?: Namespace[];
  clusterrolebindings?: Binding[];
  rolebindings?: Binding[];
  clusterroles?: Role[];
  roles?: Role[];
  networkpolicies?: NetworkPolicy[];
  serviceaccounts?: ServiceAccount[];
  pods?: Pod[];
}

/** What `kubectl get -o json` and the list endpoints return: a `List` (or `{Kind}List`) with `items`. */
const LIST_SCHEMAS = new Map(
  KUBERNETES_RESOURCES.map((resource) => [
    resource,
    z.looseObject({ kind: z.string().regex(/List$/, 'must be a List'), items: z.array(ITEM_SCHEMAS[resource] as z.ZodType) }),
  ]),
);

/**
 * Validates one `List` body of `resource`. A malformed body is a `badInput` error naming `source`
 * (the file, or the API path) and the field: `.../pods.json: items[3].spec.containers: expected array`.
 */
export function parseKubernetesList<R extends KubernetesResource>(resource: R, body: unknown, source: string): NonNullable<KubernetesObjects[R]> {
  const result = LIST_SCHEMAS.get(resource)!.safeParse(body);
  // The item schema of `resource` produced these items (the map is keyed by the same resource).
  if (result.success) return result.data.items as NonNullable<KubernetesObjects[R]>;
  const where = (issuePath: readonly PropertyKey[]) => `${formatIssuePath(issuePath, 'indexed') || '(top level)'}${itemName(body, issuePath)}`;
  throw new FleetGuardError('badInput', `${source}: ${describeZodError(result.error, { whole: '(top level)', path: where })}`);
}

/** Names the object an issue is about: ` (pod web-1)`. */
function itemName(body: unknown, issuePath: readonly PropertyKey[]): string {
  if (issuePath[0] !== 'items' || typeof issuePath[1] !== 'number') return '';
  const item = (body as { items?: unknown[] }).items?.[issuePath[1]] as { kind?: unknown; metadata?: { name?: unknown } } | undefined;
  const name = item?.metadata?.name;
  return typeof name === 'string' ? ` (${typeof item?.kind === 'string' ? `${item.kind.toLowerCase()} ` : ''}${name})` : '';
}
