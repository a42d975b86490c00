/**
 * The local tooling a rollout rehearsal runs on (lib/upgrades/rehearsal.ts declares what it needs):
 * the simulator serving the snapshot, Azurite, the app's registered functions on the local durable
 * host, one virtual clock for all of them. Exports the rehearsal bound to it, for the CLI and tests.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createAzureClients } from '../../lib/app/clients.js';
import { resetRuntimeForLocalHost } from '../../lib/app/runtime.js';
import { usePacingClock } from '../../lib/azure/requestLimiter.js';
import * as rehearsal from '../../lib/upgrades/rehearsal.js';
import { type LocalAzure, startLocalAzure } from '../simulator/localAzure.js';
import type { FleetSnapshot } from '../simulator/snapshot.js';
import { LocalDurableHost, VirtualClock } from './durableHost.js';
import { LocalFunctionsHost } from './functionsHost.js';

/** The compiled functions entry next to this module (dist), or the TypeScript one (tests). */
function functionsEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts')
    ? path.resolve(path.dirname(here), '..', '..', 'functions', 'index.ts')
    : path.resolve(path.dirname(here), '..', '..', 'functions', 'index.js');
}

export interface LocalRehearsalKinds {
  snapshot: FleetSnapshot;
  azure: LocalAzure;
  host: LocalDurableHost;
  clock: VirtualClock;
}

export const LOCAL_REHEARSAL_TOOLING: rehearsal.RehearsalTooling<LocalRehearsalKinds> = {
  newClock: () => new VirtualClock(),
  async startAzure({ snapshot, clock, tablesConnectionString, settings, faults }) {
    const local = await startLocalAzure({
      snapshot,
      withTables: tablesConnectionString === undefined,
      ...(tablesConnectionString === undefined ? {} : { tablesConnectionString }),
      upgrades: { now: clock.now, upgradeMinutes: 10 },
      ...(settings === undefined ? {} : { settings }),
    });
    for (const name of faults.anomalous) local.simulator.upgrades.anomalousClusters.add(name.toLowerCase());
    for (const name of faults.failing) local.simulator.upgrades.failingClusters.add(name.toLowerCase());
    for (const usage of faults.deprecatedApiUsage)
      local.simulator.upgrades.deprecatedApiUsage.set(usage.cluster.toLowerCase(), {
        api: usage.api,
        removedIn: usage.removedIn,
        lastSeen: clock.now() - 60 * 60_000,
      });
    return local;
  },
  async startHost(local, clock, env) {
    // The app reads its settings from the environment, as in Azure; the rehearsal points it here,
    // and puts back what was there when the rehearsal's local Azure closes: its CA file is deleted
    // then, and a later command in the same process (report --snapshot after the demo) must not
    // validate settings that point at it.
    const previous = Object.fromEntries(Object.keys(local.settings).map((name) => [name, env[name]]));
    // The app's clients pace their requests (ARM's read bucket after a 429, Log Analytics' limits) on
    // the rehearsal's clock: on the system clock a rehearsal waited in real time for what its virtual
    // clock, which runs the orchestrations and the simulated upgrades, never saw.
    const restoreClock = usePacingClock(clock);
    const close = local.close.bind(local);
    local.close = async () => {
      try {
        await close();
      } finally {
        restoreClock();
        for (const [name, value] of Object.entries(previous)) {
          if (value === undefined) delete env[name];
          else env[name] = value;
        }
        resetRuntimeForLocalHost();
      }
    };
    Object.assign(env, local.settings);
    resetRuntimeForLocalHost();
    const functions = await LocalFunctionsHost.load(functionsEntry());
    return new LocalDurableHost(functions, clock);
  },
  sources: (local) => createAzureClients(local.config),
  writesByCluster: (local) => local.simulator.upgrades.writesByCluster,
};

export type RehearsalOptions = rehearsal.RehearsalOptions<LocalRehearsalKinds>;
export type Rehearsal = rehearsal.Rehearsal<LocalRehearsalKinds>;
export type PreparedRehearsal = rehearsal.PreparedRehearsal<LocalRehearsalKinds>;

/** Sets everything up and starts the orchestration, without running it. */
export function prepareRehearsal(options: RehearsalOptions, env: Record<string, string | undefined>): Promise<PreparedRehearsal> {
  return rehearsal.prepareRehearsal(options, env, LOCAL_REHEARSAL_TOOLING);
}

/** Rehearses a rollout on the snapshot; the caller closes `local`. */
export function rehearseRollout(options: RehearsalOptions, env: Record<string, string | undefined>): Promise<Rehearsal> {
  return rehearsal.rehearseRollout(options, env, LOCAL_REHEARSAL_TOOLING);
}

export { nothingUpgraded, rehearsalResult, upgradedCount } from '../../lib/upgrades/rehearsal.js';
