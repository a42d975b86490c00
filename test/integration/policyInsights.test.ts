import { PolicyInsightsClient } from '@azure/arm-policyinsights';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe('Policy Insights through the SDK and the simulator', () => {
  it('filters server-side to non-compliant cluster states, selects only used columns, and follows nextLink', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()), pageSize: 2 });
    const states = await fleet.clients.policy.listNonCompliantClusterStates(S1);
    // web-dev: 2, checkout-prod: 1, a cluster outside the fleet: 1; not the public IP, not compliant states.
    expect(states.map((state) => `${state.resourceId.split('/').at(-1)}:${state.complianceState}`).sort()).toEqual([
      'checkout-prod:NonCompliant',
      'deleted-cluster:NonCompliant',
      'web-dev:NonCompliant',
      'web-dev:NonCompliant',
    ]);
    expect(fleet.local.simulator.requests.count('policy.queryResults', 200)).toBe(2);
    const agentPool = await fleet.clients.policy.listNonCompliantClusterStates(S2);
    expect(agentPool.some((state) => state.resourceType === '/Microsoft.ContainerService/managedClusters/agentPools')).toBe(true);
  });

  it('a subscription with more than one page of non-compliant states yields all its findings; every page is a POST, since the service refuses GET (Azure/azure-cli#20370, #22173)', async () => {
    // One state a page: every subscription's states and counts span several pages.
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()), pageSize: 1, settings: { FLEETGUARD_INVENTORY_SOURCE: 'arm' } });
    const result = await fleet.sweep();
    expect(result.errors.filter((error) => error.scope === 'policy')).toEqual([]);
    expect(result.findings.filter((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT')).toHaveLength(10);
    expect(result.stats.policy).toEqual({ compliant: 19, nonCompliant: 10, percent: 65.5 });
    const calls = fleet.local.simulator.requests.entries.filter((entry) => entry.route === 'policy.queryResults');
    expect(calls.length).toBeGreaterThan(6);
    expect(calls.filter((entry) => entry.method !== 'POST' || entry.status !== 200)).toEqual([]);

    // The Event Grid policy reaction and the rollout health gate read one resource group through the same adapter.
    fleet.local.simulator.requests.clear();
    const webGroup = await fleet.clients.policyInsights.listNonCompliantClusterStatesInResourceGroup(S1, 'web');
    expect(webGroup.map((state) => state.resourceId.split('/').at(-1))).toEqual(['web-dev', 'web-dev']);
    expect(fleet.local.simulator.requests.entries.map((entry) => `${entry.method} ${entry.status}`)).toEqual(['POST 200', 'POST 200']);
  });

  it('summarizes compliance per resource with $apply', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()) });
    const counts = await fleet.clients.policy.summarizeClusterCompliance(S1);
    const webDev = counts.filter((count) => count.resourceId.endsWith('/web-dev'));
    expect(webDev.map((count) => [count.complianceState, count.count]).sort()).toEqual([
      ['Compliant', 2],
      ['NonCompliant', 2],
    ]);
  });

  it('answers a filter outside the supported subset with 400, so a wrong adapter filter fails', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()) });
    const client = new PolicyInsightsClient(new SimulatorCredential(), {
      endpoint: fleet.local.simulator.url,
      tlsOptions: { ca: fleet.local.simulator.caPem },
      credentialScopes: ['https://management.azure.com/.default'],
    });
    const pages = client.policyStates.listQueryResultsForSubscription('latest', S1, { queryOptions: { filter: "complianceState gt 'A'" } });
    await expect(pages.next()).rejects.toMatchObject({ statusCode: 400 });
    // $top caps the total number of states.
    const top: unknown[] = [];
    for await (const state of client.policyStates.listQueryResultsForSubscription('latest', S1, { queryOptions: { top: 3 } })) top.push(state);
    expect(top).toHaveLength(3);
  });

  it('a subscription whose policy query fails is reported; its policy findings stay open, the rest of the sweep completes', async () => {
    // Policy Insights per subscription (the ARM inventory); resourceGraph.test.ts covers Resource Graph failing.
    fleet = await startTestFleet({
      snapshot: loadSnapshot(sampleFleetDirectory()),
      withStore: true,
      maxRetries: 0,
      settings: { FLEETGUARD_INVENTORY_SOURCE: 'arm' },
    });
    const first = await fleet.sweep();
    expect(first.findings.filter((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT')).toHaveLength(10);
    expect(first.stats.policy).toEqual({ compliant: 19, nonCompliant: 10, percent: 65.5 });
    expect(first.clusters.find((cluster) => cluster.name === 'web-dev')?.policyCompliancePercent).toBe(50);
    // The sweep record keeps the fleet figure and one row per cluster.
    const [record] = await fleet.clients.sweeps!.latest(1);
    expect(record?.policyCompliancePercent).toBe(65.5);
    const perCluster = Object.fromEntries((await fleet.clients.sweeps!.clusters(first.sweepId)).map((row) => [row.name, row.policyCompliancePercent]));
    expect(perCluster).toEqual({
      'payments-prod': 100,
      'web-dev': 50,
      'checkout-prod': 75,
      'batch-staging': 75,
      'search-prod': 60,
      'data-canary': 100,
      'legacy-reporting': 0,
    });

    fleet.local.simulator.faults.configure({ routes: { 'policy.queryResults': { serverError: { rate: 1 } } } });
    const second = await fleet.sweep();
    expect(second.status).toBe('partial');
    expect(
      second.errors
        .filter((error) => error.scope === 'policy')
        .map((error) => error.target)
        .sort(),
    ).toEqual([S1, S1, S2, S2, '33333333-3333-3333-3333-333333333333', '33333333-3333-3333-3333-333333333333']);
    expect(second.stats.store?.resolved).toBe(0);
    const open = await fleet.clients.findings!.listFindings({ status: 'open' });
    expect(open.filter((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT')).toHaveLength(10);
    // Posture findings were still evaluated and updated.
    expect(open.filter((finding) => finding.ruleId.startsWith('AKS-')).every((finding) => finding.lastSeen === second.startedAt)).toBe(true);
  });

  it("one subscription's failing policy read degrades that subscription only: its POLICY findings stay open, another's resolve when they clear", async () => {
    fleet = await startTestFleet({
      snapshot: loadSnapshot(sampleFleetDirectory()),
      withStore: true,
      maxRetries: 0,
      settings: { FLEETGUARD_INVENTORY_SOURCE: 'arm' },
    });
    const first = await fleet.sweep();
    const policyOf = (findings: ReadonlyArray<{ ruleId: string; subscriptionId: string }>, subscriptionId: string) =>
      findings.filter((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT' && finding.subscriptionId.toLowerCase() === subscriptionId);
    expect(policyOf(first.findings, S1).length).toBeGreaterThan(0);
    expect(policyOf(first.findings, S2).length).toBeGreaterThan(0);

    // One slot, so the first policy query is the first subscription's states: it fails, nothing else does.
    fleet.local.simulator.faults.configure({ routes: { 'policy.queryResults': { serverError: { first: 1 } } } });
    // Everything non-compliant clears in both subscriptions: only what was read may resolve.
    for (const state of (fleet.local.simulator.fleet.policyStates?.['value'] ?? []) as Array<Record<string, unknown>>) state['complianceState'] = 'Compliant';
    const second = await fleet.sweep({ concurrency: 1 });
    const failures = second.errors.filter((error) => error.scope === 'policy');
    expect(failures).toHaveLength(1);
    const failedSubscription = failures[0]?.target ?? '';
    const otherSubscription =
      [S1, S2, '33333333-3333-3333-3333-333333333333'].find((id) => id !== failedSubscription && policyOf(first.findings, id).length > 0) ?? '';
    expect(policyOf(first.findings, failedSubscription).length).toBeGreaterThan(0);
    const open = await fleet.clients.findings!.listFindings({ status: 'open' });
    // The failed subscription's POLICY findings are all still open; the other's resolved.
    expect(policyOf(open, failedSubscription)).toHaveLength(policyOf(first.findings, failedSubscription).length);
    expect(policyOf(open, otherSubscription)).toEqual([]);
    expect(second.stats.store?.resolved).toBe(
      first.findings.filter((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT').length - policyOf(first.findings, failedSubscription).length,
    );
  });
});
