/**
 * What the Kubernetes API stand-in answers besides the lists (kubernetesApi.ts): the discovery
 * documents and `/version` a client such as kubectl reads before it lists anything, and the content
 * negotiation of the `Accept` header, as kube-apiserver does. Only the groups and resources the
 * stand-in serves are advertised, plus Secrets: a real API server lists `secrets` in discovery
 * whatever the caller may do (discovery is not filtered by RBAC), and refuses the list with 403.
 *
 * Sources:
 * - Discovery, aggregated and unaggregated: https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api
 *   ("Without indicating the resource type using the Accept header, the default response for the
 *   /api and /apis endpoint is an unaggregated discovery document"); KEP-3352 Aggregated Discovery
 *   (https://www.kubernetes.dev/resources/keps/3352/, stable in 1.30), types k8s.io/api/apidiscovery/v2;
 * - the unaggregated shapes (APIVersions, APIGroupList, APIResourceList): k8s.io/apimachinery
 *   pkg/apis/meta/v1/types.go;
 * - 406 NotAcceptable: k8s.io/apiserver pkg/endpoints/handlers/negotiation/errors.go
 *   ("only the following media types are accepted: ...", reason NotAcceptable);
 * - `/version`: k8s.io/apimachinery pkg/version/types.go (Info).
 */

