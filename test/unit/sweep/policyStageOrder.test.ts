/**
 * The policy stage's call order (the sweep's critical path, BENCHMARKS.md "Sweep"): the component
 * queries, one per flagged cluster and most of a large sweep's calls, start once the non-compliant
 * states are in, without waiting for the compliance summary or the definitions' names (Resource
 * Graph pages that can wait seconds for the identity's quota window). The reader is the stage's port,
 * answering from memory so the order is exact; what the real adapters send is covered by
 * test/integration/policyComponents.test.ts.
 */
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';

import type { ComplianceCount, PolicyComponentRecord, PolicyStateRecord } from '../../../lib/model/policyState.js';
import type { Coverage } from '../../../lib/sweep/coverage.js';
import { type PolicyReader, runPolicyStage } from '../../../lib/sweep/policyStage.js';
import type { SweepError } from '../../../lib/sweep/sweepResult.js';
import { compliantCluster } from '../../harness/clusters.js';

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const clusterIds = ['a', 'b', 'c'].map(
  (name) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
);
const CLUSTERS = clusterIds.map((id, index) =>
  compliantCluster({ id, name: id.split('/').at(-1) ?? '', addons: index < 2 ? { azurepolicy: { enabled: true, config: {} } } : {} }),
);
const DEFINITION = '/providers/Microsoft.Authorization/policyDefinitions/def1';

function nonCompliant(resourceId: string): PolicyStateRecord {
  return {
    resourceId,
    resourceType: 'Microsoft.ContainerService/managedClusters',
    policyAssignmentId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/policyAssignments/baseline`,
    policyAssignmentName: 'baseline',
    policyDefinitionId: DEFINITION,
    policyDefinitionName: 'def1',
    policyDefinitionAction: 'deny',
    policySetDefinitionId: undefined,
    complianceState: 'NonCompliant',
    timestamp: '2026-11-20T08:00:00.000Z',
  };
}

/** A promise the test settles, and a record of when things happened. */
function gate<T>(): { promise: Promise<T>; open(value: T): void } {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * A reader whose summary and names answer only once `release` opens: the stage must have asked for
 * components before then. A stage that waits for the summary first would never ask, so the gate also
 * opens after a short while, and the recorded order tells the two apart.
 */
function gatedReader(across: boolean): { reader: PolicyReader; events: string[] } {
  const events: string[] = [];
  const release = gate<void>();
  const fallback = setTimeout(() => release.open(), 300);
  const states = clusterIds.map(nonCompliant);
  const summary: ComplianceCount[] = clusterIds.map((resourceId) => ({ resourceId, complianceState: 'NonCompliant', count: 1 }));
  const reader: PolicyReader = {
    listNonCompliantClusterStates: () => Promise.resolve(states),
    summarizeClusterCompliance: async () => {
      await release.promise;
      events.push('summary');
      return summary;
    },
    listPolicyDefinitionNames: async () => {
      await release.promise;
      events.push('names');
      return [];
    },
    listNonCompliantComponents: (clusterId) => {
      events.push(`components ${clusterId.split('/').at(-1)}`);
      clearTimeout(fallback);
      release.open();
      const record: PolicyComponentRecord = {
        resourceId: clusterId,
        policyDefinitionId: DEFINITION,
        policyAssignmentId: '/x/baseline',
        componentType: 'pod',
        componentId: 'default/web',
        componentName: 'web',
        complianceState: 'NonCompliant',
      };
      return Promise.resolve([record]);
    },
    ...(across
      ? {
          acrossSubscriptions: {
            readableSubscriptions: () => Promise.resolve(new Set([SUBSCRIPTION])),
            listNonCompliantClusterStates: () => Promise.resolve(states),
            summarizeClusterCompliance: async () => {
              await release.promise;
              events.push('summary');
              return summary;
            },
          },
        }
      : {}),
  };
  return { reader, events };
}

describe('policy stage order', () => {
  it.each([
    ['Resource Graph', true],
    ['Policy Insights per subscription', false],
  ])('%s: component queries start before the compliance summary and the names are in; findings carry the components', async (_label, across) => {
    const { reader, events } = gatedReader(across);
    const coverage: Coverage = new Map();
    const errors: SweepError[] = [];
    const result = await runPolicyStage(reader, CLUSTERS, [SUBSCRIPTION], pLimit(8), coverage, errors, { acrossSubscriptions: across });
    expect(errors).toEqual([]);
    const firstComponents = events.findIndex((event) => event.startsWith('components'));
    expect(firstComponents).toBeGreaterThanOrEqual(0);
    expect(firstComponents).toBeLessThan(events.indexOf('summary'));
    expect(firstComponents).toBeLessThan(events.indexOf('names'));
    // Each flagged cluster with the add-on asked once (c runs no add-on), however many paths saw its states.
    expect(events.filter((event) => event.startsWith('components')).sort()).toEqual(['components a', 'components b']);
    expect(result.findings.map((finding) => `${finding.clusterName}:${finding.components?.length ?? 'none'}`).sort()).toEqual(['a:1', 'b:1', 'c:none']);
    expect(result.compliance.perCluster.size).toBe(3);
  });

  it.each([
    ['Resource Graph', true],
    ['Policy Insights per subscription', false],
  ])('%s: the per-subscription component query also starts before the summary and the names; one for the subscription', async (_label, across) => {
    const { reader: gated, events } = gatedReader(across);
    const perCluster = gated.listNonCompliantComponents?.bind(gated);
    const reader = {
      ...gated,
      // The subscription's answer is the per-cluster answers together (which also opens the gate).
      listNonCompliantComponentsInSubscription: async () => {
        events.push('components subscription');
        const records = [...((await perCluster?.(clusterIds[0] ?? '')) ?? []), ...((await perCluster?.(clusterIds[1] ?? '')) ?? [])];
        return { records, complete: true };
      },
    };
    const result = await runPolicyStage(reader, CLUSTERS, [SUBSCRIPTION], pLimit(8), new Map(), [], { acrossSubscriptions: across });
    expect(events.indexOf('components subscription')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('components subscription')).toBeLessThan(events.indexOf('summary'));
    expect(events.indexOf('components subscription')).toBeLessThan(events.indexOf('names'));
    expect(events.filter((event) => event === 'components subscription')).toHaveLength(1);
    // No per-cluster query besides the two the subscription's answer is made of.
    expect(events.filter((event) => event.startsWith('components ') && event !== 'components subscription').sort()).toEqual(['components a', 'components b']);
    expect(result.findings.map((finding) => `${finding.clusterName}:${finding.components?.length ?? 'none'}`).sort()).toEqual(['a:1', 'b:1', 'c:none']);
  });
});
