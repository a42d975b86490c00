/**
 * The Azure Resource Graph tables the inventory queries, as documented
 * (https://learn.microsoft.com/azure/governance/resource-graph/reference/supported-tables-resources):
 * every table has the common resource columns; `properties` and the like are dynamic.
 */
const RESOURCE_COLUMNS: Record<string, string> = {
  id: 'string',
  name: 'string',
  type: 'string',
  tenantId: 'string',
  kind: 'string',
  location: 'string',
  resourceGroup: 'string',
  subscriptionId: 'string',
  managedBy: 'string',
  sku: 'dynamic',
  plan: 'dynamic',
  properties: 'dynamic',
  tags: 'dynamic',
  identity: 'dynamic',
  zones: 'dynamic',
  extendedLocation: 'dynamic',
};

export const RESOURCE_GRAPH_TABLES: Record<string, Record<string, string>> = {
  resources: RESOURCE_COLUMNS,
  resourcecontainers: RESOURCE_COLUMNS,
  policyresources: RESOURCE_COLUMNS,
};
