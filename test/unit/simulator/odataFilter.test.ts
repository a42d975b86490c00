import { describe, expect, it } from 'vitest';

import { clusterStatesFilter } from '../../../lib/azure/policyInsights.js';
import { odataString } from '../../../lib/odata.js';
import { matchesFilter, parseFilter } from '../../../tooling/simulator/odataFilter.js';

describe('OData $filter subset', () => {
  it('handles eq/ne, and/or precedence and parentheses, case-insensitively', () => {
    const node = parseFilter("complianceState eq 'NonCompliant' and (resourceType eq 'a' or resourceType eq 'b')");
    expect(matchesFilter(node, { complianceState: 'noncompliant', resourceType: 'B' })).toBe(true);
    expect(matchesFilter(node, { complianceState: 'Compliant', resourceType: 'a' })).toBe(false);
    expect(matchesFilter(parseFilter("a eq 'x' or b eq 'y' and c eq 'z'"), { a: 'x', b: 'n', c: 'n' })).toBe(true);
    expect(matchesFilter(parseFilter("a ne 'x'"), { a: 'y' })).toBe(true);
  });

  it('compares booleans exactly, as the official PolicyStates_FilterAndGroupByWithAggregate.json filters on IsCompliant eq false', () => {
    const node = parseFilter("IsCompliant eq false and (PolicyDefinitionAction eq 'audit' or PolicyDefinitionAction eq 'deny')");
    expect(matchesFilter(node, { isCompliant: false, policyDefinitionAction: 'Audit' })).toBe(true);
    expect(matchesFilter(node, { isCompliant: true, policyDefinitionAction: 'audit' })).toBe(false);
    // A string 'false' is not the boolean false.
    expect(matchesFilter(parseFilter('isCompliant eq false'), { isCompliant: 'false' })).toBe(false);
    expect(matchesFilter(parseFilter('isCompliant ne true'), { isCompliant: false })).toBe(true);
    expect(matchesFilter(parseFilter('isCompliant eq False'), { isCompliant: false })).toBe(true);
    expect(() => parseFilter('isCompliant eq no')).toThrow();
  });

  it('rejects what it does not understand instead of ignoring it', () => {
    for (const filter of ["a gt 'x'", "contains(a, 'x')", "a eq 'x' and", "(a eq 'x'", 'a eq 5', "a eq 'x"]) {
      expect(() => parseFilter(filter), filter).toThrow();
    }
  });

  it('round-trips hostile values through odataString: quotes cannot break out of the literal', () => {
    for (const value of ["it's", "'; drop", "x' or a eq 'a", "''", 'back\\slash']) {
      const node = parseFilter(`name eq ${odataString(value)}`);
      expect(node).toEqual({ kind: 'compare', field: 'name', operator: 'eq', value });
    }
  });

  it('the adapter filter selects non-compliant cluster and agent-pool states in both resourceType spellings', () => {
    const node = parseFilter(clusterStatesFilter({ nonCompliantOnly: true }));
    const nonCompliant = { complianceState: 'NonCompliant' };
    expect(matchesFilter(node, { ...nonCompliant, resourceType: 'Microsoft.ContainerService/managedClusters' })).toBe(true);
    expect(matchesFilter(node, { ...nonCompliant, resourceType: '/Microsoft.ContainerService/managedClusters/agentPools' })).toBe(true);
    expect(matchesFilter(node, { ...nonCompliant, resourceType: '/Microsoft.Network/publicIPAddresses' })).toBe(false);
    expect(matchesFilter(node, { complianceState: 'Compliant', resourceType: 'Microsoft.ContainerService/managedClusters' })).toBe(false);
    const all = parseFilter(clusterStatesFilter({ nonCompliantOnly: false }));
    expect(matchesFilter(all, { complianceState: 'Compliant', resourceType: 'Microsoft.ContainerService/managedClusters' })).toBe(true);
  });
});
