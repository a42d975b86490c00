/**
 * A Kubernetes API server stand-in, seeded from a snapshot's `kubernetes/` folders (CONTRACTS.md
 * §5), so the in-cluster reader talks HTTPS to something that answers as a real API server does:
 *
 * - the real paths: `/api/v1/{resource}` (core), `/apis/rbac.authorization.k8s.io/v1/{resource}`,
 *   `/apis/networking.k8s.io/v1/{resource}`, cluster-wide and under `/namespaces/{namespace}/`;
 * - `{Kind}List` bodies whose items carry no `kind`/`apiVersion` (the API server leaves them out of
 *   typed lists; `kubectl get -o json` adds them back), ordered by namespace and name as etcd keys are;
 * - `limit` and `continue` paging with `metadata.continue` and `remainingItemCount`, and `410 Gone`
 *   (`reason: Expired`) for a continue token older than the compaction window (5 minutes by default
 *   in kube-apiserver, `--etcd-compaction-interval`);
 * - `401` without the bearer token, `403` for a cluster that has not granted the identity a role;
 *   errors as `Status` objects;
 * - what kubectl reads first (kubernetesDiscovery.ts): `/version`, `/api`, `/apis` (aggregated when
 *   asked, as 1.30+ servers do), `/api/v1`, `/apis/{group}/{version}`, with `Accept` negotiation
 *   (406 NotAcceptable when nothing acceptable is asked for); a single object by name
 *   (`.../{resource}/{name}`, 404 `NotFound` with details when absent); Secrets listed in discovery
 *   and refused with 403, as a server that never grants them to this identity would.
 *
 * Sources: API concepts, "Retrieving large results sets in chunks"
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks);
 * Status kind (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/).
 * Each cluster is served under its own path prefix (`/clusters/{sub}/{rg}/{name}`), which kubeconfig
 * `server` URLs allow.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { stringify } from 'yaml';

import { parseResourceId, resourceKey } from '../../lib/model/cluster.js';
import { KUBERNETES_RESOURCES, type KubernetesResource } from '../../lib/model/inCluster.js';
import { loopbackCertificate } from './certificate.js';
import { discoveryAnswer, negotiate, notAcceptable } from './kubernetesDiscovery.js';
import type { Route } from './router.js';
import type { SnapshotKubernetes } from './snapshotKubernetes.js';

/** The AKS Entra server application every AKS-managed Entra cluster's tokens are for. */
export const AKS_ENTRA_SERVER_APP = '6dae42f8-4368-4678-94ff-3960e28e3630';

const GROUPS: Record<KubernetesResource, { prefix: string; kind: string; namespaced: boolean }> = {
  namespaces: { prefix: '/api/v1', kind: 'NamespaceList', namespaced: false },
  pods: { prefix: '/api/v1', kind: 'PodList', namespaced: true },
  serviceaccounts: { prefix: '/api/v1', kind: 'ServiceAccountList', namespaced: true },
  clusterrolebindings: { prefix: '/apis/rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBindingList', namespaced: false },
  clusterroles: { prefix: '/apis/rbac.authorization.k8s.io/v1', kind: 'ClusterRoleList', namespaced: false },
  rolebindings: { prefix: '/apis/rbac.authorization.k8s.io/v1', kind: 'RoleBindingList', namespaced: true },
  roles: { prefix: '/apis/rbac.authorization.k8s.io/v1', kind: 'RoleList', namespaced: true },
  networkpolicies: { prefix: '/apis/networking.k8s.io/v1', kind: 'NetworkPolicyList', namespaced: true },
};

/** kube-apiserver's default compaction interval: continue tokens older than this are refused with 410. */
const DEFAULT_CONTINUE_TTL_MS = 5 * 60_000;
const RESOURCE_VERSION = 1000;

export interface KubernetesStandInOptions {
  kubernetes: SnapshotKubernetes;
  /** The bearer token the stand-in accepts (any other is 401). */
  token: string;
  continueTtlMs?: number;
  now?: () => number;
}

export interface KubernetesStandIn {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  caPem: string;
  /** The `server` of a cluster's kubeconfig: its own path prefix on the stand-in. */
  serverFor(clusterId: string): string;
  /** Clusters (lower-cased ids) whose API server answers 403 to our identity: no role yet. */
  forbidden: Set<string>;
  /** Requests served, by path and query, for tests that count calls. */
  requests: string[];
  /**
   * Faults for tests: a delay before a cluster's answers (lower-cased cluster id → ms, a slow API
   * server), and how many of the next continued list calls get 410 Expired whatever their age.
   */
  faults: { delays: Map<string, number>; expireContinues: number };
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function status(code: number, reason: string, message: string, details?: Json): { status: number; body: Json } {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details === undefined ? {} : { details }), code },
  };
}

