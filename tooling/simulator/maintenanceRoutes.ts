/**
 * AKS maintenance configurations (GET), answered in the shape of the official example
 * `MaintenanceConfigurationsGet_MaintenanceWindow.json` (2025-07-01): `id`, `name`, `type` (every
 * ARM proxy resource has one; the spec's MaintenanceConfiguration is a SubResource with `type`),
 * and `properties.maintenanceWindow` with its schedule, `startDate`, `utcOffset` and blackouts
 * (`notAllowedDates`) exactly as they were seeded.
 */
import type { FleetState } from './fleetState.js';
import { armError, type Route } from './router.js';
import type { UpgradeSimulation } from './upgradeSimulation.js';

const CLUSTER =
  '/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.ContainerService/managedClusters/(?<name>[^/]+)';

/** The resource type of a maintenance configuration. */
export const MAINTENANCE_CONFIGURATION_TYPE = 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations';

/** The only configuration the simulator holds: the planned auto-upgrade window. */
const AUTO_UPGRADE_SCHEDULE = 'aksManagedAutoUpgradeSchedule';

export function maintenanceRoutes(fleet: FleetState, upgrades: UpgradeSimulation): Route[] {
  return [
    {
      name: 'arm.getMaintenanceConfiguration',
      method: 'GET',
      pattern: new RegExp(`^${CLUSTER}/maintenanceConfigurations/(?<config>[^/]+)/?$`, 'i'),
      handle: (request) => {
        const cluster = fleet.findCluster(request.params['subscriptionId'] ?? '', request.params['resourceGroup'] ?? '', request.params['name'] ?? '');
        if (cluster === undefined)
          return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${request.params['name'] ?? ''}' was not found.`);
        const config = request.params['config'] ?? '';
        const window = upgrades.maintenanceWindows.get(String(cluster['id']).toLowerCase());
        // A configuration that was never created is a 404 (the code on a live tenant is unverified).
        if (window === undefined || config.toLowerCase() !== AUTO_UPGRADE_SCHEDULE.toLowerCase())
          return armError(404, 'NotFound', `Maintenance configuration ${config} not found.`);
        return {
          status: 200,
          body: {
            id: `${String(cluster['id'])}/maintenanceConfigurations/${AUTO_UPGRADE_SCHEDULE}`,
            name: AUTO_UPGRADE_SCHEDULE,
            type: MAINTENANCE_CONFIGURATION_TYPE,
            properties: { maintenanceWindow: window },
          },
        };
      },
    },
  ];
}
