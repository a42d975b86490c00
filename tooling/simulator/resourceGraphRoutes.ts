/**
 * Azure Resource Graph (`POST /providers/Microsoft.ResourceGraph/resources`) over the simulated
 * fleet. The simulator cannot run KQL: it recognises the inventory's queries by their marker line
 * (their KQL is checked by the Kusto language service in the tests) and answers what they select,
 * from the same state the ARM and Policy Insights routes serve. Like the service, it pages with
 * `$skipToken` (at most 1,000 rows a page; `$top` and `$skip` as `QueryRequestOptions` in
 * `stable/2024-04-01/resourcegraph.json` define them), silently leaves out subscriptions the
 * identity cannot read, counts each identity's queries against a quota and says so on every answer
 * (`throttling.ts`), and refuses api-versions the service does not have.
 */
import { createHash, randomUUID } from 'node:crypto';

import { z } from 'zod';

import { POLICY_DEFINITIONS_MARKER } from '../../lib/azure/policyDefinitions.js';
import { CLUSTER_RESOURCE_TYPES } from '../../lib/azure/policyInsights.js';
import { type ResourceGraphQueryName, resourceGraphQueryName } from '../../lib/azure/resourceGraphQueries.js';
import { describeZodError } from '../../lib/errors.js';
import type { FaultInjector } from './faults.js';
import type { FleetState } from './fleetState.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';
import { GraphQuota, type GraphQuotaOptions, graphThrottled } from './throttling.js';

const MAX_PAGE = 1000;
/** Rows a page when the request gives no `$top`. */
const DEFAULT_PAGE = 100;

/**
 * The api-versions of `POST /providers/Microsoft.ResourceGraph/resources`: the folders of
 * Azure/azure-rest-api-specs `specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/`
 * whose `resourcegraph.json` defines the operation (2020-09-01-preview's defines only resourceChanges).
 */
export const RESOURCE_GRAPH_API_VERSIONS = [
  '2018-09-01-preview',
  '2019-04-01',
  '2020-04-01-preview',
  '2021-03-01',
  '2021-06-01-preview',
  '2022-10-01',
  '2024-04-01',
] as const;
const CLUSTER_TYPES = new Set(CLUSTER_RESOURCE_TYPES.flatMap((type) => [type.toLowerCase(), `/${type.toLowerCase()}`]));

interface GraphRequest {
  subscriptions: string[];
  query: string;
  /** `QueryRequestOptions.authorizationScopeFilter`; the service's default is `AtScopeAndBelow`. */
  authorizationScopeFilter: string;
  /** Rows of this page at most (`$top`, else the size the `$skipToken` carries, else the default). */
  top: number;
  /** Where the page starts (`$skip`, else the `$skipToken`'s offset, else 0). */
  offset: number;
  /** The result a `$skipToken` continues (later pages page the rows the first page computed). */
  resultId: string | undefined;
}

/**
 * Results being paged, by id, one map per simulator. Like the service, later pages continue the
 * result the first page computed (its `$skipToken` names it) rather than recomputing it; a few are kept.
 */
type PagedResults = Map<string, JsonObject[]>;
const KEPT_RESULTS = 32;

/**
 * The request body as `QueryRequest` / `QueryRequestOptions` define it (stable/2024-04-01/resourcegraph.json):
 * `query` required, `$top` 1-1000, `$skip` at least 0. Fields the service would accept but the
 * simulator does not implement (tenant and management-group scopes, `table` results) are refused
 * with a message saying so.
 */
const queryRequestSchema = z.looseObject({
  query: z.string(),
  subscriptions: z.array(z.string()).max(1000).optional(),
  options: z
    .looseObject({
      $top: z.number().int().min(1).max(MAX_PAGE).optional(),
      $skip: z.number().int().min(0).optional(),
      $skipToken: z.string().optional(),
      resultFormat: z.enum(['table', 'objectArray']).optional(),
      authorizationScopeFilter: z.enum(['AtScopeAndBelow', 'AtScopeAndAbove', 'AtScopeExact', 'AtScopeAboveAndBelow']).optional(),
    })
    .optional(),
});

