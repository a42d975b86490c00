/**
 * The policy stage per subscription, with the stage's port answering from memory (the real adapter
 * and simulator: test/integration/policyComponents.test.ts, policyInsights.test.ts):
 * - one component query per subscription with flagged add-on clusters, however many clusters;
 * - an answer that may be cut (`complete: false`, the unpaged operation filled `$top`) sends that
 *   subscription's flagged clusters to the per-cluster query;
 * - a subscription whose states cannot be read is reported and degrades alone: its clusters are not
 *   marked evaluated for POLICY-NONCOMPLIANT (so the store resolves none of their findings), its
 *   components are not asked, the other subscription's findings land with their components.
 */
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';

import { FleetGuardError } from '../../../lib/errors.js';
import type { Cluster } from '../../../lib/model/cluster.js';
import type { PolicyComponentRecord, PolicyStateRecord } from '../../../lib/model/policyState.js';
import { POLICY_RULE } from '../../../lib/policy/policyRules.js';
import type { Coverage } from '../../../lib/sweep/coverage.js';
import { type PolicyReader, runPolicyStage } from '../../../lib/sweep/policyStage.js';
import type { SweepError } from '../../../lib/sweep/sweepResult.js';
import { compliantCluster } from '../../harness/clusters.js';

const SUB_A = 'aaaaaaaa-0000-0000-0000-000000000000';
const SUB_B = 'bbbbbbbb-0000-0000-0000-000000000000';
const DEFINITION = '/providers/Microsoft.Authorization/policyDefinitions/def1';

function clustersOf(subscriptionId: string, count: number): Cluster[] {
  return Array.from({ length: count }, (_, index) => {
    const name = `${subscriptionId.slice(0, 1)}-${index}`;
    return compliantCluster({
      id: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
      name,
      subscriptionId,
      addons: { azurepolicy: { enabled: true, config: {} } },
    });
  });
}

function nonCompliant(cluster: Cluster): PolicyStateRecord {
  return {
    resourceId: cluster.id,
    resourceType: 'Microsoft.ContainerService/managedClusters',
    policyAssignmentId: `/subscriptions/${cluster.subscriptionId}/providers/Microsoft.Authorization/policyAssignments/baseline`,
    policyAssignmentName: 'baseline',
    policyDefinitionId: DEFINITION,
    policyDefinitionName: 'def1',
    policyDefinitionAction: 'deny',
    policySetDefinitionId: undefined,
    complianceState: 'NonCompliant',
    timestamp: '2026-11-20T08:00:00.000Z',
  };
}

function pod(cluster: Cluster): PolicyComponentRecord {
  return {
    resourceId: cluster.id,
    policyDefinitionId: DEFINITION,
    policyAssignmentId: 'baseline',
    componentType: 'pod',
    componentId: `default/${cluster.name}`,
    componentName: cluster.name,
    complianceState: 'NonCompliant',
  };
}

/** A reader over the clusters' states, recording its calls; `failing` subscriptions' states fail; `cut` ones answer incomplete. */
function reader(clusters: readonly Cluster[], options: { failing?: string[]; cut?: string[] } = {}): { reader: PolicyReader; calls: string[] } {
  const calls: string[] = [];
  const of = (subscriptionId: string) => clusters.filter((cluster) => cluster.subscriptionId === subscriptionId);
  return {
    calls,
    reader: {
      listNonCompliantClusterStates: (subscriptionId) => {
        calls.push(`states ${subscriptionId}`);
        if (options.failing?.includes(subscriptionId)) return Promise.reject(new FleetGuardError('serverError', 'HTTP 500 InternalServerError'));
        return Promise.resolve(of(subscriptionId).map(nonCompliant));
      },
      summarizeClusterCompliance: (subscriptionId) => {
        calls.push(`summary ${subscriptionId}`);
        return Promise.resolve(of(subscriptionId).map((cluster) => ({ resourceId: cluster.id, complianceState: 'NonCompliant', count: 1 })));
      },
      listNonCompliantComponentsInSubscription: (subscriptionId) => {
        calls.push(`components ${subscriptionId}`);
        return Promise.resolve({ records: of(subscriptionId).map(pod), complete: !options.cut?.includes(subscriptionId) });
      },
      listNonCompliantComponents: (clusterId) => {
        calls.push(`cluster components ${clusterId.split('/').at(-1) ?? ''}`);
        const cluster = clusters.find((entry) => entry.id === clusterId);
        return Promise.resolve(cluster ? [pod(cluster)] : []);
      },
    },
  };
}

async function run(clusters: readonly Cluster[], options: { failing?: string[]; cut?: string[] } = {}) {
  const { reader: port, calls } = reader(clusters, options);
  const coverage: Coverage = new Map();
  const errors: SweepError[] = [];
  const result = await runPolicyStage(port, clusters, [SUB_A, SUB_B], pLimit(4), coverage, errors, { acrossSubscriptions: false });
  return { result, calls, coverage, errors };
}

describe('policy stage per subscription', () => {
  it('one component query per subscription, whatever the number of flagged clusters', async () => {
    for (const size of [2, 40]) {
      const clusters = [...clustersOf(SUB_A, size), ...clustersOf(SUB_B, size)];
      const { result, calls, errors } = await run(clusters);
      expect(errors).toEqual([]);
      expect(calls.filter((call) => call.includes('components')).sort()).toEqual([`components ${SUB_A}`, `components ${SUB_B}`]);
      expect(result.calls).toBe(2 * 2 + 2);
      expect(result.findings).toHaveLength(2 * size);
      expect(result.findings.every((finding) => finding.components?.length === 1)).toBe(true);
    }
  });

  it("an answer that may be cut: that subscription's flagged clusters are asked one by one, the other's answer is used", async () => {
    const clusters = [...clustersOf(SUB_A, 3), ...clustersOf(SUB_B, 3)];
    const { result, calls, errors } = await run(clusters, { cut: [SUB_A] });
    expect(errors).toEqual([]);
    expect(calls.filter((call) => call.startsWith('cluster components')).sort()).toEqual([
      'cluster components a-0',
      'cluster components a-1',
      'cluster components a-2',
    ]);
    expect(result.calls).toBe(2 * 2 + 2 + 3);
    expect(result.findings.every((finding) => finding.components?.length === 1)).toBe(true);
  });

  it("a subscription whose states fail degrades alone: reported, not covered (nothing of it resolves), the other's findings land", async () => {
    const clusters = [...clustersOf(SUB_A, 3), ...clustersOf(SUB_B, 3)];
    const { result, calls, coverage, errors } = await run(clusters, { failing: [SUB_A] });
    expect(errors.map((error) => [error.scope, error.target, error.reason])).toEqual([['policy', SUB_A, 'serverError']]);
    expect(result.findings.map((finding) => finding.clusterName).sort()).toEqual(['b-0', 'b-1', 'b-2']);
    expect(result.findings.every((finding) => finding.components?.length === 1)).toBe(true);
    // The store resolves a cluster's POLICY finding only where the rule was evaluated this sweep.
    const covered = (cluster: Cluster) => coverage.get(cluster.id.toLowerCase())?.has(POLICY_RULE.id) === true;
    expect(clusters.map(covered)).toEqual([false, false, false, true, true, true]);
    // Without its states, nothing of SUB_A is flagged: its components are not asked.
    expect(calls).not.toContain(`components ${SUB_A}`);
  });
});
