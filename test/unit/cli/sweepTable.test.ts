import { describe, expect, it } from 'vitest';

import { formatSweepTable } from '../../../lib/cli/sweepTable.js';
import { colourEnabled, painter } from '../../../lib/cli/terminalStyle.js';
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

  it('fits the terminal: a title uses the width there is; an ARM id longer than its column is cut, never past the edge (issue 17)', () => {
    const title = 'Non-compliant with an Azure Policy definition: Kubernetes cluster should not allow privileged containers';
    const id = `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/a-long-resource-group-name/providers/Microsoft.ContainerService/managedClusters/${'x'.repeat(60)}`;
    const base = result();
    const long = { ...base, findings: base.findings.map((finding) => ({ ...finding, title, detail: `See ${id}` })) };
    expect(formatSweepTable(long, { width: 160 })).toContain(title);
    for (const width of [100, 160]) {
      for (const line of formatSweepTable(long, { details: true, width }).split('\n')) expect(line.length).toBeLessThanOrEqual(width);
    }
  });

  it('colours severities only when colour is on: NO_COLOR, FORCE_COLOR, else a terminal (issue 17)', () => {
    expect(colourEnabled({}, true)).toBe(true);
    expect(colourEnabled({}, false)).toBe(false);
    expect(colourEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colourEnabled({ NO_COLOR: '' }, true)).toBe(true);
    expect(colourEnabled({ NO_COLOR: '1', FORCE_COLOR: '1' }, false)).toBe(false);
    expect(colourEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colourEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colourEnabled({ TERM: 'dumb' }, true)).toBe(false);
    const coloured = formatSweepTable(result(), { paint: painter(true) });
    // ESC[1m ESC[31m critical: bold red, as util.styleText writes it.
    expect(coloured).toContain('\u001b[1m\u001b[31mcritical');
    expect(formatSweepTable(result(), { paint: painter(false) })).not.toContain('\u001b[');
    expect(formatSweepTable(result())).not.toContain('\u001b[');
  });
});
