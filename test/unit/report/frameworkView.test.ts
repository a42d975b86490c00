/**
 * Issue 16: the report's heatmap has the in-cluster rules as their own group (grey, not green, where a
 * cluster's Kubernetes objects were not read), and the report can be read per framework: open findings
 * grouped by CIS AKS item / Kubescape control / NSA control, with counts per cluster and a "no mapping" row.
 */
import { describe, expect, it } from 'vitest';

import { type FleetReportModel, renderFleetReport } from '../../../lib/report/fleetReport.js';
import { frameworkRows, NO_MAPPING } from '../../../lib/report/frameworkView.js';
import { heatmapGroups, IN_CLUSTER_TITLE } from '../../../lib/report/reportGroups.js';
import { ruleCatalog } from '../../../lib/rules/catalog.js';
import type { ClusterRecord } from '../../../lib/sweep/sweepRecordStore.js';
import { storedFinding } from '../../harness/alerts.js';

const idOf = (name: string) =>
  `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;

function cluster(name: string, inCluster?: ClusterRecord['inCluster']): ClusterRecord {
  return {
    resourceId: idOf(name),
    name,
    subscriptionId: '11111111-1111-1111-1111-111111111111',
    location: 'westeurope',
    kubernetesVersion: '1.32.3',
    tags: {},
    findings: 0,
    worstSeverity: '',
    policyCompliancePercent: -1,
    ...(inCluster === undefined ? {} : { inCluster }),
  };
}

const findings = [
  storedFinding({ cluster: 'payments-prod', resourceId: idOf('payments-prod'), ruleId: 'K8S-CLUSTER-ADMIN-BINDING', severity: 'high', subject: 'a' }),
  storedFinding({ cluster: 'web-dev', resourceId: idOf('web-dev'), ruleId: 'K8S-PRIVILEGED-POD', severity: 'high', subject: 'p1' }),
  storedFinding({ cluster: 'web-dev', resourceId: idOf('web-dev'), ruleId: 'K8S-PRIVILEGED-POD', severity: 'high', subject: 'p2' }),
  storedFinding({ cluster: 'web-dev', resourceId: idOf('web-dev'), ruleId: 'LOG-PRIVILEGED-POD', severity: 'high' }),
  storedFinding({ cluster: 'web-dev', resourceId: idOf('web-dev'), ruleId: 'AKS-VERSION-ENDING', severity: 'medium' }),
];

function model(): FleetReportModel {
  return {
    generatedAt: '2026-11-30T10:00:00.000Z',
    clusters: [
      cluster('payments-prod', { state: 'checked', reason: '' }),
      cluster('web-dev', { state: 'checked', reason: '' }),
      cluster('checkout-prod', { state: 'unreachable', reason: 'private API server' }),
    ],
    openFindings: findings,
    sweeps: [],
    rollouts: [],
    problems: [],
  };
}

describe('the heatmap’s in-cluster group', () => {
  it('is its own column group holding exactly the in-cluster rules of the catalog, after the practice groups', () => {
    const groups = heatmapGroups();
    const last = groups.at(-1);
    expect(last).toMatchObject({ title: IN_CLUSTER_TITLE, inCluster: true });
    expect(last?.rules).toEqual(
      ruleCatalog()
        .filter((rule) => rule.source === 'inCluster')
        .map((rule) => rule.id),
    );
    // Every catalog rule is in exactly one group.
    expect(groups.flatMap((group) => group.rules).sort()).toEqual(
      ruleCatalog()
        .map((rule) => rule.id)
        .sort(),
    );
  });

  it('shows in-cluster findings in that row group, and "not read" (grey) where the objects were not read', () => {
    const html = renderFleetReport(model());
    expect(html).toContain(`<tbody class="in-cluster"><tr class="group" id="practice-in-cluster"><th scope="rowgroup" colspan="4">${IN_CLUSTER_TITLE} `);
    expect(html).toMatch(/<td class="cell sev-high" data-col="\d+" title="payments-prod · K8S-CLUSTER-ADMIN-BINDING: high">/);
    expect(html).toMatch(/<td class="cell pass" data-col="\d+" title="payments-prod · K8S-PRIVILEGED-POD: no open finding">/);
    expect(html).toMatch(/<td class="cell not-read" data-col="\d+" title="checkout-prod · K8S-PRIVILEGED-POD: not read \(unreachable\)">/);
    // Rules read from Azure stay green on a cluster whose Kubernetes objects were not read.
    expect(html).toMatch(/<td class="cell pass" data-col="\d+" title="checkout-prod · AKS-LOCAL-ACCOUNTS: no open finding">/);
  });
});

describe('the report per framework', () => {
  it('groups open findings by CIS AKS item with counts per cluster, and keeps unmapped ones under "no mapping"', () => {
    const rows = frameworkRows(findings, 'cis-aks');
    expect(rows.map((row) => row.item)).toEqual(['4.1.1', '4.2.1', '4.2.2', '4.2.3', '4.2.4', NO_MAPPING]);
    expect(rows.find((row) => row.item === '4.2.1')).toEqual({
      item: '4.2.1',
      rules: ['K8S-PRIVILEGED-POD', 'LOG-PRIVILEGED-POD'],
      clusters: [{ cluster: 'web-dev', findings: 3 }],
      findings: 3,
    });
    expect(rows.at(-1)).toMatchObject({ item: NO_MAPPING, rules: ['AKS-VERSION-ENDING'], findings: 1 });
  });

  it('reads the same findings by Kubescape and NSA control', () => {
    expect(frameworkRows(findings, 'kubescape').find((row) => row.item === 'C-0185')?.clusters).toEqual([{ cluster: 'payments-prod', findings: 1 }]);
    const nsa = frameworkRows(findings, 'nsa');
    expect(nsa.find((row) => row.item === 'C-0057')).toMatchObject({ findings: 3, clusters: [{ cluster: 'web-dev', findings: 3 }] });
    expect(nsa.find((row) => row.item === 'C-0035')?.rules).toEqual(['K8S-CLUSTER-ADMIN-BINDING']);
  });

  it('renders the chosen framework as a report section', () => {
    const cis = renderFleetReport(model());
    expect(cis).toContain('data-framework="cis-aks"');
    expect(cis).toMatch(/<tr data-item="4\.1\.1"><td>4\.1\.1<\/td><td>K8S-CLUSTER-ADMIN-BINDING<\/td><td>1<\/td><td>payments-prod: 1<\/td><\/tr>/);
    const nsa = renderFleetReport(model(), { framework: 'nsa' });
    expect(nsa).toContain('By framework: NSA-CISA Kubernetes Hardening Guidance');
    expect(nsa).toMatch(/<tr data-item="C-0057"><td>C-0057<\/td><td>K8S-PRIVILEGED-POD, LOG-PRIVILEGED-POD<\/td><td>3<\/td><td>web-dev: 3<\/td><\/tr>/);
  });
});
