import { type AzureClients, createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { runSweep, type SweepOptions } from '../../lib/sweep/runSweep.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';
import { type LocalAzure, type LocalAzureOptions, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { azuriteConnectionString, uniqueTableName } from './tables.js';

/** Short SDK back-off so retry tests take milliseconds; Retry-After is still honoured as sent. */
export const FAST_RETRY = { retryDelayInMs: 20, maxRetryDelayInMs: 200 };

export interface TestFleet {
  local: LocalAzure;
  clients: AzureClients;
  sweep(options?: Partial<SweepOptions>): Promise<SweepResult>;
  close(): Promise<void>;
}

/**
 * The simulator seeded with `snapshot`, real SDK clients pointed at it, and (with `withStore`) the
 * shared Azurite under tables no other test uses.
 */
export async function startTestFleet(options: LocalAzureOptions & { withStore?: boolean; maxRetries?: number }): Promise<TestFleet> {
  const local = await startLocalAzure({
    ...options,
    ...(options.withStore === true ? { tablesConnectionString: azuriteConnectionString() } : {}),
    settings: {
      FLEETGUARD_FINDINGS_TABLE: uniqueTableName('findings'),
      FLEETGUARD_SWEEPS_TABLE: uniqueTableName('sweeps'),
      ...(options.maxRetries === undefined ? {} : { FLEETGUARD_HTTP_MAX_RETRIES: String(options.maxRetries) }),
      ...options.settings,
    },
  });
  const clients = createAzureClients(local.config, { retry: FAST_RETRY });
  return {
    local,
    clients,
    sweep: (sweepOptions = {}) => runSweep(sweepDependencies(clients), { subscriptions: [], concurrency: 4, trigger: 'test', ...sweepOptions }),
    close: () => local.close(),
  };
}
