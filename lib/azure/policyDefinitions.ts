/**
 * Display names of policy definitions and initiatives through Azure Resource Graph: one
 * `policyresources` query per sweep for the ids the policy states name, instead of a
 * `GET .../policyDefinitions/{name}` per definition (Policy definitions API). Both need the same
 * reads (`Microsoft.Authorization/policyDefinitions/read`, `.../policySetDefinitions/read`:
 * Resource Graph returns only the rows the caller may read); Resource Graph adds no SDK package
 * and runs under the quota pacing the inventory already has (resourceGraphQuota.ts).
 *
 * Sources: Learn "Azure Resource Graph sample queries for Azure Policy" (policyresources holds
 * microsoft.authorization/policydefinitions and policysetdefinitions rows with `properties.displayName`);
 * the `authorizationScopeFilter` option of `QueryRequestOptions` (Azure/azure-rest-api-specs
 * `specification/resourcegraph/.../stable/2024-04-01/resourcegraph.json`): `AtScopeAndAbove` also
 * returns what sits above the subscriptions (management-group and built-in definitions). Whether a
 * tenant returns built-ins this way is not confirmed against a real tenant: an id without a row
 * keeps its GUID, never an error.
 */
import { kqlString } from '../kqlString.js';
import type { PolicyDefinitionName } from '../model/policyState.js';
import { resourceGraphMarker } from './resourceGraphQueries.js';

export const POLICY_DEFINITION_TYPE = 'microsoft.authorization/policydefinitions';
export const POLICY_SET_DEFINITION_TYPE = 'microsoft.authorization/policysetdefinitions';

/** The marker line the simulator recognises the query by (it cannot run KQL). */
export const POLICY_DEFINITIONS_MARKER = resourceGraphMarker('policy-definitions');

/**
 * Ids per query: a KQL `in` list has no documented limit, but Resource Graph refuses query texts
 * over a size limit; 500 ids of at most ~200 characters stay far below it.
 */
export const POLICY_DEFINITION_IDS_PER_QUERY = 500;

/** The query for the display names of these definition and initiative ids (compared lower-cased). */
export function policyDefinitionsQuery(ids: readonly string[]): string {
  const list = [...new Set(ids.map((id) => id.toLowerCase()))].sort().map(kqlString).join(', ');
  return `${POLICY_DEFINITIONS_MARKER}
policyresources
| where type =~ '${POLICY_DEFINITION_TYPE}' or type =~ '${POLICY_SET_DEFINITION_TYPE}'
| where tolower(id) in (${list})
| project id, name, type, displayName = tostring(properties.displayName), policyType = tostring(properties.policyType)
| order by id asc`;
}

/** The row of the query as a name; undefined for a row without id or display name. */
export function toPolicyDefinitionName(row: Record<string, unknown>): PolicyDefinitionName | undefined {
  const { id, type, displayName } = row;
  if (typeof id !== 'string' || id === '' || typeof displayName !== 'string' || displayName.trim() === '') return undefined;
  const kind = typeof type === 'string' && type.toLowerCase() === POLICY_SET_DEFINITION_TYPE ? 'initiative' : 'definition';
  return { id, kind, displayName: displayName.trim() };
}
