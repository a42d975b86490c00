/**
 * The in-cluster reader (lib/model/inCluster.ts) over each cluster's Kubernetes API, the way AKS
 * intends an Entra identity to reach it (issue 16):
 *
 * - server and CA from ARM: the user kubeconfig of `listClusterUserCredential`, parsed in memory and
 *   never written to disk; its exec user (kubelogin) is dropped, nothing is spawned;
 * - a bearer token for the AKS Entra server application from the app's own credential
 *   (https://learn.microsoft.com/azure/aks/kubelogin-authentication: server id 6dae42f8-...);
 * - `@kubernetes/client-node` for the list calls, `limit`/`continue` paging, a list whose continue
 *   token expired (410 Expired) restarted once from the beginning
 *   (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks);
 *   read-only, and never Secrets: only KUBERNETES_RESOURCES are listed.
 *
 * Every cluster ends in a coverage state: a cluster without `aadProfile.managed` (local accounts
 * only) is `notEntraIntegrated` without any call; no route, DNS, TLS or the time budget is
 * `unreachable`, the reason read from the cluster's `apiServerAccessProfile`; 401/403 is
 * `unauthorized`. The calls of one cluster run one after another (the sweep's slot is one call in
 * flight) within one time budget, so a slow cluster costs one timeout and never more.
 *
 * With FLEETGUARD_IN_CLUSTER_RUN_COMMAND (lib/azure/runCommand.ts, opt-in): `private-only` reads a
 * private cluster through AKS runCommand instead of its API server; `unreachable` tries the API
 * server first and, when it cannot be reached (not a timeout), runCommand within what is left of
 * the same budget. A cluster with `disableRunCommand` stays unreachable, saying so, without a call.
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  ApiException,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type RequestContext,
  ResponseContext,
  ServerConfiguration,
} from '@kubernetes/client-node';

import type { Cluster } from '../model/cluster.js';
import type { InClusterRead, InClusterReader, KubernetesListBody, KubernetesResource } from '../model/inCluster.js';
import { KUBERNETES_RESOURCES } from '../model/inCluster.js';
import { type RunCommandReader, runCommandRefusal } from './runCommand.js';

/** The AKS Entra server application: the audience of every token an AKS-managed Entra cluster accepts. */
export const AKS_ENTRA_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

/** What the reader needs from ARM: the cluster's user kubeconfig (lib/azure/containerService.ts). */
export interface KubeconfigSource {
  userKubeconfig(cluster: Cluster, abortSignal?: AbortSignal): Promise<string>;
}

export interface KubernetesReaderSettings {
  /** The whole read of one cluster: kubeconfig, token and every list page. */
  clusterTimeoutSeconds: number;
  /** `limit` of each list call. */
  pageSize: number;
  /** When the runCommand fallback (the reader's fourth argument) is used; `off` when absent. */
  runCommand?: 'off' | 'private-only' | 'unreachable';
}

/** The API server a kubeconfig points at, and the CA that signs its certificate. */
interface ApiServer {
  server: string;
  caData: string | undefined;
  tlsServerName: string | undefined;
}

type Json = Record<string, unknown>;

/** One page of a list: the raw body as the API server sent it (the client's typed copy is not used). */
type ListCall = (continueToken: string | undefined) => Promise<unknown>;

/** Network failures that mean "no line of sight" (connect, DNS, reset, TLS), as Node and node-fetch name them. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

class Unreachable extends Error {}
class Unauthorized extends Error {}

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The server and CA of the kubeconfig's current context; its users are ignored. */
export function apiServerOf(kubeconfigText: string, clusterName: string): ApiServer {
  const parsed = new KubeConfig();
  parsed.loadFromString(kubeconfigText);
  const cluster = parsed.getCurrentCluster();
  if (cluster === null || typeof cluster.server !== 'string' || !cluster.server.startsWith('https://')) {
    throw new Unreachable(`the kubeconfig of ${clusterName} names no https API server`);
  }
  return { server: cluster.server.replace(/\/+$/, ''), caData: cluster.caData, tlsServerName: cluster.tlsServerName };
}

/** Why the API server may be out of reach, from the cluster's ARM `apiServerAccessProfile`. */
function accessReason(cluster: Cluster): string | undefined {
  if (cluster.privateCluster === true) {
    return 'the API server is private: the app needs network line-of-sight to it (VNet integration and its private DNS zone) or the runCommand fallback';
  }
  if (cluster.authorizedIpRanges.length > 0) {
    return `the API server accepts only its ${cluster.authorizedIpRanges.length} authorized IP range(s), which may not include the app's outbound addresses`;
  }
  return undefined;
}

/** The message of a Kubernetes `Status` body, else the exception's own. */
function statusMessage(error: ApiException<unknown>): string {
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return `HTTP ${error.code}`;
    }
  }
  const message = record(body)['message'];
  return typeof message === 'string' && message !== '' ? `HTTP ${error.code}: ${message}` : `HTTP ${error.code}`;
}

