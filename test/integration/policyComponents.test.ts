/**
 * Pod-level policy results on the sample fleet, through the real `@azure/arm-policyinsights` client
 * and the simulator: POLICY-NONCOMPLIANT findings of clusters running the Azure Policy add-on name
 * the namespaces and pods `componentPolicyStates` reports (shape: the official AKS example,
 * ComponentPolicyStates_QueryResourceScopeExpandPolicyEvaluationDetails.json, componentId
 * `namespace/name`), read with one POST per subscription
 * (ComponentPolicyStates_ListQueryResultsForSubscription, componentPolicyStates.json 2024-10-01), so
 * Policy Insights calls do not grow with clusters; an answer that fills `$top` (the operation has no
 * paging) is not trusted and its clusters are asked one by one; a cluster without the add-on gets no
 * list; a failing query costs only that subscription's detail and is reported.
 */
import { afterEach, describe, expect, it } from 'vitest';

import type { Finding } from '../../lib/model/finding.js';
import { POLICY_COMPONENTS_TOP } from '../../lib/serviceLimits.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';
const WEB_DEV = `/subscriptions/${S1}/resourcegroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev`;
const SEARCH_PROD = `/subscriptions/${S2}/resourcegroups/search/providers/Microsoft.ContainerService/managedClusters/search-prod`;
const PRIVILEGED = '/providers/Microsoft.Authorization/policyDefinitions/95edb821-ddaf-4404-9732-666045e056b4';
const BASELINE = '/providers/Microsoft.Authorization/policyDefinitions/a1840de2-8088-4ea8-b153-b4c723e9cb01';
/** The per-subscription component query; `policy.componentQueryResults` is the per-cluster one. */
const ROUTE = 'policy.scopeComponentQueryResults';
const CLUSTER_ROUTE = 'policy.componentQueryResults';

/** A component state as the service writes it (the official AKS example's fields that matter here). */
function podState(resourceId: string, policyDefinitionId: string, componentId: string, complianceState = 'NonCompliant') {
  return {
    resourceId,
    policyDefinitionId,
    policyAssignmentId: `/subscriptions/${resourceId.split('/')[2] ?? ''}/providers/Microsoft.Authorization/policyAssignments/aks-baseline`,
    // With the leading slash, as the AKS example writes a component's resource type.
    resourceType: '/Microsoft.ContainerService/managedClusters',
    componentType: 'pod',
    componentId,
    componentName: componentId.split('/').at(-1),
    complianceState,
    timestamp: '2026-11-30T08:00:00Z',
  };
}

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function sampleFleet(): Promise<TestFleet> {
  fleet = await startTestFleet({ snapshot: loadSnapshot(sampleFleetDirectory()), maxRetries: 0, settings: { FLEETGUARD_INVENTORY_SOURCE: 'arm' } });
  fleet.local.simulator.fleet.componentPolicyStates = {
    value: [
      podState(WEB_DEV, PRIVILEGED, 'payments/api-7d9f'),
      // Reported once per assignment of the definition: named once.
      {
        ...podState(WEB_DEV, PRIVILEGED, 'payments/api-7d9f'),
        policyAssignmentId: '/providers/Microsoft.Management/managementGroups/corp/providers/Microsoft.Authorization/policyAssignments/psa',
      },
      podState(WEB_DEV, PRIVILEGED, 'kube-system/debug-shell'),
      podState(WEB_DEV, PRIVILEGED, 'payments/worker-0', 'Compliant'),
      // search-prod does not run the add-on: its rows are never attached, whatever Policy Insights holds.
      podState(SEARCH_PROD, BASELINE, 'search/indexer-0'),
    ],
  };
  return fleet;
}

