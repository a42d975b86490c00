/**
 * POLICY-NONCOMPLIANT: one finding per (cluster, policy definition) with a non-compliant latest
 * state on the cluster or a resource under it; and compliance percentages. Pure.
 */
import { type Cluster, resourceKey } from '../model/cluster.js';
import { type Finding, findingFingerprint, type Severity } from '../model/finding.js';
import type { ComplianceCount, PolicyStateRecord } from '../model/policyState.js';
import type { RuleMetadata } from '../model/ruleMetadata.js';
import { odataString } from '../odata.js';
import { shellWord } from '../shellWord.js';
import { displayNameOf, NO_POLICY_NAMES, type PolicyNames } from './policyNames.js';

/** Severity `high` is for states whose effect is `deny`; any other effect makes it {@link NON_DENY_SEVERITY}. */
export const POLICY_RULE = {
  id: 'POLICY-NONCOMPLIANT',
  frameworks: {},
  severity: 'high',
  title: 'Non-compliant with an Azure Policy definition',
  practice: 'Azure Policy enforcement',
  group: 'workload',
  docUrl: 'https://learn.microsoft.com/azure/governance/policy/how-to/get-compliance-data',
  // Rollouts count the cluster's non-compliant states before and after an upgrade (activities.ts).
  healthSignal: { name: 'policy-noncompliant-states', fails: 'anyRise' },
} as const satisfies RuleMetadata;

const NON_DENY_SEVERITY: Severity = 'medium';

/** Finds the fleet cluster a resource id belongs to: the cluster itself or anything under it. */
export class ClusterIndex {
  private readonly byKey = new Map<string, Cluster>();

  constructor(clusters: readonly Cluster[]) {
    for (const cluster of clusters) this.byKey.set(resourceKey(cluster.id), cluster);
  }

  clusterOf(resourceId: string): Cluster | undefined {
    const key = resourceKey(resourceId);
    const direct = this.byKey.get(key);
    if (direct !== undefined) return direct;
    // `.../managedClusters/{name}/agentPools/{pool}` → the cluster is the first 8 segments.
    const match = /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+)\//.exec(key);
    return match?.[1] === undefined ? undefined : this.byKey.get(match[1]);
  }
}

function severityOf(states: readonly PolicyStateRecord[]): Severity {
  return states.some((state) => state.policyDefinitionAction.toLowerCase() === 'deny') ? POLICY_RULE.severity : NON_DENY_SEVERITY;
}

/** The definition's name as people know it: its display name when resolved, else its name segment (a GUID for built-ins). */
function definitionLabel(definitionId: string, states: readonly PolicyStateRecord[], names: PolicyNames): string {
  return displayNameOf(names, definitionId) ?? (states[0]?.policyDefinitionName || (definitionId.split('/').at(-1) ?? definitionId));
}

/** `, part of initiative "A", "B"` for the initiatives whose names are known; the ids of the others. */
function initiativesText(states: readonly PolicyStateRecord[], names: PolicyNames): string {
  const ids = [...new Set(states.flatMap((state) => (state.policySetDefinitionId ? [state.policySetDefinitionId] : [])))].sort();
  if (ids.length === 0) return '';
  const labels = ids.map((id) => {
    const name = displayNameOf(names, id);
    return name === undefined ? id : `"${name}"`;
  });
  return `, part of initiative${labels.length === 1 ? '' : 's'} ${labels.join(', ')}`;
}

function describe(cluster: Cluster, definitionId: string, states: readonly PolicyStateRecord[], names: PolicyNames): string {
  const displayName = displayNameOf(names, definitionId);
  const definition = displayName === undefined ? definitionLabel(definitionId, states, names) : `"${displayName}"`;
  const assignments = [...new Set(states.map((state) => state.policyAssignmentName || state.policyAssignmentId))].sort();
  const resources = [
    ...new Set(
      states.map((state) => (resourceKey(state.resourceId) === resourceKey(cluster.id) ? 'the cluster' : state.resourceId.split('/').slice(-2).join('/'))),
    ),
  ].sort();
  const effects = [...new Set(states.map((state) => state.policyDefinitionAction).filter((effect) => effect !== ''))].sort();
  return (
    `Cluster ${cluster.name} is non-compliant with policy definition ${definition} (${definitionId})${initiativesText(states, names)}` +
    `${effects.length > 0 ? `, effect ${effects.join('/')}` : ''}, assigned by ${assignments.join(', ')}; non-compliant: ${resources.join(', ')}. ` +
    `See why: az policy state list --resource ${shellWord(cluster.id)} --filter ${shellWord(`policyDefinitionId eq ${odataString(definitionId)}`)}; fix the resource or, if justified, add a policy exemption.`
  );
}

