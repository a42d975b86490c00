/**
 * ARM write operations for upgrades: PUT cluster, GET/PUT agent pool, node-image upgrade, operation
 * status. Writes follow create-or-replace semantics and refuse what AKS refuses; each rule names its
 * source next to it.
 */
import { type FleetState, poolsOf, renewEtags } from './fleetState.js';
import { agentPoolUpgradeProfile, apiHasRollback, decideRollback, isRollback } from './poolRollback.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';
import { type UpgradeOperation, UpgradeSimulation } from './upgradeSimulation.js';

const CLUSTER =
  '/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.ContainerService/managedClusters/(?<name>[^/]+)';

/**
 * Read-only fields (`readOnly: true` in the 2025-07-01 spec, managedClusters.json) that a PUT cannot
 * set: the stored value stays whatever the body says. Everything else the body leaves out is gone
 * after the PUT (create-or-replace).
 */
const CLUSTER_READ_ONLY = ['id', 'name', 'type', 'eTag', 'systemData'];
const CLUSTER_PROPERTIES_READ_ONLY = [
  'provisioningState',
  'powerState',
  'maxAgentPools',
  'currentKubernetesVersion',
  'fqdn',
  'privateFQDN',
  'azurePortalFQDN',
  'resourceUID',
];
const POOL_READ_ONLY = ['eTag', 'provisioningState', 'currentOrchestratorVersion', 'nodeImageVersion'];

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** `target` without the read-only keys, then those keys as `stored` has them. */
function replaced(target: JsonObject, stored: JsonObject, readOnly: readonly string[]): JsonObject {
  const result: JsonObject = Object.fromEntries(Object.entries(target).filter(([key]) => !readOnly.includes(key)));
  for (const key of readOnly) if (key in stored) result[key] = stored[key];
  return result;
}

/**
 * The If-Match precondition. Learn "use-etags" (https://learn.microsoft.com/azure/aks/use-etags):
 * a request whose If-Match does not match the resource's current eTag fails early, so nothing is
 * overwritten; `*` matches any existing resource. AKS's own message text for a mismatch is not
 * published; this one follows ARM's (`PreconditionFailed`, "Etag provided in if-match header ...
 * does not match etag ...", kubernetes-sigs/cloud-provider-azure#9728). If-Match on a resource that
 * does not exist: the AKS message seen in Azure/azure-cli#30309.
 */
function precondition(request: SimulatorRequest, current: unknown): SimulatorResponse | undefined {
  const header = request.headers['if-match'];
  const wanted = (Array.isArray(header) ? header[0] : header)?.trim();
  if (wanted === undefined || wanted === '') return undefined;
  if (typeof current !== 'string') {
    return armError(412, 'PreconditionFailed', 'Resource not found but ETag header is provided. If this is a request to create, please do not provide ETag.');
  }
  const bare = (tag: string) => tag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (wanted === '*' || bare(wanted) === bare(current)) return undefined;
  return armError(412, 'PreconditionFailed', `Etag provided in if-match header "${bare(wanted)}" does not match etag "${current}" of resource.`);
}

/**
 * An accepted long-running write: the Azure-AsyncOperation header, as the AgentPoolsUpgradeNodeImageVersion
 * example (2025-07-01) shows it; the PUT examples show no headers, and the spec marks both PUTs
 * `x-ms-long-running-operation` with AKS's default (Azure-AsyncOperation) polling.
 */
function accepted(request: SimulatorRequest, cluster: JsonObject, operation: UpgradeOperation, body: unknown, status: number): SimulatorResponse {
  const url = new URL(
    `/subscriptions/${request.params['subscriptionId'] ?? ''}/providers/Microsoft.ContainerService/locations/${String(cluster['location'])}/operations/${operation.id}`,
    request.baseUrl,
  );
  url.searchParams.set('api-version', '2017-08-31');
  return { status, body, headers: { 'azure-asyncoperation': url.toString() } };
}

function busy(name: string): SimulatorResponse {
  return armError(409, 'OperationNotAllowed', `Operation is not allowed because there's an in progress upgrade operation on managed cluster ${name}.`);
}

/** A pool as the agentPools API returns it (AgentPoolsGet example): id, name, type and the profile as `properties`. */
function poolResource(cluster: JsonObject, pool: JsonObject): JsonObject {
  const { name, ...properties } = pool;
  return { id: `${String(cluster['id'])}/agentPools/${String(name)}`, name, type: 'Microsoft.ContainerService/managedClusters/agentPools', properties };
}