const policyFinding = (findings: readonly Finding[], cluster: string, definition: string): Finding | undefined =>
  findings.find((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT' && finding.clusterName === cluster && finding.subject === definition.toLowerCase());

describe('pod-level policy results (componentPolicyStates)', () => {
  it("names the offending namespaces and pods on the cluster's finding, one POST per subscription with a non-compliant cluster running the add-on", async () => {
    const running = await sampleFleet();
    const result = await running.sweep();
    expect(result.errors).toEqual([]);
    const finding = policyFinding(result.findings, 'web-dev', PRIVILEGED);
    expect(finding?.components).toEqual([
      { type: 'pod', namespace: 'kube-system', name: 'debug-shell' },
      { type: 'pod', namespace: 'payments', name: 'api-7d9f' },
    ]);
    expect(finding?.detail).toContain(
      'The Azure Policy add-on reports 2 non-compliant components in namespaces kube-system, payments: pod kube-system/debug-shell, pod payments/api-7d9f.',
    );
    // The other definition of web-dev has no component states: the cluster was read, the list is empty.
    expect(
      result.findings
        .filter((entry) => entry.clusterName === 'web-dev' && entry.ruleId === 'POLICY-NONCOMPLIANT' && entry !== finding)
        .map((entry) => entry.components),
    ).toEqual([[]]);
    // web-dev and checkout-prod (S1) and batch-staging (S2) have findings and the add-on: one POST
    // for each of the two subscriptions, none per cluster, none for the third subscription.
    const calls = running.local.simulator.requests.entries.filter((entry) => entry.route === ROUTE);
    expect(calls.map((entry) => `${entry.method} ${entry.status} ${entry.path.split('/')[2] ?? ''}`).sort()).toEqual([`POST 200 ${S1}`, `POST 200 ${S2}`]);
    expect(running.local.simulator.requests.count(CLUSTER_ROUTE)).toBe(0);
    // The sample fleet's findings are the same ones, with more detail.
    expect(result.findings.filter((entry) => entry.ruleId === 'POLICY-NONCOMPLIANT')).toHaveLength(10);
  });

  it('a cluster without the Azure Policy add-on gets no component list, though its subscription is read', async () => {
    const running = await sampleFleet();
    const result = await running.sweep();
    const searchFinding = policyFinding(result.findings, 'search-prod', BASELINE);
    expect(searchFinding).toBeDefined();
    expect(searchFinding?.components).toBeUndefined();

    // Turning the add-on off on web-dev stops its call too.
    running.local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => {
      properties['addonProfiles'] = { azurepolicy: { enabled: false } };
    });
    running.local.simulator.requests.clear();
    const second = await running.sweep();
    expect(policyFinding(second.findings, 'web-dev', PRIVILEGED)?.components).toBeUndefined();
    // checkout-prod still runs the add-on: S1 is still read once.
    expect(running.local.simulator.requests.count(ROUTE)).toBe(2);
  });

  it("a failing component query keeps every policy finding, reports the subscription, and costs only its clusters' detail", async () => {
    const running = await sampleFleet();
    // The first subscription's query fails (one slot: the queries go in order); the other's detail lands.
    running.local.simulator.faults.configure({ routes: { [ROUTE]: { serverError: { first: 1 } } } });
    const result = await running.sweep({ concurrency: 1 });
    expect(result.findings.filter((entry) => entry.ruleId === 'POLICY-NONCOMPLIANT')).toHaveLength(10);
    expect(result.status).toBe('partial');
    const problems = result.errors.filter((error) => error.scope === 'policy');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/component policy states of subscription .*kept without pod-level detail/);
    const failed = problems[0]?.target;
    const withList = (cluster: string) =>
      result.findings
        .filter((entry) => entry.clusterName === cluster && entry.ruleId === 'POLICY-NONCOMPLIANT')
        .every((entry) => entry.components !== undefined);
    expect([S1, S2]).toContain(failed);
    // The failed subscription's flagged clusters carry no list; the other's do.
    expect([withList('web-dev'), withList('checkout-prod'), withList('batch-staging')]).toEqual(failed === S1 ? [false, false, true] : [true, true, false]);
  });

  it("an answer that fills $top (no paging: it may be cut) is not trusted: that subscription's flagged clusters are asked one by one", async () => {
    const running = await sampleFleet();
    const states = running.local.simulator.fleet.componentPolicyStates?.['value'] as Array<Record<string, unknown>>;
    // As many rows for web-dev as one answer holds, plus the ones above.
    for (let index = 0; index < POLICY_COMPONENTS_TOP; index += 1) states.push(podState(WEB_DEV, PRIVILEGED, `batch/job-${String(index).padStart(4, '0')}`));
    const result = await running.sweep();
    expect(result.errors).toEqual([]);
    // S1 filled $top: its two flagged clusters were asked on their own; S2 answered below $top.
    expect(running.local.simulator.requests.count(ROUTE)).toBe(2);
    expect(
      running.local.simulator.requests.entries
        .filter((entry) => entry.route === CLUSTER_ROUTE)
        .map((entry) => entry.path.split('/')[8])
        .sort(),
    ).toEqual(['checkout-prod', 'web-dev']);
    const finding = policyFinding(result.findings, 'web-dev', PRIVILEGED);
    expect(finding?.detail).toContain(`reports ${POLICY_COMPONENTS_TOP + 2} non-compliant components`);
  });

  it('Policy Insights calls grow with subscriptions, not clusters (simulator request log)', async () => {
    const policyCalls = async (clusters: number) => {
      fleet = await startTestFleet({
        snapshot: generateFleet({ clusters, subscriptions: 3, locations: 1 }),
        pageSize: 1000,
        settings: { FLEETGUARD_INVENTORY_SOURCE: 'arm' },
      });
      const result = await fleet.sweep();
      expect(result.errors).toEqual([]);
      const counts = Object.entries(fleet.local.simulator.requests.countsByRoute()).filter(([route]) => route.startsWith('policy.'));
      const flagged = result.findings.filter((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT' && finding.components !== undefined).length;
      await fleet.close();
      fleet = undefined;
      return { counts: Object.fromEntries(counts), flagged };
    };
    const small = await policyCalls(12);
    const large = await policyCalls(120);
    // States and counts per subscription, one component query per subscription: 3 × 2 + 3 either way.
    expect(small.counts).toEqual({ 'policy.queryResults': 6, [ROUTE]: 3 });
    expect(large.counts).toEqual(small.counts);
    // ... though ten times the clusters have findings with a component list.
    expect(large.flagged).toBeGreaterThan(small.flagged * 5);
  });
});