/**
 * Findings for the clusters of `clusters`; states of resources outside the fleet are ignored.
 * `names`: display names of definitions and initiatives (resolved once per sweep), for the texts.
 */
export function evaluatePolicyStates(clusters: readonly Cluster[], states: readonly PolicyStateRecord[], names: PolicyNames = NO_POLICY_NAMES): Finding[] {
  const index = new ClusterIndex(clusters);
  const grouped = new Map<string, { cluster: Cluster; definitionId: string; states: PolicyStateRecord[] }>();
  for (const state of states) {
    if (state.complianceState.toLowerCase() !== 'noncompliant') continue;
    const cluster = index.clusterOf(state.resourceId);
    if (cluster === undefined) continue;
    const key = `${resourceKey(cluster.id)}|${state.policyDefinitionId.toLowerCase()}`;
    const group = grouped.get(key) ?? { cluster, definitionId: state.policyDefinitionId, states: [] };
    group.states.push(state);
    grouped.set(key, group);
  }
  return [...grouped.values()].map(({ cluster, definitionId, states: clusterStates }) => {
    const subject = definitionId.toLowerCase();
    return {
      ruleId: POLICY_RULE.id,
      resourceId: cluster.id,
      subscriptionId: cluster.subscriptionId,
      clusterName: cluster.name,
      severity: severityOf(clusterStates),
      title: `${POLICY_RULE.title}: ${definitionLabel(definitionId, clusterStates, names)}`,
      detail: describe(cluster, definitionId, clusterStates, names),
      practice: POLICY_RULE.practice,
      docUrl: POLICY_RULE.docUrl,
      subject,
      fingerprint: findingFingerprint(POLICY_RULE.id, cluster.id, subject),
      clusterTags: cluster.tags,
    };
  });
}

export interface ClusterCompliance {
  compliant: number;
  nonCompliant: number;
  /** Compliant share of evaluated states, 0-100; undefined when nothing was evaluated. */
  percent: number | undefined;
}

function percentOf(compliant: number, nonCompliant: number): number | undefined {
  const total = compliant + nonCompliant;
  return total === 0 ? undefined : Math.round((compliant / total) * 1000) / 10;
}

/** Compliance per cluster (keyed by lower-cased id) and overall, from per-resource state counts. */
export function computeCompliance(
  clusters: readonly Cluster[],
  counts: readonly ComplianceCount[],
): { perCluster: Map<string, ClusterCompliance>; overall: ClusterCompliance } {
  const index = new ClusterIndex(clusters);
  const perCluster = new Map<string, ClusterCompliance>();
  let compliant = 0;
  let nonCompliant = 0;
  for (const count of counts) {
    const cluster = index.clusterOf(count.resourceId);
    const state = count.complianceState.toLowerCase();
    if (cluster === undefined || (state !== 'compliant' && state !== 'noncompliant')) continue;
    const entry = perCluster.get(resourceKey(cluster.id)) ?? { compliant: 0, nonCompliant: 0, percent: undefined };
    if (state === 'compliant') {
      entry.compliant += count.count;
      compliant += count.count;
    } else {
      entry.nonCompliant += count.count;
      nonCompliant += count.count;
    }
    entry.percent = percentOf(entry.compliant, entry.nonCompliant);
    perCluster.set(resourceKey(cluster.id), entry);
  }
  return { perCluster, overall: { compliant, nonCompliant, percent: percentOf(compliant, nonCompliant) } };
}
