/** Policy Insights `policyStates/latest/queryResults` over the snapshot's policy states. */
import type { FleetState } from './fleetState.js';
import { matchesFilter, parseFilter } from './odataFilter.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';

const APPLY = /^groupby\(\(\s*([\w\s,]+)\)\s*,\s*aggregate\(\$count as (\w+)\)\)$/i;

function queryError(message: string): SimulatorResponse {
  return armError(400, 'InvalidQueryParameterValue', message);
}

function project(state: JsonObject, select: string | null): JsonObject {
  if (select === null) return state;
  const wanted = select.split(',').map((field) => field.trim().toLowerCase());
  return Object.fromEntries(Object.entries(state).filter(([key]) => wanted.includes(key.toLowerCase())));
}

function aggregate(states: readonly JsonObject[], apply: string): JsonObject[] | SimulatorResponse {
  const match = APPLY.exec(apply.trim());
  if (!match) return queryError(`The simulator supports only $apply=groupby((fields), aggregate($count as name)); got ${apply}`);
  const fields = (match[1] ?? '').split(',').map((field) => field.trim()).filter(Boolean);
  const alias = match[2] ?? 'count';
  const groups = new Map<string, JsonObject>();
  for (const state of states) {
    const values = fields.map((field) => state[Object.keys(state).find((key) => key.toLowerCase() === field.toLowerCase()) ?? field]);
    const key = JSON.stringify(values.map((value) => String(value).toLowerCase()));
    const group = groups.get(key) ?? { ...Object.fromEntries(fields.map((field, index) => [field, values[index]])), [alias]: 0 };
    group[alias] = (group[alias] as number) + 1;
    groups.set(key, group);
  }
  return [...groups.values()];
}

function queryResults(fleet: FleetState, request: SimulatorRequest, pageSize: number): SimulatorResponse {
  const subscriptionId = (request.params['subscriptionId'] ?? '').toLowerCase();
  const params = request.url.searchParams;
  // A subscription sees the states of its own resources. `resourceGroup` is filled in from the id
  // when a snapshot omits it, as the service always returns it.
  const all = fleet
    .policyStatesOf(subscriptionId)
    .map((state) => ({ resourceGroup: /\/resourcegroups\/([^/]+)/i.exec(String(state['resourceId']))?.[1], ...state }));
  let states = all;
  const filter = params.get('$filter');
  if (filter !== null) {
    try {
      const node = parseFilter(filter);
      states = states.filter((state) => matchesFilter(node, state));
    } catch (error) {
      return queryError(`Invalid $filter '${filter}': ${(error as Error).message}`);
    }
  }
  const apply = params.get('$apply');
  let rows: JsonObject[];
  if (apply !== null) {
    const aggregated = aggregate(states, apply);
    if (!Array.isArray(aggregated)) return aggregated;
    rows = aggregated;
  } else {
    rows = states.map((state) => project(state, params.get('$select')));
  }
  // `$top` caps the total; pages are the service's own size, chained with `@odata.nextLink`.
  const top = params.get('$top');
  if (top !== null) rows = rows.slice(0, Number(top) || 0);
  const skip = Number(params.get('$skiptoken') ?? '0') || 0;
  const page = rows.slice(skip, skip + pageSize);
  let nextLink: string | null = null;
  if (skip + pageSize < rows.length) {
    const next = new URL(request.url.pathname, request.baseUrl);
    for (const [key, value] of params) if (key !== '$skiptoken') next.searchParams.set(key, value);
    next.searchParams.set('$skiptoken', String(skip + pageSize));
    nextLink = next.toString();
  }
  return {
    status: 200,
    body: {
      '@odata.context': `${request.baseUrl}/subscriptions/${subscriptionId}/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest`,
      '@odata.count': page.length,
      '@odata.nextLink': nextLink,
      value: page,
    },
  };
}

export function policyRoutes(fleet: FleetState, options: { pageSize: number }): Route[] {
  const path = /^\/subscriptions\/(?<subscriptionId>[^/]+)\/providers\/Microsoft\.PolicyInsights\/policyStates\/latest\/queryResults\/?$/i;
  return [
    { name: 'policy.queryResults', method: 'POST', pattern: path, handle: (request) => queryResults(fleet, request, options.pageSize) },
    // The SDK fetches `@odata.nextLink` pages with GET.
    { name: 'policy.queryResults', method: 'GET', pattern: path, handle: (request) => queryResults(fleet, request, options.pageSize) },
  ];
}