/** A cluster's path prefix on the stand-in, and the API path under it. */
const CLUSTER_PREFIX = /^\/clusters\/(?<sub>[^/]+)\/(?<rg>[^/]+)\/(?<name>[^/]+)(?<rest>\/.*)?$/;

/**
 * Secrets are never served: any path of the core group's `secrets` (list, in a namespace, by name).
 * The Forbidden message is kube-apiserver's RBAC denial (k8s.io/apiserver pkg/endpoints/handlers/
 * responsewriters/errors.go, forbiddenMessage): `{resource} is forbidden: User "{user}" cannot {verb}
 * resource "{resource}" in API group "{group}" {scope}`.
 */
const SECRETS = /^\/api\/v1(?:\/namespaces\/(?<namespace>[^/]+))?\/secrets(?:\/(?<name>[^/]+))?$/;

/** A single object: `{prefix}[/namespaces/{namespace}]/{resource}/{name}`. */
const NAMED = new RegExp(
  `^(?<prefix>/api/v1|/apis/rbac\\.authorization\\.k8s\\.io/v1|/apis/networking\\.k8s\\.io/v1)(?:/namespaces/(?<namespace>[^/]+))?/(?<resource>[a-z]+)/(?<name>[^/]+)$`,
);

function sortKey(item: Json): string {
  const metadata = (item['metadata'] ?? {}) as { namespace?: string; name?: string };
  return `${metadata.namespace ?? ''}/${metadata.name ?? ''}`;
}

interface ContinueToken {
  /** Issued at (ms). */
  at: number;
  /** The key after which the next page starts. */
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: RESOURCE_VERSION, ...token })).toString('base64url');
}

function decodeContinue(text: string): ContinueToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    return typeof token.at === 'number' && typeof token.start === 'string' ? { at: token.at, start: token.start } : undefined;
  } catch {
    return undefined;
  }
}

const PATH = new RegExp(
  `^/clusters/(?<sub>[^/]+)/(?<rg>[^/]+)/(?<name>[^/]+)(?<prefix>/api/v1|/apis/rbac\\.authorization\\.k8s\\.io/v1|/apis/networking\\.k8s\\.io/v1)(?:/namespaces/(?<namespace>[^/]+))?/(?<resource>[a-z]+)$`,
);

