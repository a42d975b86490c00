/**
 * The whole app as the host runs it (test/harness/appHostCore.ts) on tables of its own, given the
 * Azurite connection string instead of taking it from vitest, so `npm run fuzz` (plain Node) runs
 * the same targets as the tests.
 */
import { randomBytes } from 'node:crypto';

import { type AppHost, startAppHostOn } from '../harness/appHostCore.js';

export type FuzzApp = AppHost;

function tableName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export function startFuzzApp(tablesConnectionString: string): Promise<FuzzApp> {
  return startAppHostOn(tablesConnectionString, {
    FLEETGUARD_FINDINGS_TABLE: tableName('fzfindings'),
    FLEETGUARD_SWEEPS_TABLE: tableName('fzsweeps'),
    FLEETGUARD_EVENTS_TABLE: tableName('fzevents'),
    FLEETGUARD_ROLLOUTS_TABLE: tableName('fzrollouts'),
    FLEETGUARD_ALERTS_TABLE: tableName('fzalerts'),
    // A failing call fails at once: the fuzz cases must not wait for back-offs.
    FLEETGUARD_HTTP_MAX_RETRIES: '0',
  });
}
