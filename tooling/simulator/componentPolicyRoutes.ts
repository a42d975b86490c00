/**
 * Policy Insights `componentPolicyStates/latest/queryResults` for one resource, a resource group or a
 * subscription, as the service answers it: `componentPolicyStates.json` (2022-04-01 and 2024-10-01) and its examples (copied, with
 * their commits, under `test/fixtures/azure-rest/policyinsights/`) are the spec. Seeded from the
 * snapshot's optional `componentPolicyStates.json` (our extension of CONTRACTS.md §2).
 *
 * - `POST /{resourceId}/providers/Microsoft.PolicyInsights/componentPolicyStates/{resource}/queryResults`
 *   (`ComponentPolicyStates_ListQueryResultsForResource`), `POST /subscriptions/{subscriptionId}[/resourceGroups/{resourceGroupName}]/providers/...`
 *   (`ComponentPolicyStates_ListQueryResultsForSubscription` / `ForResourceGroup`; example
 *   ComponentPolicyStates_QuerySubscriptionScope.json): the states of the resources under the scope.
 *   `{resource}` is an enum of one value, `latest` (`componentPolicyStatesResource`). Another value is
 *   a 404: ARM routes by resource type, and there is no other child type there. The code is ours.
 * - api-version: the two folders of Azure/azure-rest-api-specs `specification/policyinsights/
 *   resource-manager/Microsoft.PolicyInsights/stable/` whose `componentPolicyStates.json` defines the
 *   operation. Another is refused as ARM refuses an api-version a type lacks (404 InvalidResourceType,
 *   the wording of resourceGraphRoutes.ts: microsoft/ARI#306, Azure/azure-sdk-for-python#17932).
 * - No paging: `ComponentPolicyStatesQueryResults` has `@odata.context`, `@odata.count` and `value`
 *   only. `$filter` is the subset of `odataFilter.ts` (the AKS example writes `AND` in capitals);
 *   `$top` an integer of at least 0 (`top`); `$expand=PolicyEvaluationDetails` adds
 *   `policyEvaluationDetails` ("only included in the response if the request contains
 *   $expand=PolicyEvaluationDetails"). The subscription and resource-group operations have no
 *   `$expand` parameter at all (`componentPolicyStatesExpand` is on the resource operation only), so
 *   any `$expand` there is refused. `$apply`, `$orderby`, `$select` and any other `$expand` are a
 *   400 `InvalidQueryParameterValue` (code not taken from a published answer), so an adapter sending
 *   what we do not model fails loudly.
 * - No cap on rows beyond `$top` is modelled: none is published for this unpaged operation.
 */
import type { FleetState } from './fleetState.js';
import { matchesFilter, parseFilter } from './odataFilter.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';

/** api-versions whose spec folder has componentPolicyStates.json. */
export const COMPONENT_POLICY_STATES_API_VERSIONS = ['2022-04-01', '2024-10-01'] as const;

function queryError(message: string): SimulatorResponse {
  return armError(400, 'InvalidQueryParameterValue', message);
}

/** Where a query asks: one resource (its id without the leading slash, as routed) or everything under a scope path. */
type Scope = { kind: 'resource'; resourceId: string } | { kind: 'scope'; path: string };

function statesOf(fleet: FleetState, scope: Scope): JsonObject[] {
  const value = fleet.componentPolicyStates?.['value'];
  if (!Array.isArray(value)) return [];
  const ofResource = (state: JsonObject) => String(state['resourceId']).toLowerCase();
  if (scope.kind === 'resource') {
    const key = `/${scope.resourceId}`.toLowerCase();
    return (value as JsonObject[]).filter((state) => ofResource(state) === key);
  }
  const prefix = `${scope.path.toLowerCase()}/`;
  return (value as JsonObject[]).filter((state) => ofResource(state).startsWith(prefix));
}

