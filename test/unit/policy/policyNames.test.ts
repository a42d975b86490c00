/**
 * The texts of POLICY-NONCOMPLIANT with the display names of the definition and its initiatives
 * (issue 17): names of real built-ins (Azure/azure-policy, built-in-policies/policyDefinitions/
 * Kubernetes/ContainerNoPrivilege.json and policySetDefinitions/Kubernetes, initiative
 * a8640138-9b0a-4a28-b8cb-1666c838647d). The id stays in the subject, the fingerprint and the detail.
 */
import { describe, expect, it } from 'vitest';

import type { PolicyStateRecord } from '../../../lib/model/policyState.js';
import { policyIdsOf, policyNames } from '../../../lib/policy/policyNames.js';
import { evaluatePolicyStates } from '../../../lib/policy/policyRules.js';
import { compliantCluster } from '../../harness/clusters.js';

const CLUSTER = compliantCluster({ name: 'a', id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a' });
const GUID = '95edb821-ddaf-4404-9732-666045e056b4';
const DEFINITION = `/providers/Microsoft.Authorization/policyDefinitions/${GUID}`;
const INITIATIVE = '/providers/Microsoft.Authorization/policySetDefinitions/a8640138-9b0a-4a28-b8cb-1666c838647d';
const OTHER_INITIATIVE = '/subscriptions/s1/providers/Microsoft.Authorization/policySetDefinitions/custom-set';

const state: PolicyStateRecord = {
  resourceId: CLUSTER.id,
  resourceType: 'Microsoft.ContainerService/managedClusters',
  policyAssignmentId: '/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/baseline',
  policyAssignmentName: 'baseline',
  policyDefinitionId: DEFINITION,
  policyDefinitionName: GUID,
  policyDefinitionAction: 'deny',
  policySetDefinitionId: INITIATIVE,
  complianceState: 'NonCompliant',
  timestamp: '2026-11-20T08:00:00.000Z',
};

const NAMES = policyNames([
  // Ids compared case-insensitively: Resource Graph and Policy Insights disagree on case.
  { id: DEFINITION.toUpperCase(), kind: 'definition', displayName: 'Kubernetes cluster should not allow privileged containers' },
  { id: INITIATIVE, kind: 'initiative', displayName: 'Kubernetes cluster pod security baseline standards for Linux-based workloads' },
]);

describe('POLICY-NONCOMPLIANT with definition names', () => {
  it('title and detail name the definition and its initiatives; the id stays in subject, fingerprint and detail', () => {
    const [named] = evaluatePolicyStates([CLUSTER], [state, { ...state, policySetDefinitionId: OTHER_INITIATIVE }], NAMES);
    const [bare] = evaluatePolicyStates([CLUSTER], [state]);
    expect(named?.title).toBe('Non-compliant with an Azure Policy definition: Kubernetes cluster should not allow privileged containers');
    expect(named?.detail).toContain(
      `policy definition "Kubernetes cluster should not allow privileged containers" (${DEFINITION}), part of initiatives "Kubernetes cluster pod security baseline standards for Linux-based workloads", ${OTHER_INITIATIVE}, effect deny`,
    );
    expect(named?.subject).toBe(DEFINITION.toLowerCase());
    expect(named?.fingerprint).toBe(bare?.fingerprint);
  });

  it('without a name: the name segment (GUID), as before', () => {
    const [bare] = evaluatePolicyStates([CLUSTER], [state], policyNames([]));
    expect(bare?.title).toBe(`Non-compliant with an Azure Policy definition: ${GUID}`);
    expect(bare?.detail).toContain(`policy definition ${GUID} (${DEFINITION}), part of initiative ${INITIATIVE}, effect deny`);
  });

  it('asks for each definition and initiative once, lower-cased', () => {
    expect(policyIdsOf([state, { ...state, policyDefinitionId: DEFINITION.toUpperCase(), policySetDefinitionId: undefined }])).toEqual([
      DEFINITION.toLowerCase(),
      INITIATIVE.toLowerCase(),
    ]);
  });
});
