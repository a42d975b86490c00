/**
 * The Log Analytics query API over the snapshot's `logs/{detectionId}.json`. A workspace returns the
 * rows of the clusters that report to it (and rows of clusters outside the fleet, which the sweep
 * must ignore). Queries are recognised by the detection marker the sweep puts in them (a union of
 * detections by its header and legs: see `answer`).
 */
import { createHash } from 'node:crypto';

import { detectionById } from '../../lib/detections/catalog.js';
import { detectionMarker } from '../../lib/detections/query.js';
import { UNION_MARKER } from '../../lib/detections/unionQuery.js';
import type { FaultInjector } from './faults.js';
import type { FleetState } from './fleetState.js';
import type { Route, SimulatorRequest, SimulatorResponse } from './router.js';
import type { JsonObject } from './snapshot.js';

const MARKER = new RegExp(`^${detectionMarker('([a-z0-9-]+)').replace(/[/]/g, '\\/')}`, 'm');

/** The GUID a workspace is addressed by in `/v1/workspaces/{id}`: derived from its resource id. */
export function simulatedCustomerId(workspaceResourceId: string): string {
  const hex = createHash('sha256').update(workspaceResourceId.toLowerCase()).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function logsError(status: number, code: string, message: string): SimulatorResponse {
  return { status, body: { error: { code, message, correlationId: '00000000-0000-0000-0000-000000000000' } } };
}

function knownWorkspaces(fleet: FleetState): Set<string> {
  return fleet.knownWorkspaces();
}

/**
 * After an anomalous cluster's upgrade, its health detections (those whose metadata declares a
 * rollout health signal) spike (rows added to the answer).
 */
function withAnomalies(fleet: FleetState, detectionId: string, tables: JsonObject[]): JsonObject[] {
  const upgrades = fleet.upgrades;
  const detection = detectionById(detectionId);
  if (upgrades === undefined || detection?.healthSignal === undefined || upgrades.anomalousClusters.size === 0) return tables;
  const now = upgrades.now();
  const spiking = [...fleet.workspacesByCluster().keys()].filter((clusterId) => {
    const name = clusterId.split('/').at(-1) ?? '';
    const upgradedAt = upgrades.upgradedAt.get(clusterId);
    return upgrades.anomalousClusters.has(name) && upgradedAt !== undefined && upgradedAt <= now;
  });
  if (spiking.length === 0) return tables;
  const columns = Object.entries(detection.columns).map(([name, type]) => ({ name, type }));
  const rows = spiking.map((clusterId) =>
    columns.map((column) => (column.name === '_ResourceId' ? clusterId : column.name === detection.measure ? 50 : column.type === 'dynamic' ? [] : '')),
  );
  const first = tables[0];
  if (first !== undefined && JSON.stringify(first['columns']) === JSON.stringify(columns))
    return [{ ...first, rows: [...(first['rows'] as unknown[][]), ...rows] }, ...tables.slice(1)];
  return [{ name: 'PrimaryResult', columns, rows }, ...tables.slice(1)];
}

/** A detection's stored answer as this workspace serves it: rows of the clusters reporting to it, spikes added. */
function detectionTables(fleet: FleetState, detectionId: string, workspaceId: string): { tables: JsonObject[]; error: unknown } {
  const stored = fleet.logs.get(detectionId);
  const tables = withAnomalies(fleet, detectionId, Array.isArray(stored?.['tables']) ? (stored['tables'] as JsonObject[]) : []);
  const byCluster = fleet.workspacesByCluster();
  const served = tables.map((table) => {
    const columns = Array.isArray(table['columns']) ? (table['columns'] as JsonObject[]) : [];
    const idIndex = columns.findIndex((column) => column['name'] === '_ResourceId');
    const rows = (Array.isArray(table['rows']) ? (table['rows'] as unknown[][]) : []).filter((row) => {
      const resourceId = row[idIndex];
      const clusterWorkspaces = byCluster.get(typeof resourceId === 'string' ? resourceId.toLowerCase() : '');
      return clusterWorkspaces === undefined || clusterWorkspaces.has(workspaceId.toLowerCase());
    });
    return { ...table, rows };
  });
  return { tables: served, error: stored?.['error'] };
}

const PARTIAL_ERROR = {
  code: 'PartialError',
  message: 'There were some errors when processing your query.',
  details: [{ code: 'EngineError', message: 'Query result set has exceeded the internal data size limit' }],
};

/**
 * The legs of a union query as `lib/detections/unionQuery.ts` writes it: for each detection, a
 * function holding its marked query, and a leg `(fn() | project Detection = "id", _ResourceId, Row =
 * pack_all())`. Anything else (another projection, a leg without its function) is a query the
 * simulator cannot evaluate: undefined, and the caller refuses it rather than guess an answer.
 */
function unionLegs(query: string): string[] | undefined {
  const header = new RegExp(`^${UNION_MARKER} (.+)$`, 'm').exec(query);
  const tail = /\nunion\n([\s\S]*)$/.exec(query);
  if (header === null || tail === null) return undefined;
  const declared = (header[1] ?? '').split(', ');
  const legs = (tail[1] ?? '')
    .split(',\n')
    .map((leg) => /^ {2}\((detection_[a-z0-9_]+)\(\) \| project Detection = "([a-z0-9-]+)", _ResourceId, Row = pack_all\(\)\)$/.exec(leg.trimEnd()));
  const ids: string[] = [];
  for (const leg of legs) {
    const [, fn = '', id = ''] = leg ?? [];
    if (leg === null || !query.includes(`let ${fn} = () {\n${detectionMarker(id)}\n`)) return undefined;
    ids.push(id);
  }
  return JSON.stringify(ids) === JSON.stringify(declared) ? ids : undefined;
}

/**
 * How the simulator "evaluates" KQL: it does not. A detection's query is recognised by its marker
 * and answered with the snapshot's `logs/{id}.json` (the rows the real query returned when the
 * snapshot was taken), filtered to the workspace. A union of detections is answered as Log Analytics
 * answers it: one table `Detection:string, _ResourceId:string, Row:dynamic`, `Row` being each leg's
 * row packed into a bag (`pack_all()`: every column, nulls kept) and sent as JSON text, as the query
 * API sends dynamic values; one `error` for the whole query when any leg's answer was partial.
 */
function answer(fleet: FleetState, faults: FaultInjector, workspaceId: string, request: SimulatorRequest): SimulatorResponse | Promise<SimulatorResponse> {
  const body = request.body as { query?: unknown } | undefined;
  if (typeof body?.query !== 'string') return logsError(400, 'BadArgumentError', 'The request had some invalid properties: query is required.');
  if (!knownWorkspaces(fleet).has(workspaceId.toLowerCase())) {
    return logsError(404, 'WorkspaceNotFoundError', `The workspace could not be found: ${workspaceId}`);
  }
  const fault = faults.workspaceFault(workspaceId);
  if (fault === 'failing') return logsError(500, 'InternalServerError', 'The simulator was told to fail queries to this workspace.');
  // A workspace that never answers: the client's own timeout has to end the query.
  if (fault === 'hanging') return new Promise<SimulatorResponse>(() => undefined);
  if (body.query.startsWith(UNION_MARKER)) {
    const legs = unionLegs(body.query);
    if (legs === undefined)
      return logsError(400, 'SemanticError', 'The simulator answers only fleetguard detection queries and their union as the sweep writes it.');
    const refused = legs.find((id) => faults.refusesDetection(id));
    if (refused !== undefined) return refusedLeg(refused);
    const rows: unknown[][] = [];
    let error: unknown = fault === 'partial' ? PARTIAL_ERROR : undefined;
    for (const id of legs) {
      const served = detectionTables(fleet, id, workspaceId);
      error ??= served.error;
      const table = served.tables[0];
      const columns = Array.isArray(table?.['columns']) ? (table['columns'] as JsonObject[]).map((column) => String(column['name'])) : [];
      const idIndex = columns.indexOf('_ResourceId');
      for (const row of (table?.['rows'] as unknown[][] | undefined) ?? []) {
        const bag = Object.fromEntries(columns.map((name, index) => [name, row[index] ?? null]));
        rows.push([id, row[idIndex] ?? null, JSON.stringify(bag)]);
      }
    }
    const columns = [
      { name: 'Detection', type: 'string' },
      { name: '_ResourceId', type: 'string' },
      { name: 'Row', type: 'dynamic' },
    ];
    return { status: 200, body: { tables: [{ name: 'PrimaryResult', columns, rows }], ...(error === undefined ? {} : { error }) } };
  }
  const detectionId = MARKER.exec(body.query)?.[1];
  if (detectionId === undefined) return logsError(400, 'SemanticError', 'The simulator answers only fleetguard detection queries.');
  if (faults.refusesDetection(detectionId)) return refusedLeg(detectionId);
  const { tables: served, error: storedError } = detectionTables(fleet, detectionId, workspaceId);
  const error = fault === 'partial' ? PARTIAL_ERROR : storedError;
  return {
    status: 200,
    body: { tables: served.length > 0 ? served : [{ name: 'PrimaryResult', columns: [], rows: [] }], ...(error === undefined ? {} : { error }) },
  };
}

/**
 * A query the service refuses because of one detection's leg (the fault plan's `refusedDetections`,
 * standing for, say, a table that workspace lacks): 400 `BadArgumentError` with a `SemanticError`
 * inner error, the shape of the query API's error response (ErrorResponse in
 * specification/operationalinsights/data-plane/Microsoft.OperationalInsights/stable/v1/OperationalInsights.json).
 */
function refusedLeg(detectionId: string): SimulatorResponse {
  return {
    status: 400,
    body: {
      error: {
        code: 'BadArgumentError',
        message: 'The request had some invalid properties',
        correlationId: '00000000-0000-0000-0000-000000000000',
        innererror: { code: 'SemanticError', message: `A semantic error occurred (simulated: the ${detectionId} query cannot run in this workspace).` },
      },
    },
  };
}

/**
 * The query API's answer to a path its router does not know: 404 `PathNotFoundError` "The requested
 * path does not exist" (Azure/azure-sdk-for-net#24274 shows the message with 404;
 * Azure/azure-cli-extensions#2479 and #3914 the code).
 */
function pathNotFound(): SimulatorResponse {
  return logsError(404, 'PathNotFoundError', 'The requested path does not exist');
}

export function logsRoutes(fleet: FleetState, faults: FaultInjector): Route[] {
  return [
    {
      name: 'logs.query',
      method: 'POST',
      // Resource-centric: /v1/{resource id}/query, the id written without its leading slash as in
      // the official example (la-post-resource-centric-example.json, 2022-10-27). A doubled slash
      // (`/v1//subscriptions/...`) matches no route: see `logs.unknownPath`.
      pattern: /^\/v1\/(?<workspace>subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+)\/query\/?$/i,
      handle: (request) => answer(fleet, faults, `/${request.params['workspace'] ?? ''}`, request),
    },
    {
      name: 'logs.query',
      method: 'POST',
      pattern: /^\/v1\/workspaces\/(?<customerId>[0-9a-f-]{36})\/query\/?$/i,
      handle: (request) => {
        const customerId = (request.params['customerId'] ?? '').toLowerCase();
        const workspace = [...knownWorkspaces(fleet)].find((candidate) => simulatedCustomerId(candidate) === customerId);
        return workspace === undefined
          ? logsError(404, 'WorkspaceNotFoundError', `The workspace could not be found: ${customerId}`)
          : answer(fleet, faults, workspace, request);
      },
    },
    // A path with an empty segment (`/v1//subscriptions/...`) is no path of the query API. That the
    // real router answers it as an unknown path rather than folding the slashes is not published:
    // unverified against Azure. (Resources other than workspaces are not simulated at all: their
    // resource-centric paths fall through to the simulator's own 404.)
    { name: 'logs.unknownPath', method: 'POST', pattern: /^\/v1\/(?:.*\/)?\//, handle: pathNotFound },
  ];
}
