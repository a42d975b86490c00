/**
 * Policy Insights `policyStates/latest/queryResults` over the snapshot's policy states, as API
 * 2024-10-01 answers it: `policyStates.json` and its examples (copied, with their commits, under
 * `test/fixtures/azure-rest/policyinsights/`) are the spec.
 *
 * - POST only. GET is refused with 404 `ResourceTypeNotSupported` "Unsupported resource type:
 *   'Microsoft.PolicyInsights/policyStates/queryResults'." — the answer quoted in Azure/azure-cli#22173
 *   and Azure/azure-sdk-for-js#36686 (`@azure/arm-policyinsights` 6.0.0 following a nextLink). Other
 *   reports of the same GET show `HttpMethodNotSupported` "The http method 'GET' is not supported for
 *   'queryResults'." (Azure/azure-sdk-for-python#17280, Azure/azure-cli#20370) without its status, so
 *   the fully quoted 404 is the one simulated.
 * - Paging: `@odata.nextLink` is the same queryResults URL with `api-version` and an opaque
 *   `$skiptoken`; the next page is a POST carrying that `$skiptoken` (`PolicyStates_QuerySubscriptionScopeNextLink.json`
 *   sends nothing else, so the token alone carries the query; `PolicyStates_NextLink` in policyStates.json
 *   is "Subsequent post calls to the next link"). Pages are the simulator's page size; `$top` caps the total.
 * - `$top` is an integer of at least 0 (`topParameter`); `$filter` is applied to the states before
 *   `$apply` (`PolicyStates_FilterAndGroupByWithAggregate.json` filters on `IsCompliant`, which it does
 *   not group by); `$orderby` is "column [asc|desc]", desc by default (`orderByParameter`); `$select`
 *   limits the columns. Column names match case-insensitively and come back as the records spell them.
 * - A query option outside the subset below is a 400 with the ARM error body, so an adapter sending
 *   something we do not model fails loudly. Its code, `InvalidQueryParameterValue`, is not taken from
 *   a published answer.
 */
import { z } from 'zod';

import type { FleetState } from './fleetState.js';
import { matchesFilter, parseFilter } from './odataFilter.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';

const GROUPBY_APPLY = /^groupby\(\(\s*(?<fields>[\w\s,]+)\)\s*,\s*aggregate\(\s*\$count\s+as\s+(?<alias>\w+)\s*\)\s*\)$/i;
const AGGREGATE_APPLY = /^aggregate\(\s*\$count\s+as\s+(?<alias>\w+)\s*\)$/i;
const ORDER_TERM = /^(?<field>\w+)(?:\s+(?<direction>asc|desc))?$/i;

const querySchema = z.object({
  filter: z.string().optional(),
  select: z.string().optional(),
  apply: z.string().optional(),
  orderby: z.string().optional(),
  top: z.number().int().min(0).optional(),
});
type Query = z.infer<typeof querySchema>;
const skipTokenSchema = z.object({ q: querySchema, o: z.number().int().min(0) });

function queryError(message: string): SimulatorResponse {
  return armError(400, 'InvalidQueryParameterValue', message);
}

/** The opaque `$skiptoken`: the query and where the next page starts (base64url, so it needs no escaping). */
function encodeSkipToken(query: Query, offset: number): string {
  return Buffer.from(JSON.stringify({ q: query, o: offset })).toString('base64url');
}

function decodeSkipToken(token: string): { query: Query; offset: number } | undefined {
  try {
    const parsed = skipTokenSchema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? { query: parsed.data.q, offset: parsed.data.o } : undefined;
  } catch {
    return undefined;
  }
}

function queryOf(params: URLSearchParams): Query | SimulatorResponse {
  const query: Query = {};
  for (const [name, key] of [
    ['$filter', 'filter'],
    ['$select', 'select'],
    ['$apply', 'apply'],
    ['$orderby', 'orderby'],
  ] as const) {
    const value = params.get(name);
    if (value !== null) query[key] = value;
  }
  const top = params.get('$top');
  if (top !== null) {
    // topParameter: "type": "integer", "format": "int32", "minimum": 0.
    if (!/^\d{1,9}$/.test(top)) return queryError(`The value '${top}' of $top is not valid: it must be an integer of at least 0.`);
    query.top = Number(top);
  }
  return query;
}