export async function startKubernetesStandIn(options: KubernetesStandInOptions): Promise<KubernetesStandIn> {
  const certificate = await loopbackCertificate();
  const now = options.now ?? (() => Date.now());
  const ttl = options.continueTtlMs ?? DEFAULT_CONTINUE_TTL_MS;
  const forbidden = new Set<string>();
  const requests: string[] = [];
  const faults: KubernetesStandIn['faults'] = { delays: new Map(), expireContinues: 0 };

  /**
   * Discovery, Secrets and single objects: what kubectl asks besides the lists (undefined: a list
   * path or unknown, answered below).
   */
  function beyondLists(method: string, url: URL, accept: string, host: string): { status: number; body: Json; contentType?: string } | undefined {
    const cluster = CLUSTER_PREFIX.exec(url.pathname)?.groups;
    const rest = cluster?.['rest'] ?? '';
    if (cluster === undefined) return undefined;
    const discovery = discoveryAnswer(rest, accept, host);
    if (discovery !== undefined)
      return method === 'GET' ? discovery : status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const secrets = SECRETS.exec(rest)?.groups;
    if (secrets !== undefined) {
      const verb = secrets['name'] === undefined ? 'list' : 'get';
      const scope = secrets['namespace'] === undefined ? 'at the cluster scope' : `in the namespace "${decodeURIComponent(secrets['namespace'])}"`;
      return status(403, 'Forbidden', `secrets is forbidden: User "fleetguard" cannot ${verb} resource "secrets" in API group "" ${scope}`, {
        kind: 'secrets',
      });
    }
    const named = NAMED.exec(rest)?.groups;
    const resource = named?.['resource'] as KubernetesResource | undefined;
    if (named === undefined || resource === undefined || !KUBERNETES_RESOURCES.includes(resource) || GROUPS[resource].prefix !== named['prefix'])
      return undefined;
    // `/api/v1/namespaces/{name}` is the namespace itself, not a namespaced list (NAMED reads it as
    // resource `namespaces` with a name, which is right); a namespace on a cluster-scoped kind is not a path.
    if ((named['namespace'] !== undefined) !== GROUPS[resource].namespaced) return undefined;
    if (method !== 'GET') return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const clusterId = `/subscriptions/${cluster['sub'] ?? ''}/resourceGroups/${cluster['rg'] ?? ''}/providers/Microsoft.ContainerService/managedClusters/${cluster['name'] ?? ''}`;
    const name = decodeURIComponent(named['name'] ?? '');
    const namespace = named['namespace'] === undefined ? undefined : decodeURIComponent(named['namespace']);
    if (forbidden.has(resourceKey(clusterId))) {
      const apiGroup = named['prefix'] === '/api/v1' ? '' : (named['prefix'] ?? '').split('/')[2];
      const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return status(
        403,
        'Forbidden',
        `${resource} "${name}" is forbidden: User "fleetguard" cannot get resource "${resource}" in API group "${apiGroup ?? ''}" ${scope}`,
      );
    }
    const items = (options.kubernetes.get(resourceKey(clusterId))?.lists[resource]?.body as { items?: Json[] } | undefined)?.items ?? [];
    const found = items.find((item) => {
      const metadata = (item['metadata'] ?? {}) as { namespace?: string; name?: string };
      return metadata.name === name && metadata.namespace === namespace;
    });
    const apiVersion = named['prefix'] === '/api/v1' ? 'v1' : (named['prefix'] ?? '').slice('/apis/'.length);
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    if (found === undefined) {
      // kube-apiserver's NotFound (k8s.io/apimachinery pkg/api/errors NewNotFound): `{resource}.{group} "{name}" not found`.
      const qualified = group === '' ? resource : `${resource}.${group ?? ''}`;
      return status(404, 'NotFound', `${qualified} "${name}" not found`, { name, group, kind: resource });
    }
    // A single object carries its kind and apiVersion (only typed lists leave them out of items).
    return { status: 200, body: { ...found, kind: GROUPS[resource].kind.replace(/List$/, ''), apiVersion } };
  }

  function answer(method: string, url: URL, authorization: string, accept = '', host = ''): { status: number; body: Json; contentType?: string } {
    if (authorization !== `Bearer ${options.token}`) return status(401, 'Unauthorized', 'Unauthorized');
    const extra = beyondLists(method, url, accept, host);
    if (extra !== undefined) return extra;
    // Lists are JSON only (a Table request falls back to its JSON alternative, as negotiated).
    if (negotiate(accept, false) === undefined) return notAcceptable();
    const match = PATH.exec(url.pathname);
    const groups = match?.groups;
    const resource = groups?.['resource'] as KubernetesResource | undefined;
    if (groups === undefined || resource === undefined || !KUBERNETES_RESOURCES.includes(resource) || GROUPS[resource].prefix !== groups['prefix']) {
      return status(404, 'NotFound', 'the server could not find the requested resource');
    }
    const namespace = groups['namespace'] === undefined ? undefined : decodeURIComponent(groups['namespace']);
    if (namespace !== undefined && !GROUPS[resource].namespaced) return status(404, 'NotFound', 'the server could not find the requested resource');
    if (method !== 'GET') return status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    const clusterId = `/subscriptions/${groups['sub'] ?? ''}/resourceGroups/${groups['rg'] ?? ''}/providers/Microsoft.ContainerService/managedClusters/${groups['name'] ?? ''}`;
    const apiGroup = groups['prefix'] === '/api/v1' ? '' : (groups['prefix'] ?? '').split('/')[2];
    if (forbidden.has(resourceKey(clusterId))) {
      const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return status(
        403,
        'Forbidden',
        `${resource} is forbidden: User "fleetguard" cannot list resource "${resource}" in API group "${apiGroup ?? ''}" ${scope}`,
      );
    }
    const folder = options.kubernetes.get(resourceKey(clusterId));
    const list = folder?.lists[resource];
    if (folder === undefined || list === undefined) return status(404, 'NotFound', 'the server could not find the requested resource');

    const all = ((list.body as { items: Json[] }).items ?? [])
      .filter((item) => namespace === undefined || (item['metadata'] as { namespace?: string } | undefined)?.namespace === namespace)
      .map((item) => {
        // Typed lists carry no kind/apiVersion on their items.
        const { kind: _kind, apiVersion: _apiVersion, ...rest } = item;
        void _kind;
        void _apiVersion;
        return rest;
      })
      .sort((left, right) => (sortKey(left) < sortKey(right) ? -1 : sortKey(left) > sortKey(right) ? 1 : 0));

    let start = 0;
    const continueParam = url.searchParams.get('continue');
    if (continueParam !== null && continueParam !== '') {
      const token = decodeContinue(continueParam);
      if (token === undefined) return status(400, 'BadRequest', 'continue key is not valid: invalid continue token');
      const forcedExpiry = faults.expireContinues > 0;
      if (forcedExpiry) faults.expireContinues -= 1;
      if (forcedExpiry || now() - token.at > ttl) {
        return status(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      start = all.findIndex((item) => sortKey(item) > token.start);
      if (start < 0) start = all.length;
    }
    const limitParam = Number(url.searchParams.get('limit') ?? '0');
    const limit = Number.isInteger(limitParam) && limitParam > 0 ? limitParam : all.length;
    const page = all.slice(start, start + limit);
    const remaining = all.length - start - page.length;
    const last = page.at(-1);
    const metadata: Json = { resourceVersion: String(RESOURCE_VERSION) };
    if (remaining > 0 && last !== undefined) {
      metadata['continue'] = encodeContinue({ at: now(), start: sortKey(last) });
      metadata['remainingItemCount'] = remaining;
    }
    return {
      status: 200,
      body: {
        kind: GROUPS[resource].kind,
        apiVersion: groups['prefix'] === '/api/v1' ? 'v1' : (groups['prefix'] ?? '').slice('/apis/'.length),
        metadata,
        items: page,
      },
    };
  }

  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (incoming, outgoing) => {
    incoming.resume();
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'https://127.0.0.1');
      requests.push(`${url.pathname}${url.search}`);
      const response = answer(
        (incoming.method ?? 'GET').toUpperCase(),
        url,
        incoming.headers.authorization ?? '',
        incoming.headers.accept ?? '',
        incoming.headers.host ?? '',
      );
      const groups = PATH.exec(url.pathname)?.groups;
      const delay =
        groups === undefined
          ? undefined
          : faults.delays.get(
              resourceKey(
                `/subscriptions/${groups['sub'] ?? ''}/resourceGroups/${groups['rg'] ?? ''}/providers/Microsoft.ContainerService/managedClusters/${groups['name'] ?? ''}`,
              ),
            );
      const send = () => {
        if (outgoing.destroyed) return;
        outgoing.writeHead(response.status, { 'content-type': response.contentType ?? 'application/json' });
        outgoing.end(JSON.stringify(response.body));
      };
      if (delay === undefined) send();
      else setTimeout(send, delay).unref();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    caPem: certificate.certPem,
    serverFor(clusterId) {
      const { subscriptionId, resourceGroup, name } = parseResourceId(clusterId);
      return `${url}/clusters/${subscriptionId ?? ''}/${resourceGroup ?? ''}/${name ?? ''}`;
    },
    forbidden,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Delayed answers hold their connections: a closing stand-in drops them.
        server.closeAllConnections();
      }),
  };
}

