/**
 * The whole app as the host would run it on the sample fleet: the simulator, Azurite tables, the
 * registered functions and a Durable host with the client shim bound to durableClient inputs.
 * Free of vitest, so plain Node scripts (`npm run fuzz`) wire the app exactly as the tests do.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { resetRuntimeForLocalHost } from '../../lib/app/runtime.js';
import { type DurableClientShim, startDurableClientShim } from '../../tooling/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../tooling/local/durableHost.js';
import { LocalFunctionsHost } from '../../tooling/local/functionsHost.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';

export interface AppHost {
  local: LocalAzure;
  host: LocalFunctionsHost;
  durable: LocalDurableHost;
  clock: VirtualClock;
  close(): Promise<void>;
}

/** The functions entry beside this module: TypeScript under vitest, JavaScript in dist. */
function functionsEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return path.resolve(path.dirname(here), '..', '..', 'functions', here.endsWith('.ts') ? 'index.ts' : 'index.js');
}

export async function startAppHostOn(tablesConnectionString: string, settings: Record<string, string>): Promise<AppHost> {
  const clock = new VirtualClock();
  const local = await startLocalAzure({ snapshot: loadSnapshot(sampleFleetDirectory()), tablesConnectionString, upgrades: { now: clock.now }, settings });
  Object.assign(process.env, local.settings);
  resetRuntimeForLocalHost();
  const host = await LocalFunctionsHost.load(functionsEntry());
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
