/**
 * The report reworked for a first-time reader (issue 17): commands as code, a chart over real time
 * with the current value, a heatmap with readable headers whose cells link to their findings,
 * filters under a hash-only CSP, new / resolved since the previous sweep, portal links, scores per
 * practice, and an honest page when no sweep has run. Pure rendering; the browser checks (no
 * sideways scrolling, the filters working) are in test/e2e/reportBrowser.test.ts.
 */
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { splitCommands } from '../../../lib/report/commandText.js';
import { type FleetReportModel, renderFleetReport } from '../../../lib/report/fleetReport.js';
import { practiceScores } from '../../../lib/report/heatmap.js';
import { portalUrl } from '../../../lib/report/portalLink.js';
import { storageLabel } from '../../../lib/report/storageLabel.js';
import { timeTicks } from '../../../lib/report/timeChart.js';
import type { ClusterRecord } from '../../../lib/sweep/sweepRecordStore.js';
import { storedFinding } from '../../harness/alerts.js';
import { sweepRecord } from '../../harness/sweepRecords.js';

const SUB = '11111111-1111-1111-1111-111111111111';
const idOf = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;

function cluster(name: string, tags: Record<string, string> = {}, inCluster?: ClusterRecord['inCluster']): ClusterRecord {
  return {
    resourceId: idOf(name),
    name,
    subscriptionId: SUB,
    location: 'westeurope',
    kubernetesVersion: '1.31.2',
    tags,
    findings: 1,
    worstSeverity: '',
    policyCompliancePercent: -1,
    ...(inCluster === undefined ? {} : { inCluster }),
  };
}

const LOCAL_ACCOUNTS = storedFinding({
  cluster: 'web-dev',
  resourceId: idOf('web-dev'),
  ruleId: 'AKS-LOCAL-ACCOUNTS',
  severity: 'high',
  title: 'Local Kubernetes accounts are enabled',
  detail: "Cluster web-dev still issues the static clusterAdmin credential. Run: az aks update -g web -n web-dev --disable-local-accounts --note '<b>x</b>'",
  clusterTags: { env: 'dev', ring: '0' },
  firstSeen: '2026-11-23T11:45:00.000Z',
});
const NETWORK = storedFinding({
  cluster: 'api-prod',
  resourceId: idOf('api-prod'),
  ruleId: 'AKS-NETWORK-POLICY',
  severity: 'medium',
  clusterTags: { env: 'prod' },
  subscriptionId: '22222222-2222-2222-2222-222222222222',
});

function model(overrides: Partial<FleetReportModel> = {}): FleetReportModel {
  return {
    generatedAt: '2026-11-23T12:00:00.000Z',
    clusters: [cluster('web-dev', { env: 'dev', ring: '0' }, { state: 'checked', reason: '' }), cluster('api-prod', { env: 'prod' })],
    openFindings: [LOCAL_ACCOUNTS, NETWORK],
    resolvedFindings: [
      storedFinding({
        cluster: 'old-one',
        resourceId: idOf('old-one'),
        ruleId: 'AKS-DEFENDER',
        status: 'resolved',
        resolution: 'clusterGone',
        resolvedAt: '2026-11-23T11:45:00.000Z',
      }),
    ],
    // Three sweeps: 10:00, 11:00, 11:45 (newest first, as stored) — uneven gaps on purpose.
    sweeps: [sweepRecord('2026-11-23T11:45:00.000Z', 2, 80), sweepRecord('2026-11-23T11:00:00.000Z', 5, 60), sweepRecord('2026-11-23T10:00:00.000Z', 6, 50)],
    rollouts: [],
    problems: [],
    ...overrides,
  };
}

describe('commands as code', () => {
  it('finds the az and kubectl commands in advice prose, word by word as a shell reads them, without changing a character', () => {
    const text =
      "Upgrade: az aks get-upgrades -g b -n b-1, then az aks upgrade -g b -n b-1 --kubernetes-version <version>. Inspect (kubectl describe node) and the cluster's pools; see why: az policy state list --filter 'a eq '\\''x; y'\\'''; fix it. Run: kubectl --context c edit ReplicaSet/w (for a ReplicaSet, its Deployment).";
    const pieces = splitCommands(text);
    expect(pieces.map((piece) => piece.text).join('')).toBe(text);
    expect(pieces.filter((piece) => piece.kind === 'command').map((piece) => piece.text)).toEqual([
      'az aks get-upgrades -g b -n b-1',
      'az aks upgrade -g b -n b-1 --kubernetes-version <version>',
      'kubectl describe node',
      "az policy state list --filter 'a eq '\\''x; y'\\'''",
      'kubectl --context c edit ReplicaSet/w',
    ]);
  });

  it('sets them as <code> in the findings table, escaped', () => {
    const html = renderFleetReport(model());
    expect(html).toContain('<code class="cmd">az aks update -g web -n web-dev --disable-local-accounts --note &#39;&lt;b&gt;x&lt;/b&gt;&#39;</code>');
    expect(html).not.toContain('<b>x</b>');
  });
});

