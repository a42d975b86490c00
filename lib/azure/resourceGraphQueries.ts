/**
 * The Azure Resource Graph queries of the inventory. Each starts with a marker line so the
 * simulator can tell them apart (it cannot run KQL), and each projects `id` and orders by it,
 * because Resource Graph pages with `$skipToken` only over results that carry `id`, and a stable
 * order keeps pages from overlapping.
 */
import { CLUSTER_RESOURCE_TYPES } from './policyInsights.js';

export type ResourceGraphQueryName = 'subscriptions' | 'clusters' | 'policy-states' | 'policy-summary' | 'cluster-counts';

export function resourceGraphMarker(name: string): string {
  return `// fleetguard:resource-graph:${name}`;
}

/** Both spellings Policy Insights uses for a resource type (with and without a leading slash), lower-cased. */
const POLICY_RESOURCE_TYPES = CLUSTER_RESOURCE_TYPES.flatMap((type) => [type, `/${type}`])
  .map((type) => `'${type.toLowerCase()}'`)
  .join(', ');

const POLICY_STATES_OF_CLUSTERS = `policyresources
| where type =~ 'microsoft.policyinsights/policystates'
| extend resourceType = tostring(properties.resourceType), complianceState = tostring(properties.complianceState)
| where resourceType in~ (${POLICY_RESOURCE_TYPES})`;

export const RESOURCE_GRAPH_QUERIES: Record<ResourceGraphQueryName, string> = {
  // Resource Graph leaves out what the identity cannot read instead of failing. A subscription
  // appears here only with read access at subscription scope, the access a complete listing needs;
  // the others are listed through ARM, where missing access is a 403 and not an empty result.
  subscriptions: `${resourceGraphMarker('subscriptions')}
resourcecontainers
| where type =~ 'microsoft.resources/subscriptions'
| project id, subscriptionId
| order by id asc`,
  // The same resource body ARM returns from managedClusters/list: the same converter reads both.
  clusters: `${resourceGraphMarker('clusters')}
resources
| where type =~ 'microsoft.containerservice/managedclusters'
| project id, name, type, location, subscriptionId, resourceGroup, tags, sku, identity, properties
| order by id asc`,
  'policy-states': `${resourceGraphMarker('policy-states')}
${POLICY_STATES_OF_CLUSTERS}
| where complianceState =~ 'NonCompliant'
| project id, resourceId = tostring(properties.resourceId), resourceType, complianceState,
    policyAssignmentId = tostring(properties.policyAssignmentId), policyAssignmentName = tostring(properties.policyAssignmentName),
    policyDefinitionId = tostring(properties.policyDefinitionId), policyDefinitionName = tostring(properties.policyDefinitionName),
    policyDefinitionAction = tostring(properties.policyDefinitionAction), policySetDefinitionId = tostring(properties.policySetDefinitionId),
    timestamp = todatetime(properties.timestamp)
| order by id asc`,
  // Counts per resource and state, for compliance percentages; the resource id is the row's `id`.
  'policy-summary': `${resourceGraphMarker('policy-summary')}
${POLICY_STATES_OF_CLUSTERS}
| summarize stateCount = count() by id = tolower(tostring(properties.resourceId)), complianceState
| order by id asc`,
  // Clusters per subscription, to bound a streaming sweep's shards by clusters (lib/sweep/streamingSweep.ts):
  // one small row per subscription that has clusters; the subscription is the row's `id`, for paging.
  // `summarize count() by subscriptionId` as in Learn "Starter Resource Graph query samples"
  // (https://learn.microsoft.com/azure/governance/resource-graph/samples/starter, "Count resources").
  'cluster-counts': `${resourceGraphMarker('cluster-counts')}
resources
| where type =~ 'microsoft.containerservice/managedclusters'
| summarize clusterCount = count() by id = tolower(subscriptionId)
| order by id asc`,
};

/** Which query a text is, from its marker line. */
export function resourceGraphQueryName(query: string): ResourceGraphQueryName | undefined {
  const first = query.split('\n', 1)[0] ?? '';
  return (Object.keys(RESOURCE_GRAPH_QUERIES) as ResourceGraphQueryName[]).find((name) => first === resourceGraphMarker(name));
}
