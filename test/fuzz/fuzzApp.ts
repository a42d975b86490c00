/**
 * The whole app as the host runs it (simulator, Azurite tables, registered functions, durable host
 * with the client shim): the wiring of test/harness/appHost.ts, but given the Azurite connection
 * string instead of taking it from vitest, so `npm run fuzz` (plain Node) runs the same targets.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { type DurableClientShim, startDurableClientShim } from '../../lib/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../lib/local/durableHost.js';
import { LocalFunctionsHost } from '../../lib/local/functionsHost.js';
import { resetRuntimeForLocalHost } from '../../lib/runtime.js';
import { type LocalAzure, startLocalAzure } from '../../lib/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../lib/simulator/sampleFleet.js';
import { loadSnapshot } from '../../lib/simulator/snapshot.js';

export interface FuzzApp {
  local: LocalAzure;
  host: LocalFunctionsHost;
  durable: LocalDurableHost;
  close(): Promise<void>;
}

/** The functions entry beside this module: TypeScript under vitest, JavaScript in dist. */
function functionsEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return path.resolve(path.dirname(here), '..', '..', 'functions', here.endsWith('.ts') ? 'index.ts' : 'index.js');
}

function tableName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export async function startFuzzApp(tablesConnectionString: string): Promise<FuzzApp> {
  const clock = new VirtualClock();
  const local = await startLocalAzure({
    snapshot: loadSnapshot(sampleFleetDirectory()),
    tablesConnectionString,
    upgrades: { now: clock.now },
    settings: {
      FLEETGUARD_FINDINGS_TABLE: tableName('fzfindings'),
      FLEETGUARD_SWEEPS_TABLE: tableName('fzsweeps'),
      FLEETGUARD_EVENTS_TABLE: tableName('fzevents'),
      FLEETGUARD_ROLLOUTS_TABLE: tableName('fzrollouts'),
      FLEETGUARD_ALERTS_TABLE: tableName('fzalerts'),
      // A failing call fails at once: the fuzz cases must not wait for back-offs.
      FLEETGUARD_HTTP_MAX_RETRIES: '0',
    },
  });
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
    async close() {
      await shim.close();
      await local.close();
    },
  };
}
