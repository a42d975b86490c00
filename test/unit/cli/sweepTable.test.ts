import { describe, expect, it } from 'vitest';

import { formatSweepTable } from '../../../lib/cli/sweepTable.js';
import { evaluateCluster } from '../../../lib/posture/evaluateCluster.js';
import type { SweepResult } from '../../../lib/sweep/sweepResult.js';
import { compliantCluster } from '../../harness/clusters.js';

function result(): SweepResult {
  const clean = compliantCluster({ name: 'clean', id: compliantCluster().id.replace('/good', '/clean') });
  const noisy = compliantCluster({
    name: 'noisy',
    id: compliantCluster().id.replace('/good', '/noisy'),
    enableRbac: false,
    upgradeChannel: 'none',
    disableLocalAccounts: false,
  });
  const findings = [...evaluateCluster(clean, undefined).findings, ...evaluateCluster(noisy, undefined).findings];
  const summary = (cluster: typeof clean, count: number, worst: 'critical' | undefined) => ({
    resourceId: cluster.id,
    name: cluster.name,
    subscriptionId: cluster.subscriptionId,
    resourceGroup: 'rg',
    location: 'northeurope',
    kubernetesVersion: '1.32.3',
    provisioningState: 'Succeeded',
    powerState: 'Running',
    tags: {},
    findings: count,
    worstSeverity: worst,
    policyCompliancePercent: count === 0 ? 100 : 62.5,
  });
  return {
    sweepId: 's',
    startedAt: '',
    endedAt: '',
    status: 'partial',
    findings,
    clusters: [summary(clean, 0, undefined), summary(noisy, 3, 'critical')],
    stats: {
      subscriptions: { total: 2, succeeded: 1, failed: 1 },
      clusters: 2,
      locations: { total: 1, failed: 0 },
      findings: { total: 3, bySeverity: { critical: 1, high: 1, medium: 0, low: 1, info: 0 }, byRule: {} },
      policy: { compliant: 5, nonCompliant: 3, percent: 62.5 },
      logs: { workspaces: 2, failedWorkspaces: 1, queries: 14 },
      durationMs: 1500,
      store: undefined,
    },
    errors: [{ scope: 'subscription', target: '22222222', reason: 'authError', message: 'HTTP 403 AuthorizationFailed' }],
  };
}

describe('human sweep table', () => {
  it('groups by cluster, worst cluster first, findings by severity, then a summary with errors', () => {
    const text = formatSweepTable(result());
    expect(text.indexOf('noisy')).toBeLessThan(text.indexOf('clean'));
    expect(text).toContain('clean  (11111111…/rg · northeurope · Kubernetes 1.32.3 · policy 100%)  no findings');
    const rbac = text.indexOf('AKS-K8S-RBAC');
    const local = text.indexOf('AKS-LOCAL-ACCOUNTS');
    const upgrade = text.indexOf('AKS-AUTO-UPGRADE');
    expect(rbac).toBeGreaterThan(0);
    expect(rbac).toBeLessThan(local);
    expect(local).toBeLessThan(upgrade);
    expect(text).toContain('Sweep partial: 2 clusters in 1/2 subscriptions, 1 locations, 1.5 s');
    expect(text).toContain('Findings: 3 (1 critical, 1 high, 1 low)');
    expect(text).toContain('Azure Policy compliance: 62.5% (5 compliant, 3 non-compliant states)');
    expect(text).toContain('! subscription 22222222: HTTP 403 AuthorizationFailed');
    expect(text).not.toContain('What to change');
  });

  it('adds the fix column on request, and fits the width', () => {
    const text = formatSweepTable(result(), { details: true, width: 100 });
    expect(text).toContain('What to change');
    expect(text).toContain('--disable-local-accounts');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