describe('compliance over time', () => {
  it('places sweeps by time, labels round times with dates, and states the current value', () => {
    const html = renderFleetReport(model());
    const chart = html.slice(html.indexOf('<section id="compliance"'), html.indexOf('</figure>', html.indexOf('<section id="compliance"')));
    const xs = [...chart.matchAll(/<circle cx="([\d.]+)"/g)].map((match) => Number(match[1]));
    expect(xs).toHaveLength(3);
    // 10:00 → 11:00 is 60 minutes, 11:00 → 11:45 is 45: the gaps are in that ratio, not equal.
    expect((xs[1]! - xs[0]!) / (xs[2]! - xs[1]!)).toBeCloseTo(60 / 45, 2);
    expect(chart).toContain('80% now');
    expect(chart).toMatch(/<figcaption>Azure Policy compliance[^<]*: <b>80%<\/b> at the latest sweep \(2026-11-23 11:45 UTC\)/);
    expect([...chart.matchAll(/class="tick">([^<]+)</g)].map((match) => match[1])).toEqual(['Nov 23 10:00', '10:30', '11:00', '11:30']);
  });

  it('chooses tick steps that fit the span: seconds for a demo, days for a month', () => {
    expect(timeTicks(Date.parse('2026-11-23T11:00:01Z'), Date.parse('2026-11-23T11:00:29Z'))).toEqual({
      step: 5000,
      times: [5, 10, 15, 20, 25].map((second) => Date.parse(`2026-11-23T11:00:${String(second).padStart(2, '0')}Z`)),
    });
    // Sweeps seconds apart: the two ends, labelled to the second.
    const demo = [Date.parse('2026-11-23T11:00:01Z'), Date.parse('2026-11-23T11:00:09Z')];
    expect(timeTicks(demo[0]!, demo[1]!)).toEqual({ step: 1000, times: demo });
    const month = timeTicks(Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-30T00:00:00Z'));
    expect(month.step).toBe(7 * 24 * 3600 * 1000);
    expect(month.times.length).toBeLessThanOrEqual(6);
  });
});

describe('the heatmap', () => {
  it('has rule titles as row headers and cluster names (linked to the portal) as column headers; a cell links to its finding row', () => {
    const html = renderFleetReport(model());
    expect(html).toContain('<span class="rule-title">Local Kubernetes accounts are enabled</span>');
    expect(html).not.toContain('writing-mode');
    const cell = html.match(/<td class="cell sev-high"[^>]*title="web-dev · AKS-LOCAL-ACCOUNTS: high"><a href="#(finding-[0-9a-f]+)"/);
    expect(cell?.[1]).toBe(`finding-${LOCAL_ACCOUNTS.fingerprint}`);
    expect(html).toContain(`<tr class="f" id="finding-${LOCAL_ACCOUNTS.fingerprint}"`);
    expect(html).toMatch(
      /<th scope="col" class="cluster"[^>]*><a class="portal" href="https:\/\/portal\.azure\.com\/#@\/resource\/subscriptions\/[^"]+\/managedClusters\/web-dev"/,
    );
  });
});

describe('filters', () => {
  it('offers subscription, tag and severity, marks rows with what they filter on, and allows only the page script by hash', () => {
    const html = renderFleetReport(model());
    expect(html).toContain('<option value="22222222-2222-2222-2222-222222222222">');
    expect(html).toContain('<option value="env=prod">env=prod</option>');
    expect(html).toContain('<option value="high">high and worse</option>');
    expect(html).toMatch(new RegExp(`id="finding-${LOCAL_ACCOUNTS.fingerprint}" data-sub="${SUB}" data-tags="env=dev\nring=0" data-sev="high"`));
    const policy = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? '';
    const script = html.match(/<script>([\s\S]*?)<\/script>/)?.[1] ?? '';
    expect(policy).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
  });
});

