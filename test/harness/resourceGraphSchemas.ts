/**
 * The Azure Resource Graph tables the inventory queries, as documented
 * (https://learn.microsoft.com/azure/governance/resource-graph/reference/supported-tables-resources):
 * every table has the common resource columns; `properties` and the like are dynamic.
 */
import { z } from 'zod';

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

/**
 * The `resources` request and response as the spec defines them (Azure/azure-rest-api-specs
 * `specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2024-04-01/resourcegraph.json`,
 * definitions `QueryRequest`, `QueryRequestOptions`, `FacetRequest`, `QueryResponse`; the same in
 * 2022-10-01). Strict: a field the spec does not define is an error, so a request the adapter sends
 * or an answer the simulator gives cannot drift from the service's contract unnoticed.
 */
const facetRequest = z.strictObject({
  expression: z.string(),
  options: z
    .strictObject({
      sortBy: z.string().optional(),
      sortOrder: z.enum(['asc', 'desc']).optional(),
      filter: z.string().optional(),
      $top: z.number().int().min(1).max(1000).optional(),
    })
    .optional(),
});

export const queryRequestOptions = z.strictObject({
  $skipToken: z.string().optional(),
  $top: z.number().int().min(1).max(1000).optional(),
  $skip: z.number().int().min(0).optional(),
  resultFormat: z.enum(['table', 'objectArray']).optional(),
  allowPartialScopes: z.boolean().optional(),
  authorizationScopeFilter: z.enum(['AtScopeAndBelow', 'AtScopeAndAbove', 'AtScopeExact', 'AtScopeAboveAndBelow']).optional(),
});

export const queryRequest = z.strictObject({
  subscriptions: z.array(z.string()).optional(),
  managementGroups: z.array(z.string()).optional(),
  query: z.string(),
  options: queryRequestOptions.optional(),
  facets: z.array(facetRequest).optional(),
});

export const queryResponse = z.strictObject({
  totalRecords: z.number().int(),
  count: z.number().int(),
  resultTruncated: z.enum(['true', 'false']),
  $skipToken: z.string().optional(),
  // "Query output in JObject array or Table format" (objectArray: an array of objects).
  data: z.union([z.array(z.record(z.string(), z.unknown())), z.strictObject({ columns: z.array(z.unknown()), rows: z.array(z.unknown()) })]),
  facets: z.array(z.unknown()).optional(),
});

/** The problems of a value against a schema, one line each naming the path ([] when it conforms). */
export function schemaProblems(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '$'}: ${issue.message}`);
}
