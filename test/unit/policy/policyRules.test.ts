import { describe, expect, it } from 'vitest';

import type { PolicyStateRecord } from '../../../lib/model/policyState.js';
import { computeCompliance, evaluatePolicyStates } from '../../../lib/policy/policyRules.js';
import { compliantCluster } from '../../harness/clusters.js';

const A = compliantCluster({ name: 'a', id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a' });
const B = compliantCluster({ name: 'b', id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/b' });

function state(resourceId: string, definition: string, overrides: Partial<PolicyStateRecord> = {}): PolicyStateRecord {
  return {
    resourceId,
    resourceType: 'Microsoft.ContainerService/managedClusters',
    policyAssignmentId: '/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/baseline',
    policyAssignmentName: 'baseline',
    policyDefinitionId: `/providers/Microsoft.Authorization/policyDefinitions/${definition}`,
    policyDefinitionName: definition,
    policyDefinitionAction: 'audit',
    policySetDefinitionId: undefined,
    complianceState: 'NonCompliant',
    timestamp: '2026-11-20T08:00:00.000Z',
    ...overrides,
  };
}

describe('POLICY-NONCOMPLIANT', () => {
  it('one finding per (cluster, definition), naming assignments and the definition', () => {
    const findings = evaluatePolicyStates(
      [A, B],
      [state(A.id, 'def1'), state(A.id, 'def1', { policyAssignmentName: 'second', policyAssignmentId: '/x/second' }), state(A.id, 'def2'), state(B.id, 'def1')],
    );
    expect(findings.map((finding) => `${finding.clusterName}:${finding.subject?.split('/').at(-1)}`).sort()).toEqual(['a:def1', 'a:def2', 'b:def1']);
    const a1 = findings.find((finding) => finding.clusterName === 'a' && finding.subject?.endsWith('def1'));
    expect(a1?.detail).toContain('assigned by baseline, second');
    expect(a1?.detail).toContain('/providers/Microsoft.Authorization/policyDefinitions/def1');
    expect(a1?.title).toBe('Non-compliant with an Azure Policy definition: def1');
    expect(new Set(findings.map((finding) => finding.fingerprint)).size).toBe(3);
  });

  it('severity is high when any state denies, medium otherwise (effects compared case-insensitively)', () => {
    const [deny] = evaluatePolicyStates([A], [state(A.id, 'd', { policyDefinitionAction: 'Deny' }), state(A.id, 'd')]);
    const [audit] = evaluatePolicyStates([A], [state(A.id, 'e', { policyDefinitionAction: 'auditIfNotExists' })]);
    expect(deny?.severity).toBe('high');
    expect(audit?.severity).toBe('medium');
  });

  it('states of resources under a cluster count for that cluster; ids match case-insensitively', () => {
    const findings = evaluatePolicyStates(
      [A],
      [
        state(`${A.id.toUpperCase()}/AGENTPOOLS/spot`, 'pool', { resourceType: '/Microsoft.ContainerService/managedClusters/agentPools' }),
        state(A.id.replace('resourceGroups', 'resourcegroups'), 'lower'),
      ],
    );
    expect(findings.map((finding) => [finding.resourceId, finding.subject?.split('/').at(-1)])).toEqual([
      [A.id, 'pool'],
      [A.id, 'lower'],
    ]);
    expect(findings[0]?.detail).toContain('non-compliant: AGENTPOOLS/spot');
  });

  it('ignores compliant states and resources outside the fleet, without error', () => {
    expect(
      evaluatePolicyStates(
        [A],
        [
          state(A.id, 'ok', { complianceState: 'Compliant' }),
          state('/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/elsewhere', 'x'),
          state('/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/ip', 'y'),
          // Prefix of a fleet cluster's name, but another cluster.
          state(`${A.id}-two`, 'z'),
        ],
      ),
    ).toEqual([]);
  });

  it('the fingerprint does not depend on the case of the definition id', () => {
    const [lower] = evaluatePolicyStates([A], [state(A.id, 'def')]);
    const [upper] = evaluatePolicyStates([A], [state(A.id, 'def', { policyDefinitionId: '/PROVIDERS/Microsoft.Authorization/policyDefinitions/DEF' })]);
    expect(lower?.fingerprint).toBe(upper?.fingerprint);
  });
});

describe('compliance percentages', () => {
  it('per cluster and overall, counting only compliant and non-compliant states of fleet clusters', () => {
    const { perCluster, overall } = computeCompliance(
      [A, B],
      [
        { resourceId: A.id, complianceState: 'Compliant', count: 3 },
        { resourceId: `${A.id}/agentPools/p`, complianceState: 'NonCompliant', count: 1 },
        { resourceId: B.id.toUpperCase(), complianceState: 'NonCompliant', count: 2 },
        { resourceId: B.id, complianceState: 'Exempt', count: 5 },
        {
          resourceId: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/other',
          complianceState: 'Compliant',
          count: 9,
        },
      ],
    );
    expect(perCluster.get(A.id.toLowerCase())).toEqual({ compliant: 3, nonCompliant: 1, percent: 75 });
    expect(perCluster.get(B.id.toLowerCase())).toEqual({ compliant: 0, nonCompliant: 2, percent: 0 });
    expect(overall).toEqual({ compliant: 3, nonCompliant: 3, percent: 50 });
  });

  it('is undefined when nothing was evaluated', () => {
    expect(computeCompliance([A], []).overall.percent).toBeUndefined();
  });
});
