/**
 * The app's long-lived parts, built once per Functions worker from the configuration: every
 * function shares the same SDK clients (and their connection pools).
 */
import { type FleetGuardConfig, forgetConfigForLocalHost, getConfig, requireStorage } from '../config.js';
import { type AzureClients, createAzureClients } from './clients.js';

export interface AppRuntime {
  config: FleetGuardConfig;
  clients: AzureClients;
}

let runtime: AppRuntime | undefined;
let tablesReady: Promise<void> | undefined;

/** Local hosts only: rebuild config and clients from the environment on next use. */
export function resetRuntimeForLocalHost(): void {
  forgetConfigForLocalHost();
  runtime = undefined;
  tablesReady = undefined;
}

export function getRuntime(): AppRuntime {
  if (runtime === undefined) {
    const config = getConfig();
    runtime = { config, clients: createAzureClients(config) };
  }
  return runtime;
}

/** Runtime with storage required; creates the tables once per worker. */
export type StoredClients = Omit<AzureClients, 'findings' | 'sweeps' | 'notices'> & { [K in 'findings' | 'sweeps' | 'notices']: NonNullable<AzureClients[K]> };

export async function getStoredRuntime(): Promise<{ config: FleetGuardConfig; clients: StoredClients }> {
  const current = getRuntime();
  requireStorage(current.config);
  const { findings, sweeps, notices } = current.clients;
  if (findings === undefined || sweeps === undefined || notices === undefined) throw new Error('storage is configured but the stores were not built');
  tablesReady ??= Promise.all([findings.ensureTable(), sweeps.ensureTable(), notices.ensureTable()]).then(
    () => undefined,
    (error: unknown) => {
      tablesReady = undefined;
      throw error;
    },
  );
  await tablesReady;
  return { ...current, clients: { ...current.clients, findings, sweeps, notices } };
}