/**
 * The kubeconfig AKS returns for an Entra-integrated cluster (`format=exec`): the server, its CA,
 * and a user that gets a token for the AKS Entra server application through kubelogin.
 */
export function userKubeconfig(cluster: { name: string; resourceGroup: string }, server: string, caPem: string): string {
  const user = `clusterUser_${cluster.resourceGroup}_${cluster.name}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster.name, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    contexts: [{ name: cluster.name, context: { cluster: cluster.name, user } }],
    'current-context': cluster.name,
    users: [
      {
        name: user,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'kubelogin',
            args: ['get-token', '--login', 'azurecli', '--server-id', AKS_ENTRA_SERVER_APP],
            interactiveMode: 'IfAvailable',
            provideClusterInfo: false,
          },
        },
      },
    ],
  });
}

/**
 * `POST .../managedClusters/{name}/listClusterUserCredential` (CredentialResults: `kubeconfigs[]` of
 * `{name, value}` with the kubeconfig base64-encoded), pointing at the stand-in. Spec:
 * azure-rest-api-specs, Microsoft.ContainerService/aks/stable/2025-07-01/managedClusters.json
 * (ManagedClusters_ListClusterUserCredentials).
 */
export function credentialRoutes(standIn: KubernetesStandIn, findCluster: (subscriptionId: string, resourceGroup: string, name: string) => unknown): Route[] {
  return [
    {
      name: 'arm.managedClusters.listClusterUserCredential',
      method: 'POST',
      pattern:
        /^\/subscriptions\/(?<subscriptionId>[^/]+)\/resourceGroups\/(?<resourceGroup>[^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/(?<name>[^/]+)\/listClusterUserCredential$/i,
      handle: ({ params }) => {
        const { subscriptionId = '', resourceGroup = '', name = '' } = params;
        const cluster = findCluster(subscriptionId, resourceGroup, name) as { id?: string; name?: string } | undefined;
        if (cluster === undefined) {
          return {
            status: 404,
            body: {
              error: {
                code: 'ResourceNotFound',
                message: `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found.`,
              },
            },
          };
        }
        const id = String(cluster.id);
        const kubeconfig = userKubeconfig({ name: String(cluster.name), resourceGroup }, standIn.serverFor(id), standIn.caPem);
        return { status: 200, body: { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(kubeconfig).toString('base64') }] } };
      },
    },
  ];
}
