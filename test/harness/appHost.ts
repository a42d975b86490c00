/**
 * The whole app as the host would run it on the sample fleet: the simulator, Azurite tables, the
 * registered functions and a Durable host with the client shim bound to durableClient inputs.
 */
import { type DurableClientShim, startDurableClientShim } from '../../lib/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../lib/local/durableHost.js';
import { resetRuntimeForLocalHost } from '../../lib/runtime.js';
import { type LocalAzure, startLocalAzure } from '../../lib/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../lib/simulator/sampleFleet.js';
import { loadSnapshot } from '../../lib/simulator/snapshot.js';
import { LocalFunctionsHost } from './functionsHost.js';
import { azuriteConnectionString, uniqueTableName } from './tables.js';

export interface AppHost {
  local: LocalAzure;
  host: LocalFunctionsHost;
  durable: LocalDurableHost;
  clock: VirtualClock;
  close(): Promise<void>;
}

export async function startAppHost(settings: Record<string, string> = {}): Promise<AppHost> {
  const clock = new VirtualClock();
  const local = await startLocalAzure({
    snapshot: loadSnapshot(sampleFleetDirectory()),
    tablesConnectionString: azuriteConnectionString(),
    upgrades: { now: clock.now },
    settings: { FLEETGUARD_ROLLOUTS_TABLE: uniqueTableName('rollouts'), FLEETGUARD_ALERTS_TABLE: uniqueTableName('ralerts'), ...settings },
  });
  Object.assign(process.env, local.settings);
  resetRuntimeForLocalHost();
  const host = await LocalFunctionsHost.load('../../functions/index.ts');
  const durable = new LocalDurableHost(host, clock);
  const shim: DurableClientShim = await startDurableClientShim(durable);
  host.bindingInputs.set('durableClient', { string: JSON.stringify(shim.clientData) });
  return {
    local,
    host,
    durable,
    clock,
    async close() {
      await shim.close();
      await local.close();
    },
  };
}
