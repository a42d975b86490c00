/**
 * Microsoft.Insights DiagnosticSettings_List on a managed cluster, as ARM answers it:
 * `GET {clusterId}/providers/Microsoft.Insights/diagnosticSettings`, the operation of Azure/azure-rest-api-specs
 * `specification/monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/diagnosticsSettings_API.json`
 * (its example `listDiagnosticSettings.json` is copied under `test/fixtures/azure-rest/monitor/`).
 *
 * - Seeded from the snapshot's optional `diagnosticSettings.json` (our extension of CONTRACTS.md §2:
 *   the List body of each cluster, keyed by cluster id). A cluster the file does not name has no
 *   setting, which is what ARM answers for such a resource: `{"value": []}`. Whether a snapshot knows
 *   the settings at all is the snapshot reader's concern (tooling/localModesTooling.ts), not ARM's.
 * - One page: the operation is `x-ms-pageable` with `nextLinkName: null`.
 * - An unknown cluster is a 404 ResourceNotFound, as the cluster's own GET (armRoutes.ts).
 * - Only 2021-05-01-preview is answered (older previews lack `categoryGroup`); another api-version is
 *   refused as ARM refuses one a type lacks (404 InvalidResourceType, the wording of componentPolicyRoutes.ts).
 */
import type { FleetState } from './fleetState.js';
import { armError, type Route } from './router.js';

export const DIAGNOSTIC_SETTINGS_API_VERSIONS = ['2021-05-01-preview'] as const;

export function diagnosticSettingsRoutes(fleet: FleetState): Route[] {
  return [
    {
      name: 'insights.listDiagnosticSettings',
      method: 'GET',
      pattern:
        /^\/subscriptions\/(?<subscriptionId>[^/]+)\/resourceGroups\/(?<resourceGroup>[^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/(?<name>[^/]+)\/providers\/Microsoft\.Insights\/diagnosticSettings\/?$/i,
      handle: (request) => {
        const apiVersion = request.url.searchParams.get('api-version') ?? '';
        if (!(DIAGNOSTIC_SETTINGS_API_VERSIONS as readonly string[]).includes(apiVersion)) {
          return armError(
            404,
            'InvalidResourceType',
            `The resource type 'diagnosticSettings' could not be found in the namespace 'Microsoft.Insights' for api version '${apiVersion}'. The supported api-versions are '${DIAGNOSTIC_SETTINGS_API_VERSIONS.join(',')}'.`,
          );
        }
        const cluster = fleet.findCluster(request.params['subscriptionId'] ?? '', request.params['resourceGroup'] ?? '', request.params['name'] ?? '');
        if (cluster === undefined) {
          return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${request.params['name'] ?? ''}' was not found.`);
        }
        const body = fleet.diagnosticSettings.get(String(cluster['id']).toLowerCase());
        return { status: 200, body: body === undefined ? { value: [] } : structuredClone(body) };
      },
    },
  ];
}