/** What one discovery entry says of a resource the stand-in serves. */
export interface DiscoveredResource {
  /** The plural: the path segment. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
}

/** A group version: `''` is the core group (served under `/api/v1`). */
export interface DiscoveredGroupVersion {
  group: string;
  version: string;
  resources: DiscoveredResource[];
}

/**
 * The verbs advertised for every resource: the stand-in serves list and get, read-only (kubectl
 * reads discovery verbs to decide, e.g., whether `kubectl get` may list).
 */
const VERBS = ['get', 'list'];

/** The API surface the stand-in serves (kube-apiserver's own names, kinds, scopes and short names). */
export const DISCOVERY: readonly DiscoveredGroupVersion[] = [
  {
    group: '',
    version: 'v1',
    resources: [
      { resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
      { resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'] },
      { resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true },
      { resource: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] },
    ],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resources: [
      { resource: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false },
      { resource: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false },
      { resource: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true },
      { resource: 'roles', singular: 'role', kind: 'Role', namespaced: true },
    ],
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    resources: [{ resource: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'] }],
  },
];

/**
 * The version `/version` reports: a release AKS supports, so that version-picking clients (the
 * gcloud kubectl dispatcher picks its kubectl by the server's minor) behave as against AKS.
 */
export const STAND_IN_KUBERNETES_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.8' };

/** The aggregated discovery media type (KEP-3352); `Content-Type` says which document was served. */
export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

type Json = Record<string, unknown>;

export interface DiscoveryAnswer {
  status: number;
  body: Json;
  contentType: string;
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

function parseAccept(header: string): MediaRange[] {
  if (header.trim() === '') return [{ type: '*/*', params: new Map() }];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((piece) => piece.trim());
    const params = new Map(
      rest.map((piece) => {
        const at = piece.indexOf('=');
        return [piece.slice(0, at).trim().toLowerCase(), piece.slice(at + 1).trim()] as [string, string];
      }),
    );
    return { type: type.toLowerCase(), params };
  });
}

/**
 * The representation to serve for an `Accept` header, as the API server negotiates it: the first
 * range it can produce wins. `aggregated` only where the endpoint has an aggregated form (`/api`,
 * `/apis`). A range asking for a form the stand-in does not produce (`as=Table`, protobuf, YAML) is
 * skipped, so kubectl's `Table, ..., application/json` falls back to plain JSON; nothing acceptable
 * is 406.
 */
export function negotiate(accept: string, aggregatedEndpoint: boolean): 'json' | 'aggregated' | undefined {
  for (const range of parseAccept(accept)) {
    if (range.params.get('q') === '0') continue;
    const as = range.params.get('as');
    const jsonLike = range.type === 'application/json' || range.type === 'application/*' || range.type === '*/*';
    if (!jsonLike) continue;
    if (as === undefined) return 'json';
    if (aggregatedEndpoint && as === 'APIGroupDiscoveryList' && range.params.get('g') === 'apidiscovery.k8s.io' && range.params.get('v') === 'v2')
      return 'aggregated';
  }
  return undefined;
}

/** 406 with the Status the API server writes for a failed Accept negotiation. */
export function notAcceptable(): DiscoveryAnswer {
  return {
    status: 406,
    contentType: 'application/json',
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `only the following media types are accepted: application/json, ${AGGREGATED_DISCOVERY_TYPE}`,
      reason: 'NotAcceptable',
      code: 406,
    },
  };
}

function groupVersion(entry: DiscoveredGroupVersion): string {
  return entry.group === '' ? entry.version : `${entry.group}/${entry.version}`;
}

function resourceList(entry: DiscoveredGroupVersion): Json {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(entry),
    resources: entry.resources.map((resource) => ({
      name: resource.resource,
      singularName: resource.singular,
      namespaced: resource.namespaced,
      kind: resource.kind,
      verbs: VERBS,
      ...(resource.shortNames === undefined ? {} : { shortNames: resource.shortNames }),
    })),
  };
}

function aggregatedGroup(entries: readonly DiscoveredGroupVersion[]): Json {
  const [first] = entries;
  return {
    metadata: first === undefined || first.group === '' ? {} : { name: first.group },
    versions: entries.map((entry) => ({
      version: entry.version,
      resources: entry.resources.map((resource) => ({
        resource: resource.resource,
        responseKind: { group: entry.group, version: entry.version, kind: resource.kind },
        scope: resource.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: resource.singular,
        verbs: VERBS,
        ...(resource.shortNames === undefined ? {} : { shortNames: resource.shortNames }),
      })),
      freshness: 'Current',
    })),
  };
}

function aggregated(entries: readonly DiscoveredGroupVersion[]): DiscoveryAnswer {
  const groups = [...new Set(entries.map((entry) => entry.group))];
  return {
    status: 200,
    contentType: AGGREGATED_DISCOVERY_TYPE,
    body: {
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      metadata: {},
      items: groups.map((group) => aggregatedGroup(entries.filter((entry) => entry.group === group))),
    },
  };
}

function json(body: Json): DiscoveryAnswer {
  return { status: 200, contentType: 'application/json', body };
}

/**
 * The discovery answer for a path under a cluster's prefix (`/api`, `/api/v1`, `/apis`,
 * `/apis/{group}/{version}`, `/version`), or undefined when the path is not a discovery path.
 * `serverAddress` is the `host:port` clients reach the server at (APIVersions names it).
 */
export function discoveryAnswer(pathname: string, accept: string, serverAddress: string): DiscoveryAnswer | undefined {
  const core = DISCOVERY.filter((entry) => entry.group === '');
  const named = DISCOVERY.filter((entry) => entry.group !== '');
  const groupEntry = /^\/apis\/([^/]+)\/([^/]+)$/.exec(pathname);
  const served =
    pathname === '/version' ||
    pathname === '/api' ||
    pathname === '/apis' ||
    pathname === '/api/v1' ||
    (groupEntry !== null && named.some((entry) => entry.group === groupEntry[1] && entry.version === groupEntry[2]));
  if (!served) return undefined;
  const form = negotiate(accept, pathname === '/api' || pathname === '/apis');
  if (form === undefined) return notAcceptable();
  if (pathname === '/version') {
    return json({ ...STAND_IN_KUBERNETES_VERSION, gitTreeState: 'clean', goVersion: 'go1.23.8', compiler: 'gc', platform: 'linux/amd64' });
  }
  if (pathname === '/api') {
    if (form === 'aggregated') return aggregated(core);
    // serverAddressByClientCIDRs: the address clients reach the server at (0.0.0.0/0 = everyone).
    return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] });
  }
  if (pathname === '/apis') {
    if (form === 'aggregated') return aggregated(named);
    return json({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...new Set(named.map((entry) => entry.group))].map((group) => {
        const versions = named.filter((entry) => entry.group === group).map((entry) => ({ groupVersion: groupVersion(entry), version: entry.version }));
        return { name: group, versions, preferredVersion: versions[0] };
      }),
    });
  }
  const entry = pathname === '/api/v1' ? core[0] : named.find((candidate) => candidate.group === groupEntry?.[1] && candidate.version === groupEntry?.[2]);
  return entry === undefined ? undefined : json(resourceList(entry));
}
