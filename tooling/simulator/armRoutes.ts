/** The ARM surface the SDK clients call for inventory: subscriptions, clusters, upgrade profiles, versions. */
import type { FleetState } from './fleetState.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';

const CLUSTERS =
  '/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.ContainerService/managedClusters/(?<name>[^/]+)';

export interface ArmRouteOptions {
  /** Clusters per page of the list call; the SDK follows `nextLink`. */
  pageSize: number;
}

function subscriptionNotFound(subscriptionId: string): SimulatorResponse {
  return armError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}

function page<T>(request: SimulatorRequest, items: readonly T[], pageSize: number): SimulatorResponse {
  const offset = Number(request.url.searchParams.get('$skipToken') ?? '0') || 0;
  const slice = items.slice(offset, offset + pageSize);
  const next = offset + pageSize < items.length ? offset + pageSize : undefined;
  let nextLink: string | undefined;
  if (next !== undefined) {
    const url = new URL(request.url.pathname, request.baseUrl);
    url.searchParams.set('api-version', request.url.searchParams.get('api-version') ?? '');
    url.searchParams.set('$skipToken', String(next));
    nextLink = url.toString();
  }
  return { status: 200, body: { value: slice, ...(nextLink ? { nextLink } : {}) } };
}

export function armRoutes(fleet: FleetState, options: ArmRouteOptions): Route[] {
  return [
    {
      name: 'arm.listSubscriptions',
      method: 'GET',
      pattern: /^\/subscriptions\/?$/i,
      handle: (request) =>
        page(
          request,
          // The fields of the GetSubscriptions example (Microsoft.Resources 2022-12-01).
          fleet.listSubscriptions().map((subscription) => ({
            id: `/subscriptions/${subscription.subscriptionId}`,
            subscriptionId: subscription.subscriptionId,
            tenantId: '00000000-0000-0000-0000-00000000aaaa',
            displayName: subscription.displayName,
            state: 'Enabled',
            subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
            authorizationSource: 'RoleBased',
            managedByTenants: [],
            tags: {},
          })),
          options.pageSize,
        ),
    },
    {
      name: 'arm.listManagedClusters',
      method: 'GET',
      pattern: /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/?$/i,
      handle: (request) => {
        const subscriptionId = request.params['subscriptionId'] ?? '';
        if (!fleet.hasSubscription(subscriptionId)) return subscriptionNotFound(subscriptionId);
        fleet.upgrades?.settle();
        return page(request, fleet.clustersOf(subscriptionId), options.pageSize);
      },
    },
    {
      name: 'arm.getManagedClusterUpgradeProfile',
      method: 'GET',
      pattern: new RegExp(`^${CLUSTERS}/upgradeProfiles/default/?$`, 'i'),
      handle: (request) => {
        const cluster = fleet.findCluster(request.params['subscriptionId'] ?? '', request.params['resourceGroup'] ?? '', request.params['name'] ?? '');
        if (cluster === undefined)
          return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${request.params['name'] ?? ''}' was not found.`);
        return { status: 200, body: fleet.upgradeProfile(cluster) };
      },
    },
    {
      name: 'arm.getManagedCluster',
      method: 'GET',
      pattern: new RegExp(`^${CLUSTERS}/?$`, 'i'),
      handle: (request) => {
        fleet.upgrades?.settle();
        const cluster = fleet.findCluster(request.params['subscriptionId'] ?? '', request.params['resourceGroup'] ?? '', request.params['name'] ?? '');
        if (cluster === undefined)
          return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${request.params['name'] ?? ''}' was not found.`);
        return { status: 200, body: cluster };
      },
    },
    {
      name: 'arm.listKubernetesVersions',
      method: 'GET',
      pattern: /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/Microsoft\.ContainerService\/locations\/(?<location>[^/]+)\/kubernetesVersions\/?$/i,
      handle: (request) => {
        const subscriptionId = request.params['subscriptionId'] ?? '';
        if (!fleet.hasSubscription(subscriptionId)) return subscriptionNotFound(subscriptionId);
        const versions = fleet.versionsFor(request.params['location'] ?? '');
        if (versions === undefined)
          return armError(
            400,
            'LocationNotAvailableForResourceType',
            `The provided location '${request.params['location'] ?? ''}' is not available for resource type 'Microsoft.ContainerService/locations/kubernetesVersions'.`,
          );
        return { status: 200, body: versions };
      },
    },
  ];
}
