import { afterEach, describe, expect, it } from 'vitest';

import { clusterFromArmJson } from '../../lib/azure/armClusterJson.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import { POLICY_DEFINITIONS_MARKER, policyDefinitionsQuery } from '../../lib/azure/policyDefinitions.js';
import { ResourceGraphAdapter } from '../../lib/azure/resourceGraph.js';
import { RESOURCE_GRAPH_QUERIES } from '../../lib/azure/resourceGraphQueries.js';
import type { QuotaClock } from '../../lib/azure/resourceGraphQuota.js';
import type { SweepResult } from '../../lib/sweep/sweepResult.js';
import { generatedSubscriptions, generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { policyDefinitionIdsOfQuery } from '../../tooling/simulator/resourceGraphRoutes.js';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { conformanceSample } from '../harness/fixtures.js';
import { analyzeKql } from '../harness/kusto.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const SUB2 = '22222222-2222-2222-2222-222222222222';
const ARM = { FLEETGUARD_INVENTORY_SOURCE: 'arm' };
const GRAPH = { FLEETGUARD_INVENTORY_SOURCE: 'resourceGraph' };

let fleets: Array<Pick<TestFleet, 'close'>> = [];
afterEach(async () => {
  await Promise.all(fleets.map((fleet) => fleet.close()));
  fleets = [];
});

/** Virtual time shared by the simulator's quota window and the adapter's pacer: a sleep moves it on at once. */
function virtualClock(): QuotaClock {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms) => {
      const until = now + ms;
      await Promise.resolve();
      now = Math.max(now, until);
    },
  };
}

/** The simulator and a Resource Graph adapter (real SDK client over HTTPS) on one virtual clock. */
async function graphOnVirtualTime(
  options: Omit<SimulatorOptions, 'snapshot'> = {},
): Promise<{ simulator: RunningSimulator; adapter: ResourceGraphAdapter; clock: QuotaClock }> {
  const clock = virtualClock();
  const simulator = await startSimulator({
    snapshot: generateFleet({ clusters: 8, subscriptions: 2, locations: 1 }),
    graphQuota: { now: clock.now },
    ...options,
  });
  fleets.push(simulator);
  const adapter = new ResourceGraphAdapter(
    new SimulatorCredential(),
    { kind: 'simulator', armEndpoint: simulator.url, caPem: simulator.caPem },
    { maxRetries: 3, retryDelayInMs: 20 },
    { clock },
  );
  return { simulator, adapter, clock };
}

async function fleetWith(options: Parameters<typeof startTestFleet>[0]): Promise<TestFleet> {
  const fleet = await startTestFleet(options);
  fleets.push(fleet);
  return fleet;
}

/** What a sweep concluded, without ids and times. */
function outcome(result: SweepResult) {
  return {
    findings: result.findings.map((finding) => `${finding.resourceId.toLowerCase()}|${finding.ruleId}|${finding.fingerprint}|${finding.severity}`).sort(),
    clusters: result.clusters.map((cluster) => `${cluster.resourceId}|${cluster.findings}|${cluster.policyCompliancePercent}`).sort(),
    policy: result.stats.policy,
  };
}