function parseRequest(body: unknown, pagedResults: PagedResults): GraphRequest | string {
  const parsed = queryRequestSchema.safeParse(body ?? {});
  if (!parsed.success) return describeZodError(parsed.error, { whole: 'body' });
  const { query, subscriptions = [], options = {} } = parsed.data;
  if (subscriptions.length === 0) return 'the simulator answers only subscription-scoped queries (subscriptions: string[])';
  if (options.resultFormat === 'table') return 'the simulator answers resultFormat objectArray only';
  // $top and $skip override what the $skipToken captured ("the next page size and offset").
  let continuation: { resultId: string; offset: number; size: number } | undefined;
  if (options.$skipToken !== undefined) {
    const [resultId = '', offsetText = '', sizeText = ''] = Buffer.from(options.$skipToken, 'base64url').toString('utf8').split(':');
    const offset = Number(offsetText);
    const size = Number(sizeText);
    if (!pagedResults.has(resultId) || !Number.isInteger(offset) || offset < 0 || !Number.isInteger(size) || size < 1) return 'invalid or expired $skipToken';
    continuation = { resultId, offset, size };
  }
  return {
    subscriptions,
    query,
    authorizationScopeFilter: options.authorizationScopeFilter ?? 'AtScopeAndBelow',
    top: options.$top ?? continuation?.size ?? DEFAULT_PAGE,
    offset: options.$skip ?? continuation?.offset ?? 0,
    resultId: continuation?.resultId,
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function policyStateRows(fleet: FleetState, subscriptions: readonly string[]): JsonObject[] {
  return subscriptions.flatMap((subscriptionId) =>
    fleet.policyStatesOf(subscriptionId).filter((state) => CLUSTER_TYPES.has(text(state['resourceType']).toLowerCase())),
  );
}

function rowsOf(fleet: FleetState, name: ResourceGraphQueryName, subscriptions: readonly string[]): JsonObject[] {
  switch (name) {
    case 'subscriptions':
      return subscriptions.filter((id) => fleet.hasSubscription(id)).map((subscriptionId) => ({ id: `/subscriptions/${subscriptionId}`, subscriptionId }));
    case 'clusters':
      return subscriptions
        .flatMap((subscriptionId) => fleet.clustersOf(subscriptionId).map((cluster) => ({ cluster, subscriptionId })))
        .map(({ cluster, subscriptionId }) => ({
          id: cluster['id'],
          name: cluster['name'],
          type: text(cluster['type']).toLowerCase() || 'microsoft.containerservice/managedclusters',
          location: cluster['location'],
          subscriptionId,
          resourceGroup: /\/resourcegroups\/([^/]+)/i.exec(text(cluster['id']))?.[1]?.toLowerCase() ?? '',
          tags: cluster['tags'] ?? null,
          sku: cluster['sku'] ?? null,
          identity: cluster['identity'] ?? null,
          properties: cluster['properties'] ?? null,
        }));
    case 'policy-states':
      return policyStateRows(fleet, subscriptions)
        .filter((state) => text(state['complianceState']).toLowerCase() === 'noncompliant')
        .map((state) => ({
          id: `${text(state['resourceId'])}/providers/microsoft.policyinsights/policystates/${createHash('sha256')
            .update(`${text(state['policyAssignmentId'])}|${text(state['policyDefinitionId'])}|${text(state['policyDefinitionReferenceId'])}`)
            .digest('hex')
            .slice(0, 32)}`,
          resourceId: state['resourceId'],
          resourceType: state['resourceType'],
          complianceState: state['complianceState'],
          policyAssignmentId: state['policyAssignmentId'] ?? '',
          policyAssignmentName: state['policyAssignmentName'] ?? '',
          policyDefinitionId: state['policyDefinitionId'] ?? '',
          policyDefinitionName: state['policyDefinitionName'] ?? '',
          policyDefinitionAction: state['policyDefinitionAction'] ?? '',
          policySetDefinitionId: state['policySetDefinitionId'] ?? '',
          timestamp: state['timestamp'] ?? null,
        }));
    case 'policy-summary': {
      const groups = new Map<string, JsonObject>();
      for (const state of policyStateRows(fleet, subscriptions)) {
        const id = text(state['resourceId']).toLowerCase();
        const complianceState = text(state['complianceState']);
        const key = `${id}|${complianceState}`;
        const group = groups.get(key) ?? { id, complianceState, stateCount: 0 };
        group['stateCount'] = (group['stateCount'] as number) + 1;
        groups.set(key, group);
      }
      return [...groups.values()];
    }
    case 'cluster-counts':
      return subscriptions
        .map((subscriptionId) => ({ id: subscriptionId.toLowerCase(), clusterCount: fleet.clustersOf(subscriptionId).length }))
        .filter((row) => row.clusterCount > 0);
  }
}

/**
 * The ids of the policy-definitions query (`| where tolower(id) in ("...", ...)`, lib/azure/policyDefinitions.ts):
 * KQL double-quoted literals, whose escapes are JSON's. Undefined when the list is not there.
 */
export function policyDefinitionIdsOfQuery(query: string): string[] | undefined {
  const list = /^\| where tolower\(id\) in \((.*)\)$/m.exec(query)?.[1];
  if (list === undefined) return undefined;
  const ids: string[] = [];
  const literal = /\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let match: RegExpExecArray | null;
  while (literal.lastIndex < list.length && (match = literal.exec(list)) !== null) ids.push((JSON.parse(`"${match[1] ?? ''}"`) as string).toLowerCase());
  return literal.lastIndex === list.length || list.trim() === '' ? ids : undefined;
}

/**
 * Rows of the policy-definitions query from the snapshot's `policyDefinitions.json`. Definitions
 * live at a subscription, a management group or the tenant (built-ins): a subscription's are
 * returned when it is readable and in scope; the ones above only when the request asks for scopes
 * above (`AtScopeAndAbove`, `AtScopeAboveAndBelow`), as `authorizationScopeFilter` defines.
 */
function policyDefinitionRows(fleet: FleetState, ids: ReadonlySet<string>, readable: readonly string[], scopeFilter: string): JsonObject[] {
  const bodies = Array.isArray(fleet.policyDefinitions?.['value']) ? (fleet.policyDefinitions['value'] as JsonObject[]) : [];
  const above = scopeFilter === 'AtScopeAndAbove' || scopeFilter === 'AtScopeAboveAndBelow';
  return bodies
    .filter((body) => ids.has(text(body['id']).toLowerCase()))
    .filter((body) => {
      const subscription = /^\/subscriptions\/([^/]+)\//i.exec(text(body['id']))?.[1]?.toLowerCase();
      return subscription === undefined ? above : readable.includes(subscription);
    })
    .map((body) => {
      const properties = typeof body['properties'] === 'object' && body['properties'] !== null ? (body['properties'] as JsonObject) : {};
      return {
        id: body['id'],
        name: body['name'],
        type: text(body['type']).toLowerCase(),
        displayName: text(properties['displayName']),
        policyType: text(properties['policyType']),
      };
    });
}

interface GraphRouteState {
  fleet: FleetState;
  faults: FaultInjector;
  pageSize: number;
  pagedResults: PagedResults;
  quota: GraphQuota;
  apiVersions: readonly string[];
}

function answer(state: GraphRouteState, request: SimulatorRequest): SimulatorResponse {
  const apiVersion = request.url.searchParams.get('api-version') ?? '';
  if (!state.apiVersions.includes(apiVersion)) {
    // What ARM answers for an api-version the provider does not have (404, as the SDKs report it):
    // microsoft/ARI#306, Azure/azure-sdk-for-python#17932.
    return armError(
      404,
      'InvalidResourceType',
      `The resource type 'resources' could not be found in the namespace 'Microsoft.ResourceGraph' for api version '${apiVersion}'. The supported api-versions are '${state.apiVersions.join(',')}'.`,
    );
  }
  const authorization = request.headers['authorization'];
  const { allowed, headers } = state.quota.take(typeof authorization === 'string' ? authorization : '');
  if (!allowed) return graphThrottled(headers);
  return { ...query(state, request), headers };
}

function query({ fleet, faults, pageSize, pagedResults }: GraphRouteState, request: SimulatorRequest): SimulatorResponse {
  const parsed = parseRequest(request.body, pagedResults);
  if (typeof parsed === 'string') return armError(400, 'BadRequest', parsed);
  const definitionIds = parsed.query.startsWith(`${POLICY_DEFINITIONS_MARKER}\n`) ? policyDefinitionIdsOfQuery(parsed.query) : undefined;
  const name = resourceGraphQueryName(parsed.query);
  if (name === undefined && definitionIds === undefined) {
    return armError(400, 'InvalidQuery', 'The simulator answers only the fleetguard inventory queries (marker line missing).');
  }
  let resultId = parsed.resultId;
  let rows = resultId === undefined ? undefined : pagedResults.get(resultId);
  if (resultId === undefined || rows === undefined) {
    const readable = [...new Set(parsed.subscriptions.map((id) => id.toLowerCase()))].filter((id) => !faults.isForbidden(id));
    rows = (
      name === undefined ? policyDefinitionRows(fleet, new Set(definitionIds), readable, parsed.authorizationScopeFilter) : rowsOf(fleet, name, readable)
    ).sort((left, right) => (text(left['id']) < text(right['id']) ? -1 : text(left['id']) > text(right['id']) ? 1 : 0));
    resultId = randomUUID();
  }
  const { offset } = parsed;
  const size = Math.min(parsed.top, pageSize);
  const page = rows.slice(offset, offset + size);
  const next = offset + size;
  if (next < rows.length) {
    pagedResults.set(resultId, rows);
    if (pagedResults.size > KEPT_RESULTS) pagedResults.delete(pagedResults.keys().next().value ?? '');
  } else {
    pagedResults.delete(resultId);
  }
  return {
    status: 200,
    body: {
      totalRecords: rows.length,
      count: page.length,
      resultTruncated: 'false',
      ...(next < rows.length ? { $skipToken: Buffer.from(`${resultId}:${next}:${size}`, 'utf8').toString('base64url') } : {}),
      data: page,
      facets: [],
    },
  };
}

export interface ResourceGraphRouteOptions {
  /** Rows per page at most, below the service's 1,000 (tests use it to exercise paging). */
  pageSize?: number;
  /** The per-identity query quota (default: the service's 15 per 5 s on the system clock). */
  quota?: GraphQuotaOptions;
  /** The api-versions this cloud has (default: all of the specs'); a sovereign cloud may lack the newest. */
  apiVersions?: readonly string[];
}

export function resourceGraphRoutes(fleet: FleetState, faults: FaultInjector, options: ResourceGraphRouteOptions = {}): Route[] {
  const state: GraphRouteState = {
    fleet,
    faults,
    pageSize: Math.min(options.pageSize ?? MAX_PAGE, MAX_PAGE),
    pagedResults: new Map(),
    quota: new GraphQuota(options.quota),
    apiVersions: options.apiVersions ?? RESOURCE_GRAPH_API_VERSIONS,
  };
  return [
    { name: 'graph.resources', method: 'POST', pattern: /^\/providers\/Microsoft\.ResourceGraph\/resources\/?$/i, handle: (request) => answer(state, request) },
  ];
}
