/**
 * The pods a POLICY-NONCOMPLIANT finding names, shown under the finding in the fleet report and kept
 * in the findings table: pod and namespace names come from the clusters, so they are escaped.
 */
import { describe, expect, it } from 'vitest';

import { fromFindingEntity, toFindingEntity } from '../../../lib/findings/findingEntity.js';
import { renderFleetReport } from '../../../lib/report/fleetReport.js';
import { storedFinding } from '../../harness/alerts.js';

const hostile = { type: 'pod', namespace: 'payments', name: '<img src=x onerror=alert(1)>' };

describe('components under a policy finding', () => {
  it('lists each component under the finding, escaped by the one HTML escaper', () => {
    const finding = storedFinding({
      ruleId: 'POLICY-NONCOMPLIANT',
      components: [hostile, { type: 'pod', namespace: 'kube-system', name: 'debug-shell' }],
    });
    const html = renderFleetReport({ generatedAt: '2026-11-30T10:00:00.000Z', clusters: [], openFindings: [finding], sweeps: [], rollouts: [], problems: [] });
    const row = /<tr class="f" id="finding-[^]*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(row).toContain('<details class="components"><summary>2 in-cluster components (Azure Policy add-on)</summary>');
    expect(row).toContain('<li>pod <code>payments/&lt;img src=x onerror=alert(1)&gt;</code></li>');
    expect(row).toContain('<li>pod <code>kube-system/debug-shell</code></li>');
    expect(html).not.toContain('<img src=x');
  });

  it('a finding without components shows no list', () => {
    const html = renderFleetReport({
      generatedAt: '2026-11-30T10:00:00.000Z',
      clusters: [],
      openFindings: [storedFinding({ ruleId: 'POLICY-NONCOMPLIANT' }), storedFinding({ ruleId: 'POLICY-NONCOMPLIANT', cluster: 'b', components: [] })],
      sweeps: [],
      rollouts: [],
      problems: [],
    });
    expect(html).not.toContain('class="components"');
  });

  it('the findings table keeps them (a JSON column); rows written before have none', () => {
    const finding = storedFinding({ ruleId: 'POLICY-NONCOMPLIANT', components: [hostile, { type: 'namespace', namespace: undefined, name: 'payments' }] });
    const entity = toFindingEntity(finding);
    expect(fromFindingEntity(entity).components).toEqual([hostile, { type: 'namespace', namespace: undefined, name: 'payments' }]);
    const { components: _dropped, ...older } = entity;
    void _dropped;
    expect(fromFindingEntity(older).components).toBeUndefined();
    expect(fromFindingEntity({ ...older, components: 'not json' }).components).toBeUndefined();
  });
});