describe('inventory through Azure Resource Graph', () => {
  it.each(Object.entries(RESOURCE_GRAPH_QUERIES))('the %s query is valid KQL over the Resource Graph tables and projects id', (_name, query) => {
    const analysis = analyzeKql(query);
    expect(analysis.errors).toEqual([]);
    // Resource Graph pages with $skipToken only over results that carry `id`.
    expect(Object.keys(analysis.columns ?? {})).toContain('id');
  });

  it('the policy-definitions query (display names, test/integration/policyNames.test.ts) is valid KQL with any id escaped, and the simulator reads back exactly its ids', () => {
    const ids = [
      '/providers/Microsoft.Authorization/policyDefinitions/95edb821-ddaf-4404-9732-666045e056b4',
      '/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/it\'s "odd" \\ ) | take 1\n',
    ];
    const query = policyDefinitionsQuery(ids);
    expect(query.startsWith(`${POLICY_DEFINITIONS_MARKER}\n`)).toBe(true);
    const analysis = analyzeKql(query);
    expect(analysis.errors).toEqual([]);
    expect(Object.keys(analysis.columns ?? {})).toEqual(['id', 'name', 'type', 'displayName', 'policyType']);
    expect(policyDefinitionIdsOfQuery(query)?.sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
  });

  it('a Resource Graph row converts to the same cluster as the SDK reading ARM', async () => {
    const fleet = await fleetWith({ snapshot: loadSnapshot(conformanceSample), settings: ARM });
    const snapshot = loadSnapshot(conformanceSample);
    for (const subscriptionId of new Set(snapshot.clusters.map((cluster) => String(cluster['id']).split('/')[2] ?? ''))) {
      const viaSdk = (await fleet.clients.containerService.listClusters(subscriptionId)).clusters;
      expect(viaSdk.length).toBeGreaterThan(0);
      for (const cluster of viaSdk) {
        const raw = snapshot.clusters.find((candidate) => String(candidate['id']).toLowerCase() === cluster.id.toLowerCase());
        expect(clusterFromArmJson(raw), cluster.name).toEqual(cluster);
      }
    }
  });

  it('sweeps with a handful of paged queries instead of calls per subscription, with the same findings and compliance as ARM listing', async () => {
    const options = { clusters: 300, subscriptions: 12, locations: 3, workspaces: 2 };
    const arm = await fleetWith({ snapshot: generateFleet(options), settings: ARM });
    // A quota far above the service's: this test counts requests and concurrency, not pacing.
    const graph = await fleetWith({ snapshot: generateFleet(options), settings: GRAPH, graphPageSize: 100, graphQuota: { queries: 1000 } });
    const viaArm = await arm.sweep();
    // One slot: one request per query, whose pages follow each other.
    const viaGraph = await graph.sweep({ concurrency: 1 });
    expect(viaGraph.status).toBe('succeeded');
    expect(viaGraph.stats.clusters).toBe(300);
    expect(outcome(viaGraph)).toEqual(outcome(viaArm));
    const calls = graph.local.simulator.requests.countsByRoute();
    // Readable subscriptions (1 page), clusters (3 pages of 100), non-compliant states and the
    // summary (one row per cluster and compliance state), 100 rows a page.
    const states = (generateFleet(options).policyStates?.['value'] ?? []) as Array<Record<string, string>>;
    const nonCompliant = states.filter((state) => state['complianceState'] === 'NonCompliant').length;
    const summaryRows = new Set(states.map((state) => `${state['resourceId']?.toLowerCase()}|${state['complianceState']}`)).size;
    expect(nonCompliant).toBeGreaterThan(100);
    // ... and the one lookup of the policy definitions' display names.
    expect(calls['graph.resources']).toBe(1 + 3 + Math.ceil(nonCompliant / 100) + Math.ceil(summaryRows / 100) + 1);
    expect(calls['arm.listManagedClusters']).toBeUndefined();
    expect(calls['policy.queryResults']).toBeUndefined();
    expect(calls['arm.listKubernetesVersions']).toBe(3);

    // With four slots each query (but the one-row-per-subscription readability check) is split by
    // subscription into four requests paging side by side.
    graph.local.simulator.requests.clear();
    // Each answer takes 250 ms, so four requests sent together are all being answered at once even
    // when a loaded machine spreads their arrival (new TLS connections): at 20 ms the check saw 3
    // in flight under load. Four lanes of about 4 pages each: about a second.
    graph.local.simulator.faults.configure({ routes: { 'graph.resources': { latencyMs: 250 } } });
    const split = await graph.sweep({ concurrency: 4 });
    expect(outcome(split)).toEqual(outcome(viaArm));
    // Resource Graph's own requests fill the four slots (the other services' calls share them).
    expect(graph.local.simulator.requests.maxInFlightByService['graph']).toBe(4);
    expect(graph.local.simulator.requests.maxInFlight).toBe(4);
    expect(graph.local.simulator.requests.count('graph.resources')).toBeGreaterThanOrEqual(1 + 3 * 4);
  });

  it('a subscription Resource Graph does not vouch for is listed through ARM, where a 403 is reported instead of an empty subscription', async () => {
    const fleet = await fleetWith({ snapshot: loadSnapshot(conformanceSample), settings: GRAPH, withStore: true });
    await fleet.sweep();
    fleet.local.simulator.faults.configure({ forbiddenSubscriptions: [SUB2] });
    const second = await fleet.sweep();
    expect(second.status).toBe('partial');
    expect(second.errors.map((error) => `${error.scope}:${error.target}:${error.reason}`)).toContain(`subscription:${SUB2}:authError`);
    expect(second.stats.store?.resolved).toBe(0);
    // Only the subscription Resource Graph left out was listed one by one.
    expect(
      fleet.local.simulator.requests.entries.filter((entry) => entry.route === 'arm.listManagedClusters').map((entry) => entry.path.split('/')[2]),
    ).toEqual([SUB2]);
  });

  it('auto: per-subscription listing up to the concurrency, Resource Graph beyond it', async () => {
    const fleet = await fleetWith({
      snapshot: generateFleet({ clusters: 40, subscriptions: 4, locations: 2 }),
      settings: { FLEETGUARD_INVENTORY_SOURCE: 'auto', FLEETGUARD_SWEEP_CONCURRENCY: '4' },
    });
    await fleet.sweep();
    // Only the one lookup of the policy definitions' display names (in every inventory mode).
    expect(fleet.local.simulator.requests.count('graph.resources')).toBe(1);
    const wider = await fleetWith({
      snapshot: generateFleet({ clusters: 40, subscriptions: 4, locations: 2 }),
      settings: { FLEETGUARD_INVENTORY_SOURCE: 'auto', FLEETGUARD_SWEEP_CONCURRENCY: '3' },
    });
    await wider.sweep();
    expect(wider.local.simulator.requests.count('graph.resources')).toBeGreaterThan(0);
    expect(wider.local.simulator.requests.count('arm.listManagedClusters')).toBe(0);
    expect(wider.local.simulator.requests.count('policy.queryResults')).toBe(0);
  });

  it('when Resource Graph fails, the sweep falls back to per-subscription calls, reports it, and finds the same', async () => {
    const clean = await (await fleetWith({ snapshot: loadSnapshot(conformanceSample), settings: GRAPH })).sweep();
    const fleet = await fleetWith({
      snapshot: loadSnapshot(conformanceSample),
      settings: GRAPH,
      maxRetries: 0,
      faults: { routes: { 'graph.resources': { serverError: { rate: 1, status: 500 } } } },
    });
    const degraded = await fleet.sweep();
    expect(degraded.status).toBe('partial');
    // Reported once: with the inventory listed per subscription, policy goes per subscription too.
    expect(degraded.errors.filter((error) => error.scope === 'resourceGraph').map((error) => error.target)).toEqual(['clusters']);
    expect(outcome(degraded)).toEqual(outcome(clean));
    expect(fleet.local.simulator.requests.count('arm.listManagedClusters')).toBeGreaterThan(0);
    expect(fleet.local.simulator.requests.count('policy.queryResults')).toBeGreaterThan(0);
  });

  describe('throttling as Resource Graph signals it (Learn: "Guidance for throttled requests in Azure Resource Graph")', () => {
    it('a 429 without Retry-After (quota headers only) is waited out, and the sweep still uses Resource Graph, not the per-subscription fallback', async () => {
      // The fault answers 429 RateLimiting with x-ms-user-quota-remaining: 0 and
      // x-ms-user-quota-resets-after: 00:00:01, and no Retry-After (throttling.ts).
      const fleet = await fleetWith({
        snapshot: loadSnapshot(conformanceSample),
        settings: GRAPH,
        faults: { routes: { 'graph.resources': { throttle: { first: 1, retryAfterSeconds: 1 } } } },
      });
      const started = Date.now();
      const result = await fleet.sweep();
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(result.status).toBe('succeeded');
      expect(result.errors).toEqual([]);
      const requests = fleet.local.simulator.requests;
      expect(requests.count('graph.resources', 429)).toBe(1);
      expect(requests.count('graph.resources', 200)).toBeGreaterThan(1);
      expect(requests.count('arm.listManagedClusters')).toBe(0);
      expect(requests.count('policy.queryResults')).toBe(0);
    });

    it('pacing by the quota headers avoids the 429 entirely: 20 queries in a burst against 15 per 5 s', async () => {
      const { simulator, adapter, clock } = await graphOnVirtualTime();
      const subscriptions = generatedSubscriptions({ clusters: 8, subscriptions: 2, locations: 1 });
      const started = clock.now();
      const answers = await Promise.all(Array.from({ length: 20 }, () => adapter.queryAll('clusters', subscriptions)));
      expect(answers.every((rows) => rows.length === 8)).toBe(true);
      expect(simulator.requests.count('graph.resources', 429)).toBe(0);
      expect(simulator.requests.count('graph.resources', 200)).toBe(20);
      // The sixteenth query waited for the window to reset.
      expect(clock.now() - started).toBeGreaterThanOrEqual(5000);
    });

    it('a cloud without api-version 2024-04-01 (404 InvalidResourceType, as AzureUSGovernment answered in microsoft/ARI#306) is queried with 2022-10-01', async () => {
      const { simulator, adapter } = await graphOnVirtualTime({
        graphApiVersions: ['2018-09-01-preview', '2019-04-01', '2021-03-01', '2021-06-01-preview', '2022-10-01'],
      });
      const subscriptions = generatedSubscriptions({ clusters: 8, subscriptions: 2, locations: 1 });
      expect(await adapter.queryAll('clusters', subscriptions)).toHaveLength(8);
      expect(await adapter.queryAll('clusters', subscriptions)).toHaveLength(8);
      // Asked once with the newest, then with the fallback for good.
      expect(simulator.requests.entries.filter((entry) => entry.route === 'graph.resources').map((entry) => entry.status)).toEqual([404, 200, 200]);
    });
  });
});
