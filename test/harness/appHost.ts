/** The whole app on the suite's shared Azurite, under tables no other test uses (see appHostCore). */
import { type AppHost, startAppHostOn } from './appHostCore.js';
import { azuriteConnectionString, uniqueTableName } from './tables.js';

export type { AppHost } from './appHostCore.js';

export function startAppHost(settings: Record<string, string> = {}): Promise<AppHost> {
  return startAppHostOn(azuriteConnectionString(), {
    FLEETGUARD_ROLLOUTS_TABLE: uniqueTableName('rollouts'),
    FLEETGUARD_ALERTS_TABLE: uniqueTableName('ralerts'),
    ...settings,
  });
}
