/**
 * Pod-level policy results on the sample fleet, through the real `@azure/arm-policyinsights` client
 * and the simulator: POLICY-NONCOMPLIANT findings of clusters running the Azure Policy add-on name
 * the namespaces and pods `componentPolicyStates` reports (shape: the official AKS example,
 * ComponentPolicyStates_QueryResourceScopeExpandPolicyEvaluationDetails.json, componentId
 * `namespace/name`); a cluster without the add-on is not asked; a failing query costs only that
 * cluster's detail and is reported.
 */
import { afterEach, describe, expect, it } from 'vitest';

import type { Finding } from '../../lib/model/finding.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const S1 = '11111111-1111-1111-1111-111111111111';
const S2 = '22222222-2222-2222-2222-222222222222';
const WEB_DEV = `/subscriptions/${S1}/resourcegroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev`;
const SEARCH_PROD = `/subscriptions/${S2}/resourcegroups/search/providers/Microsoft.ContainerService/managedClusters/search-prod`;
const PRIVILEGED = '/providers/Microsoft.Authorization/policyDefinitions/95edb821-ddaf-4404-9732-666045e056b4';
const BASELINE = '/providers/Microsoft.Authorization/policyDefinitions/a1840de2-8088-4ea8-b153-b4c723e9cb01';
const ROUTE = 'policy.componentQueryResults';

/** A component state as the service writes it (the official AKS example's fields that matter here). */
function podState(resourceId: string, policyDefinitionId: string, componentId: string, complianceState = 'NonCompliant') {
  return {
    resourceId,
    policyDefinitionId,
    policyAssignmentId: `/subscriptions/${resourceId.split('/')[2] ?? ''}/providers/Microsoft.Authorization/policyAssignments/aks-baseline`,
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
      // search-prod does not run the add-on: never asked, whatever Policy Insights holds.
      podState(SEARCH_PROD, BASELINE, 'search/indexer-0'),
    ],
  };
  return fleet;
}

const policyFinding = (findings: readonly Finding[], cluster: string, definition: string): Finding | undefined =>
  findings.find((finding) => finding.ruleId === 'POLICY-NONCOMPLIANT' && finding.clusterName === cluster && finding.subject === definition.toLowerCase());

describe('pod-level policy results (componentPolicyStates)', () => {
  it("names the offending namespaces and pods on the cluster's finding, one POST per non-compliant cluster running the add-on", async () => {
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
    // web-dev, checkout-prod and batch-staging have findings and the add-on; nothing else is asked.
    const calls = running.local.simulator.requests.entries.filter((entry) => entry.route === ROUTE);
    expect(calls.map((entry) => `${entry.method} ${entry.status} ${entry.path.split('/')[8] ?? ''}`).sort()).toEqual([
      'POST 200 batch-staging',
      'POST 200 checkout-prod',
      'POST 200 web-dev',
    ]);
    // The sample fleet's findings are the same ones, with more detail.
    expect(result.findings.filter((entry) => entry.ruleId === 'POLICY-NONCOMPLIANT')).toHaveLength(10);
  });

  it('a cluster without the Azure Policy add-on is not asked and its findings carry no component list', async () => {
    const running = await sampleFleet();
    const result = await running.sweep();
    const searchFinding = policyFinding(result.findings, 'search-prod', BASELINE);
    expect(searchFinding).toBeDefined();
    expect(searchFinding?.components).toBeUndefined();
    expect(running.local.simulator.requests.entries.filter((entry) => entry.route === ROUTE && entry.path.includes('/search-prod/'))).toEqual([]);

    // Turning the add-on off on web-dev stops its call too.
    running.local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => {
      properties['addonProfiles'] = { azurepolicy: { enabled: false } };
    });
    running.local.simulator.requests.clear();
    const second = await running.sweep();
    expect(policyFinding(second.findings, 'web-dev', PRIVILEGED)?.components).toBeUndefined();
    expect(running.local.simulator.requests.entries.filter((entry) => entry.route === ROUTE).map((entry) => entry.path.split('/')[8])).not.toContain('web-dev');
  });

  it("a failing component query keeps every policy finding, reports the cluster, and costs only that cluster's detail", async () => {
    const running = await sampleFleet();
    running.local.simulator.faults.configure({ routes: { [ROUTE]: { serverError: { rate: 1 } } } });
    const result = await running.sweep();
    expect(result.findings.filter((entry) => entry.ruleId === 'POLICY-NONCOMPLIANT')).toHaveLength(10);
    expect(policyFinding(result.findings, 'web-dev', PRIVILEGED)?.components).toBeUndefined();
    expect(result.status).toBe('partial');
    const problems = result.errors.filter((error) => error.scope === 'policy');
    expect(problems.map((error) => error.target).sort()).toEqual(['batch-staging', 'checkout-prod', 'web-dev']);
    expect(problems[0]?.message).toMatch(/component policy states .*kept without pod-level detail/);
  });
});