function queryResults(fleet: FleetState, request: SimulatorRequest, scope: Scope): SimulatorResponse {
  const apiVersion = request.url.searchParams.get('api-version') ?? '';
  if (!(COMPONENT_POLICY_STATES_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    return armError(
      404,
      'InvalidResourceType',
      `The resource type 'componentPolicyStates' could not be found in the namespace 'Microsoft.PolicyInsights' for api version '${apiVersion}'. The supported api-versions are '${COMPONENT_POLICY_STATES_API_VERSIONS.join(',')}'.`,
    );
  }
  if (request.params['resource']?.toLowerCase() !== 'latest') {
    return armError(
      404,
      'ResourceNotFound',
      `componentPolicyStates has no '${request.params['resource'] ?? ''}': only 'latest' (componentPolicyStatesResource).`,
    );
  }
  const params = request.url.searchParams;
  for (const name of params.keys()) {
    if (name.startsWith('$') && !['$filter', '$top', '$expand', '$from', '$to'].includes(name)) return queryError(`The simulator does not answer ${name}.`);
  }
  const expand = params.get('$expand');
  // componentPolicyStatesExpand is a parameter of ListQueryResultsForResource only.
  if (expand !== null && scope.kind !== 'resource') return queryError('$expand is not a parameter of component policy state queries at this scope.');
  if (expand !== null && expand.toLowerCase() !== 'policyevaluationdetails') return queryError(`The value '${expand}' of $expand is not valid.`);
  let rows = statesOf(fleet, scope);
  const filter = params.get('$filter');
  if (filter !== null) {
    try {
      const node = parseFilter(filter);
      rows = rows.filter((row) => matchesFilter(node, row));
    } catch (error) {
      return queryError(`Invalid $filter '${filter}': ${(error as Error).message}`);
    }
  }
  const top = params.get('$top');
  if (top !== null) {
    if (!/^\d{1,9}$/.test(top)) return queryError(`The value '${top}' of $top is not valid: it must be an integer of at least 0.`);
    rows = rows.slice(0, Number(top));
  }
  const scopePath = scope.kind === 'resource' ? `/${scope.resourceId}` : scope.path;
  const metadata = `${request.baseUrl}${scopePath}/providers/Microsoft.PolicyInsights/componentPolicyStates/$metadata#latest`;
  return {
    status: 200,
    body: {
      '@odata.context': metadata,
      '@odata.count': rows.length,
      value: rows.map((row) => {
        const record = Object.fromEntries(
          Object.entries(row).filter(([key]) => !key.startsWith('@odata.') && (expand !== null || key !== 'policyEvaluationDetails')),
        );
        return { '@odata.id': null, '@odata.context': `${metadata}/$entity`, ...record };
      }),
    },
  };
}

export function componentPolicyRoutes(fleet: FleetState): Route[] {
  return [
    {
      name: 'policy.componentQueryResults',
      method: 'POST',
      // `resourceId` without its leading slash, as the SDK sends it (`/{resourceId}/providers/...`,
      // x-ms-skip-url-encoding) and the examples write it; `//subscriptions/...` does not match.
      pattern:
        /^\/(?<resourceId>subscriptions\/(?<subscriptionId>[^/]+)\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+(?:\/[^/]+\/[^/]+)*?)\/providers\/Microsoft\.PolicyInsights\/componentPolicyStates\/(?<resource>[^/]+)\/queryResults\/?$/i,
      handle: (request) => queryResults(fleet, request, { kind: 'resource', resourceId: request.params['resourceId'] ?? '' }),
    },
    {
      name: 'policy.scopeComponentQueryResults',
      method: 'POST',
      pattern:
        /^(?<scope>\/subscriptions\/(?<subscriptionId>[^/]+)(?:\/resourceGroups\/[^/]+)?)\/providers\/Microsoft\.PolicyInsights\/componentPolicyStates\/(?<resource>[^/]+)\/queryResults\/?$/i,
      handle: (request) => queryResults(fleet, request, { kind: 'scope', path: request.params['scope'] ?? '' }),
    },
  ];
}