describe('since the previous sweep', () => {
  it('lists findings first seen after the previous sweep started, and findings resolved since, with why', () => {
    const html = renderFleetReport(model());
    const changes = html.slice(html.indexOf('<section id="changes"'), html.indexOf('</section>', html.indexOf('<section id="changes"')));
    expect(changes).toContain('New since the previous sweep (2026-11-23 11:00 UTC) (1)');
    expect(changes).toContain(`<a href="#finding-${LOCAL_ACCOUNTS.fingerprint}">Local Kubernetes accounts are enabled</a>`);
    expect(changes).not.toContain('AKS-NETWORK-POLICY');
    expect(changes).toContain('Resolved since then (1)');
    expect(changes).toMatch(/old-one.*AKS-DEFENDER.*cluster gone/s);
    expect(renderFleetReport(model({ sweeps: [sweepRecord('2026-11-23T11:45:00.000Z', 2, 80)] }))).toContain('Only one sweep so far');
  });
});

describe('portal links', () => {
  it('link each cluster to https://portal.azure.com/#@/resource{id}, encoded and escaped', () => {
    expect(portalUrl(idOf('web-dev'))).toBe(`https://portal.azure.com/#@/resource${idOf('web-dev')}`);
    expect(portalUrl('/subscriptions/s/resourceGroups/a b"<#?/x')).toBe(
      'https://portal.azure.com/#@/resource/subscriptions/s/resourceGroups/a%20b%22%3C%23%3F/x',
    );
    const evil = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/x" onmouseover="alert(1)';
    const html = renderFleetReport(model({ openFindings: [storedFinding({ cluster: 'x', resourceId: evil })] }));
    expect(html).not.toContain('" onmouseover="');
  });
});

describe('scores per practice', () => {
  it('give the share of (cluster, rule) checks without an open finding per practice area; unread in-cluster checks count in neither total', () => {
    const inCluster = storedFinding({ cluster: 'web-dev', resourceId: idOf('web-dev'), ruleId: 'K8S-PRIVILEGED-POD' });
    const scores = new Map(practiceScores(model().clusters, [LOCAL_ACCOUNTS, NETWORK, inCluster]).map((score) => [score.group.id, score]));
    const identity = scores.get('identity')!;
    expect(identity.checks).toBe(2 * identity.group.rules.length);
    expect(identity.passing).toBe(identity.checks - 1);
    expect(scores.get('network')).toMatchObject({ passing: 2 * scores.get('network')!.group.rules.length - 1, failingClusters: 1 });
    const k8s = scores.get('in-cluster')!;
    // api-prod's objects were not read: only web-dev's in-cluster checks have a verdict.
    expect(k8s).toMatchObject({ checks: k8s.group.rules.length, passing: k8s.group.rules.length - 1, notRead: k8s.group.rules.length });
    expect([...scores.keys()]).toEqual(['identity', 'network', 'workload', 'secrets', 'upgrades', 'monitoring', 'policy', 'detections', 'in-cluster']);
    const html = renderFleetReport(model());
    expect(html).toMatch(/<tr data-practice="network"><th scope="row"><a href="#practice-network">Network<\/a><\/th><td class="score">\d+%<\/td>/);
  });
});

describe('no sweep yet', () => {
  it('says so, naming the storage, instead of "no open findings"', () => {
    const html = renderFleetReport(
      model({ clusters: [], openFindings: [], resolvedFindings: [], sweeps: [], storage: 'storage account fleetguard (AzureWebJobsStorage)' }),
    );
    expect(html).toContain('No sweep has run yet against storage account fleetguard (AzureWebJobsStorage)');
    expect(html).not.toMatch(/No open findings|Nothing to change/);
  });

  it('names the storage without its key', () => {
    const label = storageLabel({
      kind: 'connectionString',
      connectionString: 'DefaultEndpointsProtocol=https;AccountName=fleetguard;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net',
      setting: 'AzureWebJobsStorage',
    });
    expect(label).toBe('storage account fleetguard (AzureWebJobsStorage)');
    expect(
      storageLabel({
        kind: 'connectionString',
        connectionString: 'AccountKey=c2VjcmV0;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1',
        setting: 'AzureWebJobsStorage',
      }),
    ).toBe('Table storage http://127.0.0.1:10002/devstoreaccount1 (AzureWebJobsStorage)');
  });
});

describe('policy names', () => {
  it('shows the definition id of a policy finding, or its display name when the data carries one', () => {
    const definition = '/providers/microsoft.authorization/policydefinitions/95edb821-ddaf-4404-9732-666045e056b4';
    const finding = storedFinding({ ruleId: 'POLICY-NONCOMPLIANT', subject: definition });
    expect(renderFleetReport(model({ openFindings: [finding] }))).toContain(`<span class="policy">${definition}</span>`);
    const named = { ...finding, policyName: 'Kubernetes clusters should not allow <privileged> containers' };
    expect(renderFleetReport(model({ openFindings: [named] }))).toContain(
      '<span class="policy">Kubernetes clusters should not allow &lt;privileged&gt; containers</span>',
    );
  });
});
