/** ARM write operations for upgrades: PUT cluster, PUT agent pool, node-image upgrade, operation status. */
import type { FleetState } from './fleetState.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';
import type { UpgradeOperation, UpgradeSimulation } from './upgradeSimulation.js';

const CLUSTER = '/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.ContainerService/managedClusters/(?<name>[^/]+)';

function record(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

function accepted(request: SimulatorRequest, cluster: JsonObject, operation: UpgradeOperation, body: unknown, status = 200): SimulatorResponse {
  const url = new URL(`/subscriptions/${request.params['subscriptionId'] ?? ''}/providers/Microsoft.ContainerService/locations/${String(cluster['location'])}/operations/${operation.id}`, request.baseUrl);
  url.searchParams.set('api-version', '2017-08-31');
  return { status, body, headers: { 'azure-asyncoperation': url.toString(), 'retry-after': '30' } };
}

function busy(name: string): SimulatorResponse {
  return armError(409, 'OperationNotAllowed', `Operation is not allowed because there's an in progress upgrade operation on managed cluster ${name}.`);
}

export function upgradeRoutes(fleet: FleetState, upgrades: UpgradeSimulation): Route[] {
  const find = (request: SimulatorRequest) => fleet.findCluster(request.params['subscriptionId'] ?? '', request.params['resourceGroup'] ?? '', request.params['name'] ?? '');
  const notFound = (request: SimulatorRequest) => armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${request.params['name'] ?? ''}' was not found.`);
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
        const wanted = record(record(request.body)['properties'])['kubernetesVersion'];
        const properties = record(cluster['properties']);
        if (typeof wanted !== 'string' || wanted === '') return armError(400, 'InvalidParameter', 'properties.kubernetesVersion is required.');
        const current = typeof properties['currentKubernetesVersion'] === 'string' ? properties['currentKubernetesVersion'] : typeof properties['kubernetesVersion'] === 'string' ? properties['kubernetesVersion'] : '';
        if (wanted === current) return { status: 200, body: cluster };
        const operation = upgrades.start(id, 'controlPlane', wanted);
        return accepted(request, cluster, operation, cluster);
      },
    },
    {
      name: 'arm.getAgentPool',
      method: 'GET',
      pattern: new RegExp(`^${CLUSTER}/agentPools/(?<pool>[^/]+)/?$`, 'i'),
      handle: (request) => {
        upgrades.settle();
        const cluster = find(request);
        const pools = Array.isArray(record(cluster?.['properties'])['agentPoolProfiles']) ? (record(cluster?.['properties'])['agentPoolProfiles'] as JsonObject[]) : [];
        const pool = pools.find((profile) => String(profile['name']).toLowerCase() === (request.params['pool'] ?? '').toLowerCase());
        if (cluster === undefined || pool === undefined) return notFound(request);
        return { status: 200, body: { id: `${String(cluster['id'])}/agentPools/${String(pool['name'])}`, name: pool['name'], properties: pool } };
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
        const wanted = record(record(request.body)['properties'])['orchestratorVersion'];
        if (typeof wanted !== 'string' || wanted === '') return armError(400, 'InvalidParameter', 'properties.orchestratorVersion is required.');
        const operation = upgrades.start(id, 'agentPool', wanted, request.params['pool']);
        return accepted(request, cluster, operation, { name: request.params['pool'], properties: { orchestratorVersion: wanted, provisioningState: 'Upgrading' } });
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
        const operation = upgrades.start(id, 'nodeImage', 'latest', request.params['pool']);
        return accepted(request, cluster, operation, undefined, 202);
      },
    },
    {
      name: 'arm.getOperationStatus',
      method: 'GET',
      pattern: /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/Microsoft\.ContainerService\/locations\/(?<location>[^/]+)\/operations\/(?<operationId>[^/]+)\/?$/i,
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
            ...(operation.status === 'Failed' ? { error: { code: 'UpgradeFailed', message: 'Drain of node failed: PodDisruptionBudget blocked eviction (simulated).' } } : {}),
          },
        };
      },
    },
  ];
}
