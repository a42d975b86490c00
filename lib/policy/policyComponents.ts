/**
 * Pod-level detail for POLICY-NONCOMPLIANT: where the Azure Policy add-on runs, Policy Insights
 * `componentPolicyStates` names the namespaces and pods each definition flags. They are attached to
 * the (cluster, definition) finding they belong to. Pure.
 */
import type { Cluster } from '../model/cluster.js';
import { resourceKey } from '../model/cluster.js';
import type { Finding, FindingComponent } from '../model/finding.js';
import type { PolicyComponentRecord } from '../model/policyState.js';
import { POLICY_RULE } from './policyRules.js';

/**
 * Components kept per finding: enough to act on, and far below the 64 KiB an Azure Tables string
 * property holds (Learn "Understanding the Table service data model"); the count says how many more.
 */
export const COMPONENTS_PER_FINDING = 50;
/** Components named in the finding's text (alerts carry it); the report lists up to {@link COMPONENTS_PER_FINDING}. */
const COMPONENTS_IN_DETAIL = 5;

/** Whether Policy Insights can have component states for the cluster: the Azure Policy add-on is on. */
export function runsPolicyAddon(cluster: Cluster): boolean {
  return cluster.addons['azurepolicy']?.enabled === true;
}

/** The clusters worth one component query: add-on on and at least one POLICY-NONCOMPLIANT finding. */
export function clustersToAskForComponents(clusters: readonly Cluster[], findings: readonly Finding[]): Cluster[] {
  const flagged = new Set(findings.filter((finding) => finding.ruleId === POLICY_RULE.id).map((finding) => resourceKey(finding.resourceId)));
  return clusters.filter((cluster) => runsPolicyAddon(cluster) && flagged.has(resourceKey(cluster.id)));
}

/** `namespace/name` for namespaced objects (the service writes pods' componentId so: `default/test-pod`). */
function toComponent(record: PolicyComponentRecord): FindingComponent {
  const slash = record.componentId.indexOf('/');
  const namespace = slash > 0 ? record.componentId.slice(0, slash) : undefined;
  const name = slash > 0 ? record.componentId.slice(slash + 1) : record.componentName || record.componentId;
  return { type: record.componentType, namespace, name };
}

export function componentLabel(component: FindingComponent): string {
  return component.namespace === undefined ? component.name : `${component.namespace}/${component.name}`;
}

function describeComponents(components: readonly FindingComponent[], total: number): string {
  const namespaces = [...new Set(components.flatMap((component) => component.namespace ?? []))].sort();
  const named = components
    .slice(0, COMPONENTS_IN_DETAIL)
    .map((component) => `${component.type} ${componentLabel(component)}`)
    .join(', ');
  const more = total > COMPONENTS_IN_DETAIL ? ` and ${total - COMPONENTS_IN_DETAIL} more` : '';
  const where = namespaces.length > 0 ? ` in namespace${namespaces.length === 1 ? '' : 's'} ${namespaces.join(', ')}` : '';
  return ` The Azure Policy add-on reports ${total} non-compliant component${total === 1 ? '' : 's'}${where}: ${named}${more}.`;
}

/**
 * The findings with the components of their cluster attached, for the clusters whose component
 * states were read (`componentsByCluster`, keyed by lower-cased cluster id). A finding of a cluster
 * that was not read is returned as it was; one whose cluster was read gets its list, possibly empty.
 */
export function attachPolicyComponents(findings: readonly Finding[], componentsByCluster: ReadonlyMap<string, readonly PolicyComponentRecord[]>): Finding[] {
  return findings.map((finding) => {
    if (finding.ruleId !== POLICY_RULE.id) return finding;
    const records = componentsByCluster.get(resourceKey(finding.resourceId));
    if (records === undefined) return finding;
    const seen = new Set<string>();
    const components: FindingComponent[] = [];
    for (const record of records) {
      if (record.policyDefinitionId.toLowerCase() !== finding.subject || record.complianceState.toLowerCase() !== 'noncompliant') continue;
      // The same pod is reported once per assignment of the definition: name it once.
      const component = toComponent(record);
      const key = `${component.type.toLowerCase()}|${componentLabel(component)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      components.push(component);
    }
    components.sort((left, right) => componentLabel(left).localeCompare(componentLabel(right)) || left.type.localeCompare(right.type));
    const kept = components.slice(0, COMPONENTS_PER_FINDING);
    return {
      ...finding,
      detail: components.length === 0 ? finding.detail : finding.detail + describeComponents(kept, components.length),
      components: kept,
    };
  });
}
