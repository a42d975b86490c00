import { describe, expect, it } from 'vitest';

import { DETECTIONS } from '../../../lib/detections/catalog.js';
import { K8S_RULES } from '../../../lib/k8s/evaluateInCluster.js';
import { POLICY_RULE } from '../../../lib/policy/policyRules.js';
import { AKS_AUDIT_LOGS } from '../../../lib/posture/auditLogRules.js';
import { CLUSTER_RULES } from '../../../lib/posture/evaluateCluster.js';
import { NOTICE_RULE_IDS } from '../../../lib/posture/noticeRules.js';
import { type FleetReportModel, renderFleetReport } from '../../../lib/report/fleetReport.js';
import { RULE_GROUPS, supportStatus } from '../../../lib/report/reportGroups.js';
import type { ClusterRecord } from '../../../lib/sweep/sweepRecordStore.js';
import { storedFinding } from '../../harness/alerts.js';
import { sweepRecord } from '../../harness/sweepRecords.js';

const SUB = '11111111-1111-1111-1111-111111111111';
const idOf = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;

function cluster(name: string, kubernetesVersion: string, findings = 0): ClusterRecord {
  return {
    resourceId: idOf(name),
    name,
    subscriptionId: SUB,
    location: 'westeurope',
    kubernetesVersion,
    tags: {},
    findings,
    worstSeverity: '',
    policyCompliancePercent: -1,
  };
}

function model(overrides: Partial<FleetReportModel> = {}): FleetReportModel {
  return {
    generatedAt: '2026-11-23T12:00:00.000Z',
    clusters: [cluster('web-dev', '1.29.8', 2), cluster('api-prod', '1.32.3')],
    openFindings: [
      storedFinding({ cluster: 'web-dev', resourceId: idOf('web-dev'), ruleId: 'AKS-VERSION-UNSUPPORTED', severity: 'critical' }),
      storedFinding({ cluster: 'web-dev', resourceId: idOf('web-dev'), ruleId: 'AKS-LOCAL-ACCOUNTS', severity: 'high' }),
    ],
    sweeps: [sweepRecord('2026-11-23T11:45:00.000Z', 2, 80), sweepRecord('2026-11-23T11:30:00.000Z', 5, 60)],
    rollouts: [],
    problems: [],
    ...overrides,
  };
}

describe('fleet report groups', () => {
  it('puts every catalog rule in exactly one practice group, and knows no other rule', () => {
    const catalog = [
      ...CLUSTER_RULES.map((rule) => rule.id),
      AKS_AUDIT_LOGS.id,
      ...NOTICE_RULE_IDS,
      POLICY_RULE.id,
      ...DETECTIONS.map((detection) => detection.ruleId),
      ...K8S_RULES.map((rule) => rule.id),
    ];
    expect(Object.keys(RULE_GROUPS).sort()).toEqual([...new Set(catalog)].sort());
  });

  it('derives support status from open version findings', () => {
    expect(supportStatus('1.29.8', new Set(['AKS-VERSION-UNSUPPORTED']))).toBe('unsupported');
    expect(supportStatus('1.30.1', new Set(['AKS-SUPPORT-ENDED']))).toBe('unsupported');
    expect(supportStatus('1.30.1', new Set(['AKS-SUPPORT-ENDING']))).toBe('ending');
    expect(supportStatus('1.32.3', new Set(['AKS-LOCAL-ACCOUNTS']))).toBe('supported');
    expect(supportStatus('', new Set())).toBe('unknown');
  });
});

describe('renderFleetReport', () => {
  it('is one self-contained page: nothing is loaded from elsewhere, and a CSP forbids it', () => {
    const html = renderFleetReport(model());
    expect(html).toContain(`content="default-src 'none'`);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|\bsrc=/i);
    // The only URLs are links a reader may follow and the SVG namespace.
    for (const match of html.matchAll(/https?:\/\/[^"'\s<)]+/g)) {
      const before = html.slice(Math.max(0, (match.index ?? 0) - 6), match.index);
      expect(before === 'href="' || match[0] === 'http://www.w3.org/2000/svg', match[0]).toBe(true);
    }
  });

  it('shows the heatmap cell, the version status, the chart points and the worst finding first', () => {
    const html = renderFleetReport(model());
    expect(html).toContain('title="web-dev · AKS-VERSION-UNSUPPORTED: critical"');
    expect(html).toContain('title="api-prod · AKS-LOCAL-ACCOUNTS: no open finding"');
    expect(html).toMatch(/<th scope="row">1\.29<\/th>.*1 \(1 unsupported\)/s);
    expect(html).toMatch(/<th scope="row">1\.32<\/th>.*1 \(1 supported\)/s);
    // Oldest sweep first on the time axis.
    expect(html.indexOf('2026-11-23 11:30 UTC: 60%')).toBeLessThan(html.indexOf('2026-11-23 11:45 UTC: 80%'));
    const table = html.slice(html.indexOf('<table id="findings-table"'));
    expect(table.indexOf('AKS-VERSION-UNSUPPORTED')).toBeLessThan(table.indexOf('AKS-LOCAL-ACCOUNTS'));
  });

  it('escapes fleet data everywhere it appears', () => {
    const evil = '<script>alert(1)</script>';
    const html = renderFleetReport(
      model({
        clusters: [cluster(evil, '1.31.2', 1)],
        openFindings: [storedFinding({ cluster: evil, resourceId: idOf(evil), detail: '"><img src=x onerror=alert(2)>', title: "it's <b>bold</b>" })],
        rollouts: [
          {
            rolloutId: 'r1',
            target: '1.32',
            status: 'Halted',
            requestedBy: evil,
            createdAt: '2026-11-23T10:00:00Z',
            clusters: [{ resourceId: idOf(evil), wave: '0', status: 'Failed', fromVersion: '1.31.2', toVersion: '1.32.3', reason: evil }],
          },
        ],
        problems: [evil],
      }),
    );
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bold');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('marks where a halted rollout stopped, and why; later waves are shown as not started', () => {
    const html = renderFleetReport(
      model({
        rollouts: [
          {
            rolloutId: 'r1',
            target: '1.32',
            status: 'Halted',
            requestedBy: 'max@contoso.com',
            createdAt: '2026-11-23T10:00:00Z',
            clusters: [
              { resourceId: idOf('a'), wave: '0', status: 'Upgraded', fromVersion: '1.31.2', toVersion: '1.32.3', reason: '' },
              {
                resourceId: idOf('b'),
                wave: '1',
                status: 'Upgraded',
                fromVersion: '1.31.2',
                toVersion: '1.32.3',
                reason: 'health gate failed: crashloop rose from 0 to 50',
              },
              { resourceId: idOf('c'), wave: '2', status: 'NotStarted', fromVersion: '1.31.2', toVersion: '1.32.3', reason: '' },
            ],
          },
        ],
      }),
    );
    expect(html).toContain('<div class="wave halted"><b>Wave 1</b>');
    expect(html).toContain('HALT</span> b: health gate failed: crashloop rose from 0 to 50');
    expect(html.match(/class="wave halted"/g)).toHaveLength(1);
    expect(html).toContain('c · NotStarted');
  });

  it('says when it is incomplete, and renders an empty fleet without failing', () => {
    const html = renderFleetReport(model({ clusters: [], openFindings: [], sweeps: [], problems: ['findings: table not found'] }));
    expect(html).toContain('Incomplete report');
    expect(html).toContain('findings: table not found');
    expect(html).toContain('No sweep has recorded clusters yet.');
    expect(html).toContain('No open findings at the latest sweep.');
    expect(html).toContain('No rollouts recorded.');
  });
});
