/**
 * Chaos for the sweep: throttling and server errors on every Azure control-plane route, a Log
 * Analytics workspace that never answers, and Azure Tables (Azurite) stopped in the middle of the
 * store stage. Each is bounded in time and compared with a clean run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';
import { type RunningAzurite, startAzuriteTables } from '../../tooling/simulator/azurite.js';
import type { FaultPlan } from '../../tooling/simulator/faults.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { FAST_RETRY, startTestFleet, type TestFleet } from '../harness/localFleet.js';
import { uniqueTableName } from '../harness/tables.js';

const FLEET = { clusters: 160, subscriptions: 8, locations: 3, workspaces: 2 };
const CONTROL_PLANE_ROUTES = ['arm.listSubscriptions', 'arm.listManagedClusters', 'arm.listKubernetesVersions', 'policy.queryResults', 'graph.resources'];

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function fleetWith(options: Parameters<typeof startTestFleet>[0]): Promise<TestFleet> {
  const fleet = await startTestFleet(options);
  cleanup.push(() => fleet.close());
  return fleet;
}

function findingKeys(result: SweepResult): string[] {
  return result.findings.map((finding) => `${finding.resourceId.toLowerCase()}|${finding.ruleId}|${finding.fingerprint}`).sort();
}

describe('sweep chaos', () => {
  // Throttled in each service's own words (tooling/simulator/throttling.ts): ARM and Policy Insights
  // with Retry-After, Resource Graph with its quota headers and no Retry-After.
  it.each(['arm', 'resourceGraph'])(
    "%s inventory: a fifth of control-plane calls throttled (each service's throttling headers) and one in twenty failing with 500 give the findings of a clean run",
    async (source) => {
      const settings = { FLEETGUARD_INVENTORY_SOURCE: source };
      const clean = await (await fleetWith({ snapshot: generateFleet(FLEET), settings })).sweep();
      const faults: FaultPlan = {
        seed: 7,
        // The 500 share applies to calls that were not throttled (0.8 × 0.0625 = 5 %); besides, a
        // route's first call fails unless throttled, so a small fleet sees 500s on every run.
        routes: Object.fromEntries(
          CONTROL_PLANE_ROUTES.map((route) => [
            route,
            { throttle: { rate: 0.2, retryAfterMs: 30 }, serverError: { rate: 0.05 / 0.8, first: 1, status: 500 as const } },
          ]),
        ),
      };
      // Enough retries that a call failing every attempt (0.25^9) does not happen by chance.
      const chaotic = await fleetWith({ snapshot: generateFleet(FLEET), settings, faults, maxRetries: 8 });
      const result = await chaotic.sweep();
      const requests = chaotic.local.simulator.requests;
      const throttled = CONTROL_PLANE_ROUTES.reduce((sum, route) => sum + requests.count(route, 429), 0);
      const failed = CONTROL_PLANE_ROUTES.reduce((sum, route) => sum + requests.count(route, 500), 0);
      const answered = CONTROL_PLANE_ROUTES.reduce((sum, route) => sum + requests.count(route, 200), 0);
      expect(throttled).toBeGreaterThan(0);
      if (source === 'resourceGraph') expect(requests.count('graph.resources', 429)).toBeGreaterThan(0);
      expect(failed).toBeGreaterThan(0);
      expect(throttled / (throttled + failed + answered)).toBeGreaterThan(0.1);
      expect(result.errors).toEqual([]);
      expect(result.status).toBe('succeeded');
      expect(findingKeys(result)).toEqual(findingKeys(clean));
      expect(result.stats.policy).toEqual(clean.stats.policy);
    },
  );

  it('a workspace that never answers: its detections are reported failed after the query timeout, and nothing else changes', async () => {
    const settings = { FLEETGUARD_LOG_QUERY_TIMEOUT_SECONDS: '1' };
    const clean = await (await fleetWith({ snapshot: generateFleet(FLEET), settings })).sweep();
    const fleet = await fleetWith({ snapshot: generateFleet(FLEET), settings, faults: { hangingWorkspaces: ['ws1'] } });
    const started = Date.now();
    const result = await fleet.sweep();
    // Bounded by the timeout (queries run side by side), not by the workspace.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(result.status).toBe('partial');
    expect(result.errors.map((error) => `${error.scope}:${error.target}`)).toEqual(['workspace:ws1']);
    expect(result.errors[0]?.message).toMatch(/timed out/);
    expect(result.stats.logs?.failedWorkspaces).toBe(1);
    // Every non-log finding is the same; log findings can only be ones the clean run also had.
    const isLog = (key: string) => key.includes('|LOG-');
    expect(findingKeys(result).filter((key) => !isLog(key))).toEqual(findingKeys(clean).filter((key) => !isLog(key)));
    expect(
      findingKeys(result)
        .filter(isLog)
        .every((key) => findingKeys(clean).includes(key)),
    ).toBe(true);
  });

  describe('Azurite stopped in the middle of a sweep', () => {
    let azurite: RunningAzurite | undefined;
    let local: LocalAzure | undefined;
    let directory = '';
    afterEach(async () => {
      await local?.close();
      await azurite?.close();
      rmSync(directory, { recursive: true, force: true });
    });

    it('the sweep fails cleanly, no finding is half-written or wrongly resolved, and the next sweep converges', async () => {
      directory = mkdtempSync(path.join(tmpdir(), 'fleetguard-azurite-'));
      azurite = await startAzuriteTables({ location: directory });
      const port = Number(new URL(azurite.tableEndpoint).port);
      local = await startLocalAzure({
        snapshot: generateFleet(FLEET),
        tablesConnectionString: azurite.connectionString,
        settings: {
          FLEETGUARD_FINDINGS_TABLE: uniqueTableName('findings'),
          FLEETGUARD_SWEEPS_TABLE: uniqueTableName('sweeps'),
          FLEETGUARD_HTTP_MAX_RETRIES: '1',
        },
      });
      const clients = createAzureClients(local.config, { retry: FAST_RETRY });
      const sweep = (onStore?: (done: number) => void) =>
        runSweep(sweepDependencies(clients), {
          subscriptions: [],
          concurrency: 2,
          trigger: 'test',
          ...(onStore ? { onProgress: (progress) => (progress.stage === 'store' ? onStore(progress.done) : undefined) } : {}),
        });

      const first = await sweep();
      expect(first.stats.store?.opened).toBe(first.findings.length);
      // Fix local accounts on every third cluster: the next sweep resolves findings in every subscription.
      const fixed = local.simulator.fleet
        .listSubscriptions()
        .flatMap((subscription) => subscription.clusters)
        .filter((_cluster, index) => index % 3 === 0)
        .map((cluster) => String(cluster['id']));
      for (const id of fixed) local.simulator.fleet.updateClusterProperties(id, (properties) => (properties['disableLocalAccounts'] = true));

      let stopping: Promise<void> | undefined;
      const interrupted = await sweep((done) => {
        if (done === 2 && stopping === undefined) stopping = azurite!.close();
      });
      await stopping;
      expect(stopping).toBeDefined();
      expect(interrupted.status).toBe('partial');
      const storeErrors = interrupted.errors.filter((error) => error.scope === 'store');
      expect(storeErrors.length).toBeGreaterThan(0);
      expect(storeErrors.every((error) => error.reason === 'serverError')).toBe(true);

      azurite = await startAzuriteTables({ location: directory, port });
      const rows = await clients.findings!.listFindings();
      // Whole rows only, each written by one of the two sweeps.
      expect(rows).toHaveLength(first.findings.length);
      for (const row of rows) {
        expect([first.sweepId, interrupted.sweepId]).toContain(row.sweepId);
        expect(['open', 'resolved']).toContain(row.status);
        expect(row.fingerprint).toMatch(/^[0-9a-f]{16,}$/);
      }
      // Nothing resolved that the interrupted sweep still saw.
      const stillSeen = new Set(interrupted.findings.map((finding) => finding.fingerprint));
      const resolved = rows.filter((row) => row.status === 'resolved');
      expect(resolved.every((row) => !stillSeen.has(row.fingerprint) && row.ruleId === 'AKS-LOCAL-ACCOUNTS')).toBe(true);
      // Some subscriptions were reconciled before the stop, not all of them.
      expect(resolved.length).toBeGreaterThan(0);
      const expectedResolved = first.findings.filter((finding) => !stillSeen.has(finding.fingerprint)).length;
      expect(resolved.length).toBeLessThan(expectedResolved);

      const next = await sweep();
      expect(next.status).toBe('succeeded');
      const converged = await clients.findings!.listFindings();
      const open = converged.filter((row) => row.status === 'open');
      expect(open.map((row) => row.fingerprint).sort()).toEqual(next.findings.map((finding) => finding.fingerprint).sort());
      expect(open.every((row) => row.sweepId === next.sweepId)).toBe(true);
      expect(converged.filter((row) => row.status === 'resolved')).toHaveLength(expectedResolved);
    });
  });
});