function networkCode(error: unknown): string | undefined {
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  return cause === undefined ? undefined : networkCode(cause);
}

/**
 * The reader of live clusters. `credential` is the app's own (managed identity in Azure, the
 * simulator credential locally); `arm` gives each cluster's kubeconfig.
 */
export class KubernetesAdapter implements InClusterReader {
  constructor(
    private readonly arm: KubeconfigSource,
    private readonly credential: TokenCredential,
    private readonly settings: KubernetesReaderSettings,
    /** The runCommand fallback, used as `settings.runCommand` says. */
    private readonly runCommand?: RunCommandReader,
  ) {}

  async read(cluster: Cluster): Promise<InClusterRead> {
    if (cluster.aadManaged !== true) {
      return {
        state: 'notEntraIntegrated',
        reason: `cluster ${cluster.name} has no AKS-managed Entra integration (aadProfile): local accounts only, so the app's identity cannot sign in to its API server`,
      };
    }
    const budgetMs = this.settings.clusterTimeoutSeconds * 1000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), budgetMs);
    const signal = controller.signal;
    const mode = this.runCommand === undefined ? 'off' : (this.settings.runCommand ?? 'off');
    try {
      if (mode === 'private-only' && cluster.privateCluster === true) return await this.viaRunCommand(cluster, signal);
      return await this.readWithin(cluster, signal);
    } catch (error) {
      const gap = this.classify(error, cluster, signal);
      if (mode !== 'unreachable' || gap.state !== 'unreachable' || signal.aborted) return gap;
      // The API server is out of reach (not slow): the same read from inside the cluster, within what is left of the budget.
      try {
        const read = await this.viaRunCommand(cluster, signal);
        return read.state === 'checked' ? read : { ...read, reason: `${gap.reason}; then ${read.reason}` };
      } catch (fallbackError) {
        return this.classify(fallbackError, cluster, signal);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** A failed read as a coverage gap; an error nobody expects is thrown on. */
  private classify(error: unknown, cluster: Cluster, signal: AbortSignal): InClusterRead {
    const access = accessReason(cluster);
    const withAccess = (what: string) => (access === undefined ? what : `${what}; ${access}`);
    if (signal.aborted) return { state: 'unreachable', reason: withAccess(`no answer within ${this.settings.clusterTimeoutSeconds} s (timeout)`) };
    if (error instanceof Unauthorized) return { state: 'unauthorized', reason: error.message };
    if (error instanceof Unreachable) return { state: 'unreachable', reason: withAccess(error.message) };
    const code = networkCode(error);
    if (code !== undefined) return { state: 'unreachable', reason: withAccess(`the API server of ${cluster.name} cannot be reached (${code})`) };
    throw error;
  }

  /** The read through AKS runCommand (lib/azure/runCommand.ts), with the app's token for the AKS server application. */
  private async viaRunCommand(cluster: Cluster, signal: AbortSignal): Promise<InClusterRead> {
    const refusal = runCommandRefusal(cluster);
    if (refusal !== undefined || this.runCommand === undefined) {
      return { state: 'unreachable', reason: [accessReason(cluster), refusal].filter((part) => part !== undefined).join('; ') };
    }
    const token = await this.credential.getToken(AKS_ENTRA_SCOPE, { abortSignal: signal });
    if (token === null) throw new Unauthorized(`no token for the AKS Entra server application (${AKS_ENTRA_SCOPE})`);
    return await this.runCommand.read(cluster, token.token, signal);
  }

  private async readWithin(cluster: Cluster, signal: AbortSignal): Promise<InClusterRead> {
    let kubeconfig: string;
    try {
      kubeconfig = await this.arm.userKubeconfig(cluster, signal);
    } catch (error) {
      if ((error as { statusCode?: unknown }).statusCode === 403) {
        throw new Unauthorized(
          `the app's identity may not read the user credential of ${cluster.name} (Microsoft.ContainerService/managedClusters/listClusterUserCredential/action)`,
        );
      }
      throw error;
    }
    const apiServer = apiServerOf(kubeconfig, cluster.name);
    const token = await this.credential.getToken(AKS_ENTRA_SCOPE, { abortSignal: signal });
    if (token === null) throw new Unauthorized(`no token for the AKS Entra server application (${AKS_ENTRA_SCOPE})`);

    const calls = listCalls(apiServer, token.token, signal, this.settings.pageSize);
    const lists: Partial<Record<KubernetesResource, KubernetesListBody>> = {};
    const unread: Partial<Record<KubernetesResource, string>> = {};
    const refused: string[] = [];
    for (const resource of KUBERNETES_RESOURCES) {
      try {
        lists[resource] = { body: await listAll(calls[resource].call), source: calls[resource].url };
      } catch (error) {
        if (!(error instanceof ApiException) || signal.aborted) throw error;
        const message = statusMessage(error);
        // 401: the token itself is refused, every other call would be too.
        if (error.code === 401) throw new Unauthorized(`the API server of ${cluster.name} refused the app's token (${message})`);
        if (error.code === 403) refused.push(resource);
        unread[resource] = message;
      }
    }
    if (refused.length === KUBERNETES_RESOURCES.length) {
      throw new Unauthorized(`the app's identity has no role on ${cluster.name} (${unread.namespaces ?? 'HTTP 403'})`);
    }
    return { state: 'checked', lists, ...(Object.keys(unread).length > 0 ? { unread } : {}) };
  }
}

/**
 * Every page of one list. A continue token older than the API server's compaction window is
 * refused with 410 Expired; the list starts again from the beginning once (a second 410 fails it).
 */
async function listAll(call: ListCall): Promise<Json> {
  for (let attempt = 1; ; attempt += 1) {
    const items: unknown[] = [];
    let head: Json | undefined;
    let continueToken: string | undefined;
    try {
      do {
        const page = record(await call(continueToken));
        head ??= page;
        if (Array.isArray(page['items'])) items.push(...(page['items'] as unknown[]));
        const next = record(page['metadata'])['continue'];
        continueToken = typeof next === 'string' && next !== '' ? next : undefined;
      } while (continueToken !== undefined);
      return { kind: head['kind'], apiVersion: head['apiVersion'], metadata: { resourceVersion: record(head['metadata'])['resourceVersion'] }, items };
    } catch (error) {
      if (error instanceof ApiException && error.code === 410 && continueToken !== undefined && attempt === 1) continue;
      throw error;
    }
  }
}

/** One list call per resource, through the client's typed APIs; each page's raw body is kept as sent. */
function listCalls(apiServer: ApiServer, token: string, signal: AbortSignal, pageSize: number): Record<KubernetesResource, { url: string; call: ListCall }> {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromOptions({
    clusters: [{ name: 'cluster', server: apiServer.server, caData: apiServer.caData, tlsServerName: apiServer.tlsServerName, skipTLSVerify: false }],
    users: [{ name: 'fleetguard', token }],
    contexts: [{ name: 'fleetguard', cluster: 'cluster', user: 'fleetguard' }],
    currentContext: 'fleetguard',
  });
  let raw = '';
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(apiServer.server, {}),
    authMethods: { default: kubeconfig },
    promiseMiddleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(signal);
          return Promise.resolve(context);
        },
        // The body as the API server sent it: the rules read the API's JSON, not the client's models.
        post: async (context: ResponseContext) => {
          raw = await context.body.text();
          const text = raw;
          return new ResponseContext(context.httpStatusCode, context.headers, {
            text: () => Promise.resolve(text),
            binary: () => Promise.resolve(Buffer.from(text)),
          });
        },
      },
    ],
  });
  const core = new CoreV1Api(configuration);
  const rbac = new RbacAuthorizationV1Api(configuration);
  const networking = new NetworkingV1Api(configuration);
  const page = (list: (request: { limit: number; _continue?: string }) => Promise<unknown>): ListCall => {
    return async (continueToken) => {
      await list({ limit: pageSize, ...(continueToken === undefined ? {} : { _continue: continueToken }) });
      return JSON.parse(raw) as unknown;
    };
  };
  const rbacPath = '/apis/rbac.authorization.k8s.io/v1';
  return {
    namespaces: { url: `${apiServer.server}/api/v1/namespaces`, call: page((request) => core.listNamespace(request)) },
    pods: { url: `${apiServer.server}/api/v1/pods`, call: page((request) => core.listPodForAllNamespaces(request)) },
    serviceaccounts: { url: `${apiServer.server}/api/v1/serviceaccounts`, call: page((request) => core.listServiceAccountForAllNamespaces(request)) },
    clusterrolebindings: { url: `${apiServer.server}${rbacPath}/clusterrolebindings`, call: page((request) => rbac.listClusterRoleBinding(request)) },
    clusterroles: { url: `${apiServer.server}${rbacPath}/clusterroles`, call: page((request) => rbac.listClusterRole(request)) },
    rolebindings: { url: `${apiServer.server}${rbacPath}/rolebindings`, call: page((request) => rbac.listRoleBindingForAllNamespaces(request)) },
    roles: { url: `${apiServer.server}${rbacPath}/roles`, call: page((request) => rbac.listRoleForAllNamespaces(request)) },
    networkpolicies: {
      url: `${apiServer.server}/apis/networking.k8s.io/v1/networkpolicies`,
      call: page((request) => networking.listNetworkPolicyForAllNamespaces(request)),
    },
  };
}