/** The record's own spelling of a column named in any case (the examples write `PolicyAssignmentId` and get `policyAssignmentId`). */
function columnOf(records: readonly JsonObject[], name: string): string {
  for (const record of records) {
    const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    if (key !== undefined) return key;
  }
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function aggregate(states: readonly JsonObject[], apply: string): JsonObject[] | SimulatorResponse {
  const match = GROUPBY_APPLY.exec(apply.trim()) ?? AGGREGATE_APPLY.exec(apply.trim());
  if (!match?.groups)
    return queryError(`The simulator supports only $apply=groupby((columns), aggregate($count as name)) or aggregate($count as name); got ${apply}`);
  const fields = (match.groups['fields'] ?? '')
    .split(',')
    .map((field) => columnOf(states, field.trim()))
    .filter((field) => field !== '');
  const alias = match.groups['alias'] ?? 'count';
  const groups = new Map<string, JsonObject>();
  for (const state of states) {
    const values = fields.map((field) => state[field]);
    const key = JSON.stringify(values.map((value) => String(value).toLowerCase()));
    const group = groups.get(key) ?? { ...Object.fromEntries(fields.map((field, index) => [field, values[index]])), [alias]: 0 };
    group[alias] = (group[alias] as number) + 1;
    groups.set(key, group);
  }
  return [...groups.values()];
}

function order(rows: JsonObject[], orderby: string): JsonObject[] | SimulatorResponse {
  const terms: Array<{ field: string; sign: number }> = [];
  for (const term of orderby.split(',')) {
    const match = ORDER_TERM.exec(term.trim());
    if (!match?.groups) return queryError(`Invalid $orderby '${orderby}': expected column [asc|desc], ...`);
    // orderByParameter: "an optional \"desc\" (the default) or \"asc\"".
    terms.push({ field: columnOf(rows, match.groups['field'] ?? ''), sign: match.groups['direction']?.toLowerCase() === 'asc' ? 1 : -1 });
  }
  return [...rows].sort((a, b) => {
    for (const { field, sign } of terms) {
      const left = a[field];
      const right = b[field];
      const compared =
        typeof left === 'number' && typeof right === 'number' ? left - right : JSON.stringify(left ?? '').localeCompare(JSON.stringify(right ?? ''));
      if (compared !== 0) return compared * sign;
    }
    return 0;
  });
}

function project(rows: readonly JsonObject[], select: string): JsonObject[] {
  const wanted = new Set(select.split(',').map((field) => field.trim().toLowerCase()));
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => wanted.has(key.toLowerCase()))));
}

/** A snapshot copied from a real answer may carry its own annotations: the simulator writes its own. */
function withoutODataAnnotations(row: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !key.startsWith('@odata.')));
}

/** All rows the query selects, before paging. */
function run(states: readonly JsonObject[], query: Query): JsonObject[] | SimulatorResponse {
  let rows = [...states];
  if (query.filter !== undefined) {
    try {
      const node = parseFilter(query.filter);
      rows = rows.filter((state) => matchesFilter(node, state));
    } catch (error) {
      return queryError(`Invalid $filter '${query.filter}': ${(error as Error).message}`);
    }
  }
  if (query.apply !== undefined) {
    const aggregated = aggregate(rows, query.apply);
    if (!Array.isArray(aggregated)) return aggregated;
    rows = aggregated;
  }
  if (query.orderby !== undefined) {
    const ordered = order(rows, query.orderby);
    if (!Array.isArray(ordered)) return ordered;
    rows = ordered;
  }
  if (query.select !== undefined && query.apply === undefined) rows = project(rows, query.select);
  return query.top === undefined ? rows : rows.slice(0, query.top);
}

function queryResults(fleet: FleetState, request: SimulatorRequest, pageSize: number): SimulatorResponse {
  const subscriptionId = (request.params['subscriptionId'] ?? '').toLowerCase();
  const params = request.url.searchParams;
  const skipToken = params.get('$skiptoken');
  let query: Query;
  let offset = 0;
  if (skipToken !== null) {
    const decoded = decodeSkipToken(skipToken);
    if (decoded === undefined) return queryError(`The $skiptoken '${skipToken}' is not valid.`);
    ({ query, offset } = decoded);
  } else {
    const parsed = queryOf(params);
    if ('status' in parsed) return parsed;
    query = parsed;
  }
  // A subscription sees the states of its own resources. `resourceGroup` is filled in from the id
  // when a snapshot omits it, as the service always returns it.
  const states = fleet
    .policyStatesOf(subscriptionId)
    .map((state) => ({ resourceGroup: /\/resourcegroups\/([^/]+)/i.exec(String(state['resourceId']))?.[1], ...state }));
  const rows = run(states, query);
  if (!Array.isArray(rows)) return rows;
  const page = rows.slice(offset, offset + pageSize);
  const nextLink =
    offset + pageSize < rows.length
      ? `${request.baseUrl}${request.url.pathname}?api-version=${encodeURIComponent(params.get('api-version') ?? '')}&$skiptoken=${encodeSkipToken(query, offset + pageSize)}`
      : null;
  const metadata = `${request.baseUrl}/subscriptions/${subscriptionId}/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest`;
  return {
    status: 200,
    body: {
      // On a last page the subscription examples without `$top` (QuerySubscriptionScope, its
      // NextLink) write `"@odata.nextLink": null`; those with `$top` (TimeRangeSortSelectTop,
      // FilterAndGroupByWithAggregate) leave it out. Both shapes are reproduced as the examples show them.
      ...(nextLink !== null || query.top === undefined ? { '@odata.nextLink': nextLink } : {}),
      '@odata.context': metadata,
      '@odata.count': page.length,
      value: page.map((row) => ({ '@odata.id': null, '@odata.context': `${metadata}/$entity`, ...withoutODataAnnotations(row) })),
    },
  };
}

export function policyRoutes(fleet: FleetState, options: { pageSize: number }): Route[] {
  const path = /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/Microsoft\.PolicyInsights\/policyStates\/latest\/queryResults\/?$/i;
  return [
    { name: 'policy.queryResults', method: 'POST', pattern: path, handle: (request) => queryResults(fleet, request, options.pageSize) },
    {
      name: 'policy.queryResults',
      method: 'GET',
      pattern: path,
      // Azure/azure-cli#22173 (body quoted there, status Not Found); Azure/azure-sdk-for-js#36686.
      handle: () => armError(404, 'ResourceTypeNotSupported', "Unsupported resource type: 'Microsoft.PolicyInsights/policyStates/queryResults'."),
    },
  ];
}
