/**
 * Azure Resource Graph (`POST /providers/Microsoft.ResourceGraph/resources`) over the simulated
 * fleet. The simulator cannot run KQL: it recognises the inventory's queries by their marker line
 * (their KQL is checked by the Kusto language service in the tests) and answers what they select,
 * from the same state the ARM and Policy Insights routes serve. Like the service, it pages with
 * `$skipToken` (at most 1,000 rows a page) and silently leaves out subscriptions the identity
 * cannot read.
 */
import { createHash, randomUUID } from 'node:crypto';

import { CLUSTER_RESOURCE_TYPES } from '../azure/policyInsights.js';
import { type ResourceGraphQueryName, resourceGraphQueryName } from '../azure/resourceGraphQueries.js';
import type { FaultInjector } from './faults.js';
import type { FleetState } from './fleetState.js';
import { armError, type Route, type SimulatorRequest, type SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';

const MAX_PAGE = 1000;
const CLUSTER_TYPES = new Set(CLUSTER_RESOURCE_TYPES.flatMap((type) => [type.toLowerCase(), `/${type.toLowerCase()}`]));

interface GraphRequest {
  subscriptions: string[];
  query: string;
  top: number;
  /** Continuing a paged result: the rows the first page saw, and where to go on. */
  continuation: { resultId: string; offset: number } | undefined;
}

/**
 * Results being paged, by id, one map per simulator. Like the service, later pages continue the
 * result the first page computed (its `$skipToken` names it) rather than recomputing it; a few are kept.
 */
type PagedResults = Map<string, JsonObject[]>;
const KEPT_RESULTS = 32;

function parseRequest(body: unknown, pagedResults: PagedResults): GraphRequest | string {
  const request = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof request['query'] !== 'string') return 'query is required';
  const subscriptions = request['subscriptions'];
  if (!Array.isArray(subscriptions) || subscriptions.length === 0 || !subscriptions.every((id) => typeof id === 'string')) {
    return 'the simulator answers only subscription-scoped queries (subscriptions: string[])';
  }
  if (subscriptions.length > 1000) return 'at most 1000 subscriptions per request';
  const options = typeof request['options'] === 'object' && request['options'] !== null ? (request['options'] as Record<string, unknown>) : {};
  if (options['resultFormat'] !== undefined && options['resultFormat'] !== 'objectArray') return 'the simulator answers resultFormat objectArray only';
  const top = typeof options['$top'] === 'number' ? options['$top'] : 100;
  if (top < 1 || top > MAX_PAGE) return `$top must be between 1 and ${MAX_PAGE}`;
  const token = options['$skipToken'];
  let continuation: GraphRequest['continuation'];
  if (token !== undefined) {
    const [resultId = '', offsetText = ''] = typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8').split(':') : [];
    const offset = Number(offsetText);
    if (!pagedResults.has(resultId) || !Number.isInteger(offset) || offset < 0) return 'invalid or expired $skipToken';
    continuation = { resultId, offset };
  }
  return { subscriptions, query: request['query'], top, continuation };
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
          id: `${text(state['resourceId'])}/providers/microsoft.policyinsights/policystates/${createHash('sha256').update(`${text(state['policyAssignmentId'])}|${text(state['policyDefinitionId'])}|${text(state['policyDefinitionReferenceId'])}`).digest('hex').slice(0, 32)}`,
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
  }
}

function answer(fleet: FleetState, faults: FaultInjector, pageSize: number, pagedResults: PagedResults, request: SimulatorRequest): SimulatorResponse {
  const parsed = parseRequest(request.body, pagedResults);
  if (typeof parsed === 'string') return armError(400, 'BadRequest', parsed);
  const name = resourceGraphQueryName(parsed.query);
  if (name === undefined) return armError(400, 'InvalidQuery', 'The simulator answers only the fleetguard inventory queries (marker line missing).');
  let resultId = parsed.continuation?.resultId;
  let rows = resultId === undefined ? undefined : pagedResults.get(resultId);
  if (resultId === undefined || rows === undefined) {
    const readable = [...new Set(parsed.subscriptions.map((id) => id.toLowerCase()))].filter((id) => !faults.isForbidden(id));
    rows = rowsOf(fleet, name, readable).sort((left, right) => (text(left['id']) < text(right['id']) ? -1 : text(left['id']) > text(right['id']) ? 1 : 0));
    resultId = randomUUID();
  }
  const offset = parsed.continuation?.offset ?? 0;
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
      ...(next < rows.length ? { $skipToken: Buffer.from(`${resultId}:${next}`, 'utf8').toString('base64url') } : {}),
      data: page,
      facets: [],
    },
  };
}

/** `pageSize`: rows per page at most, below the service's 1,000 (tests use it to exercise paging). */
export function resourceGraphRoutes(fleet: FleetState, faults: FaultInjector, options: { pageSize?: number } = {}): Route[] {
  const pageSize = Math.min(options.pageSize ?? MAX_PAGE, MAX_PAGE);
  const pagedResults: PagedResults = new Map();
  return [{ name: 'graph.resources', method: 'POST', pattern: /^\/providers\/Microsoft\.ResourceGraph\/resources\/?$/i, handle: (request) => answer(fleet, faults, pageSize, pagedResults, request) }];
}