function findPool(cluster: JsonObject, name: string): JsonObject | undefined {
  return poolsOf(cluster).find((profile) => String(profile['name']).toLowerCase() === name.toLowerCase());
}

export function upgradeRoutes(fleet: FleetState, upgrades: UpgradeSimulation): Route[] {
  const find = (request: SimulatorRequest) =>
    fleet.findCluster(request.params['subscriptionId'] ?? '', request.params['resourceGroup'] ?? '', request.params['name'] ?? '');
  const notFound = (request: SimulatorRequest) =>
    armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${request.params['name'] ?? ''}' was not found.`);
  /** Every write: counted, then refused with 409 while another operation runs, as AKS does. */
  const writable = (request: SimulatorRequest): { cluster: JsonObject; id: string } | SimulatorResponse => {
    upgrades.settle();
    const cluster = find(request);
    if (cluster === undefined) return notFound(request);
    const id = String(cluster['id']);
    upgrades.countWrite(id);
    if (upgrades.inProgress(id)) return busy(String(cluster['name']));
    return { cluster, id };
  };
  return [
    {
      name: 'arm.putManagedCluster',
      method: 'PUT',
      pattern: new RegExp(`^${CLUSTER}/?$`, 'i'),
      handle: (request) => {
        const target = writable(request);
        if ('status' in target) return target;
        const { cluster, id } = target;
        const refused = precondition(request, cluster['eTag']);
        if (refused !== undefined) return refused;
        const body = record(request.body);
        // `location` is required by the spec (TrackedResource, common-types v5); ARM's message text here is not verified.
        if (typeof body['location'] !== 'string' || body['location'] === '')
          return armError(400, 'LocationRequired', 'The location property is required for this definition.');
        const stored = record(cluster['properties']);
        const wantedProperties = record(body['properties']);
        const storedPools = poolsOf(cluster);
        const bodyPools = Array.isArray(wantedProperties['agentPoolProfiles']) ? (wantedProperties['agentPoolProfiles'] as unknown[]).map(record) : [];
        // Pools are added through the agentPools API only (the service's message, microsoft/tyger#121).
        const added = bodyPools.find((pool) => !storedPools.some((existing) => String(existing['name']).toLowerCase() === text(pool['name']).toLowerCase()));
        if (added !== undefined) {
          return armError(
            400,
            'BadRequest',
            'A new agent pool was introduced. Adding agent pools to an existing cluster is not allowed through managed cluster operations. For agent pool specific change, please use per agent pool operations: https://aka.ms/agent-pool-rest-api',
          );
        }
        const current = text(stored['currentKubernetesVersion']) || text(stored['kubernetesVersion']);
        // An empty or missing kubernetesVersion keeps the cluster's version (ManagedClustersCreate_Update sends "").
        const wanted = text(wantedProperties['kubernetesVersion']) || text(stored['kubernetesVersion']) || current;
        const upgradeSettings = record(wantedProperties['upgradeSettings']);
        const blocked =
          wanted === current ? undefined : upgrades.deprecatedApiRefusal(String(cluster['name']), current, wanted, upgradeSettings['overrideSettings']);
        if (blocked !== undefined) {
          // Learn, stop-cluster-upgrade-api-breaking-changes: "Bad Request" with code ValidationError,
          // subcode UpgradeBlockedOnDeprecatedAPIUsage.
          return { status: 400, body: { error: { code: 'ValidationError', message: blocked, subcode: 'UpgradeBlockedOnDeprecatedAPIUsage' } } };
        }
        // Create-or-replace: the body is the new resource, except what only the service sets.
        const properties = replaced({ ...wantedProperties, kubernetesVersion: wanted }, stored, CLUSTER_PROPERTIES_READ_ONLY);
        // Set once at creation (the ManagedClustersCreate_Update response has it though the request does not).
        if (properties['nodeResourceGroup'] === undefined && stored['nodeResourceGroup'] !== undefined)
          properties['nodeResourceGroup'] = stored['nodeResourceGroup'];
        // Pools the body lists are replaced likewise; pools it leaves out stay (unverified against a live tenant).
        properties['agentPoolProfiles'] = storedPools.map((existing) => {
          const update = bodyPools.find((pool) => text(pool['name']).toLowerCase() === String(existing['name']).toLowerCase());
          if (update === undefined) return existing;
          // A pool without orchestratorVersion keeps its version (the example's response shows it).
          const version = text(update['orchestratorVersion']) || existing['orchestratorVersion'];
          return replaced({ ...update, name: existing['name'], ...(version === undefined ? {} : { orchestratorVersion: version }) }, existing, POOL_READ_ONLY);
        });
        // Secrets are write-only: the ManagedClustersCreate_Update example's response leaves out the
        // request's windowsProfile.adminPassword and servicePrincipalProfile.secret.
        delete record(properties['windowsProfile'])['adminPassword'];
        delete record(properties['servicePrincipalProfile'])['secret'];
        const next = replaced(body, cluster, CLUSTER_READ_ONLY);
        next['properties'] = properties;
        renewEtags(next);
        fleet.putCluster(next);
        if (wanted === current) return { status: 200, body: next };
        const operation = upgrades.start(id, 'controlPlane', wanted);
        return accepted(request, next, operation, next, 200);
      },
    },
    {
      name: 'arm.getAgentPool',
      method: 'GET',
      pattern: new RegExp(`^${CLUSTER}/agentPools/(?<pool>[^/]+)/?$`, 'i'),
      handle: (request) => {
        upgrades.settle();
        const cluster = find(request);
        const pool = cluster === undefined ? undefined : findPool(cluster, request.params['pool'] ?? '');
        if (cluster === undefined || pool === undefined) return notFound(request);
        return { status: 200, body: poolResource(cluster, pool) };
      },
    },
    {
      name: 'arm.getAgentPoolUpgradeProfile',
      method: 'GET',
      pattern: new RegExp(`^${CLUSTER}/agentPools/(?<pool>[^/]+)/upgradeProfiles/default/?$`, 'i'),
      handle: (request) => {
        upgrades.settle();
        const cluster = find(request);
        const pool = cluster === undefined ? undefined : findPool(cluster, request.params['pool'] ?? '');
        if (cluster === undefined || pool === undefined) return notFound(request);
        const clusterProfile = record(fleet.upgradeProfile(cluster)['properties']);
        const offered = (Array.isArray(clusterProfile['agentPoolProfiles']) ? (clusterProfile['agentPoolProfiles'] as unknown[]).map(record) : []).find(
          (entry) => entry['name'] === pool['name'],
        );
        const poolUpgrades = Array.isArray(offered?.['upgrades']) ? (offered['upgrades'] as JsonObject[]) : [];
        const withRollback = apiHasRollback(request.url.searchParams.get('api-version') ?? '');
        const recent = withRollback ? upgrades.recentlyUsed.get(UpgradeSimulation.poolKey(String(cluster['id']), String(pool['name']))) : undefined;
        return {
          status: 200,
          body: agentPoolUpgradeProfile(String(cluster['id']), pool, poolUpgrades, UpgradeSimulation.latestNodeImage(upgrades.now()), recent),
        };
      },
    },
    {
      name: 'arm.putAgentPool',
      method: 'PUT',
      pattern: new RegExp(`^${CLUSTER}/agentPools/(?<pool>[^/]+)/?$`, 'i'),
      handle: (request) => {
        const target = writable(request);
        if ('status' in target) return target;
        const { cluster, id } = target;
        const name = request.params['pool'] ?? '';
        const existing = findPool(cluster, name);
        const refused = precondition(request, existing?.['eTag']);
        if (refused !== undefined) return refused;
        const wantedProperties = record(record(request.body)['properties']);
        // The service requires count although the spec does not mark it required (Pulumi
        // azure-native#2943, Azure/azure-service-operator#3220: InvalidParameter, target properties.count).
        if (typeof wantedProperties['count'] !== 'number') {
          return {
            status: 400,
            body: { error: { code: 'InvalidParameter', message: 'Required parameter properties.count is missing (null).', target: 'properties.count' } },
          };
        }
        const clusterProperties = record(cluster['properties']);
        const controlPlane = text(clusterProperties['currentKubernetesVersion']) || text(clusterProperties['kubernetesVersion']);
        if (existing === undefined) {
          const version = text(wantedProperties['orchestratorVersion']) || controlPlane;
          const created: JsonObject = { ...replaced(wantedProperties, {}, POOL_READ_ONLY), name, orchestratorVersion: version, provisioningState: 'Creating' };
          clusterProperties['agentPoolProfiles'] = [...poolsOf(cluster), created];
          renewEtags(cluster, name);
          const operation = upgrades.start(id, 'agentPool', version, name);
          return accepted(request, cluster, operation, poolResource(cluster, created), 201);
        }
        const current = text(existing['currentOrchestratorVersion']) || text(existing['orchestratorVersion']);
        // An empty orchestratorVersion keeps the pool's version (AgentPoolsCreate_Update sends "").
        const wanted = text(wantedProperties['orchestratorVersion']) || text(existing['orchestratorVersion']) || current;
        const poolName = String(existing['name']);
        const previous = {
          orchestratorVersion: current,
          nodeImageVersion: typeof existing['nodeImageVersion'] === 'string' ? existing['nodeImageVersion'] : undefined,
        };
        const withRollback = apiHasRollback(request.url.searchParams.get('api-version') ?? '');
        const write = {
          currentVersion: current,
          currentImage: previous.nodeImageVersion ?? '',
          wantedVersion: wanted,
          wantedImage: withRollback ? text(wantedProperties['nodeImageVersion']) : '',
        };
        let rollbackImage: string | undefined;
        if (withRollback && isRollback(write)) {
          const decision = decideRollback(cluster, poolName, write, upgrades.recentlyUsed.get(UpgradeSimulation.poolKey(id, poolName)) ?? [], upgrades.now());
          if (decision.kind === 'refused')
            return {
              status: decision.status,
              body: { error: { code: decision.code, message: decision.message, ...(decision.target === undefined ? {} : { target: decision.target }) } },
            };
          rollbackImage = decision.nodeImage;
        }
        // Create-or-replace: whatever the body leaves out is gone (count, labels, taints, autoscaler...).
        // From api-version 2026-04-01 (and 2025-08-02-preview) `nodeImageVersion` is writable for a
        // rollback only (Azure/azure-rest-api-specs#43524, #41598): the stored image stays until the
        // rollback operation restores the old one.
        const next = replaced({ ...wantedProperties, orchestratorVersion: wanted }, existing, POOL_READ_ONLY);
        for (const key of Object.keys(existing)) delete existing[key];
        Object.assign(existing, next, { name: poolName });
        renewEtags(cluster, poolName);
        if (rollbackImage !== undefined) {
          const operation = upgrades.start(id, 'rollback', wanted, poolName, { targetNodeImage: rollbackImage, previous });
          return accepted(request, cluster, operation, poolResource(cluster, existing), 200);
        }
        if (wanted === current) return { status: 200, body: poolResource(cluster, existing) };
        const operation = upgrades.start(id, 'agentPool', wanted, poolName, { previous });
        return accepted(request, cluster, operation, poolResource(cluster, existing), 200);
      },
    },
    {
      name: 'arm.upgradeNodeImageVersion',
      method: 'POST',
      pattern: new RegExp(`^${CLUSTER}/agentPools/(?<pool>[^/]+)/upgradeNodeImageVersion/?$`, 'i'),
      handle: (request) => {
        const target = writable(request);
        if ('status' in target) return target;
        const { cluster, id } = target;
        const pool = findPool(cluster, request.params['pool'] ?? '');
        if (pool === undefined) return notFound(request);
        const operation = upgrades.start(id, 'nodeImage', 'latest', String(pool['name']));
        renewEtags(cluster, String(pool['name']));
        // AgentPoolsUpgradeNodeImageVersion example (2025-07-01): 202, Azure-AsyncOperation, the pool as body.
        return accepted(request, cluster, operation, poolResource(cluster, pool), 202);
      },
    },
    {
      name: 'arm.getOperationStatus',
      method: 'GET',
      pattern:
        /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/Microsoft\.ContainerService\/locations\/(?<location>[^/]+)\/operations\/(?<operationId>[^/]+)\/?$/i,
      handle: (request) => {
        upgrades.settle();
        const operation = upgrades.operations.get(request.params['operationId'] ?? '');
        if (operation === undefined) return armError(404, 'NotFound', 'No such operation.');
        return {
          status: 200,
          body: {
            name: operation.id,
            status: operation.status,
            startTime: new Date(operation.startedAt).toISOString(),
            ...(operation.status === 'InProgress' ? {} : { endTime: new Date(operation.completesAt).toISOString() }),
            ...(operation.status === 'Failed'
              ? { error: { code: 'UpgradeFailed', message: 'Drain of node failed: PodDisruptionBudget blocked eviction (simulated).' } }
              : {}),
          },
        };
      },
    },
  ];
}
