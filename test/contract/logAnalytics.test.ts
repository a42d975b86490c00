/**
 * Log Analytics resource-centric queries against the official example
 * (test/fixtures/azure-rest/loganalytics/, sources in SOURCES.json):
 * (a) the simulator, asked the example's request (POST /v1/{resource id}/query with `query` and
 *     `timespan`) through the real `@azure/monitor-query-logs` client, answers in the example's shape;
 * (b) the adapter, fed the example's response verbatim by a plain HTTPS server, sends the example's
 *     URL (no doubled slash) and returns the example's rows.
 */
import type { PipelineResponse } from '@azure/core-rest-pipeline';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { LogAnalyticsAdapter } from '../../lib/azure/logAnalytics.js';
import { detectionById } from '../../lib/detections/catalog.js';
import { prepareDetectionQuery } from '../../lib/detections/query.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'loganalytics';
const EXAMPLE = 'la-post-resource-centric-example.2022-10-27.json';
/** A workspace of the sample fleet that web-dev reports to. */
const OPS = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/ops-logs';

interface Table {
  name: string;
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
}
interface QueryResults {
  tables: Table[];
  error?: { code: string; message: string };
}

const example = restExample(SERVICE, EXAMPLE) as unknown as { parameters: { resourceId: string; body: { query: string; timespan: string } } };

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

/** The real client, with a policy that keeps each raw response for the test to read. */
function capturingClient(endpoint: string, caPem: string): { client: LogsQueryClient; responses: PipelineResponse[] } {
  const client = new LogsQueryClient(new SimulatorCredential(), { endpoint, tlsOptions: { ca: caPem }, retryOptions: { maxRetries: 0 } });
  const responses: PipelineResponse[] = [];
  client.pipeline.addPolicy({
    name: 'captureResponses',
    sendRequest: async (request, next) => {
      const response = await next(request);
      responses.push(response);
      return response;
    },
  });
  return { client, responses };
}

function failedApiAuthQuery(): string {
  return prepareDetectionQuery(detectionById('failed-api-auth')!, { lookbackMinutes: 1440, threshold: 1 });
}

/** Rows apart (their cells are typed per column: the example's are strings), the shape of each table. */
function withoutRows(body: QueryResults): QueryResults {
  return { ...body, tables: body.tables.map((table) => ({ ...table, rows: [] })) };
}

describe('(a) the simulator answers the official resource-centric example in its shape', () => {
  it(`${EXAMPLE}: POST /v1/{resource id without its leading slash}/query with query and timespan; 200 with tables of name, columns and rows`, async () => {
    simulator = await startSimulator({ snapshot: loadSnapshot(sampleFleetDirectory()) });
    const { client, responses } = capturingClient(`${simulator.url}/v1`, simulator.caPem);
    // The example's id is a storage account; the simulator serves workspaces only, so the same request is made of one.
    await client.queryResource(OPS.slice(1), failedApiAuthQuery(), { duration: example.parameters.body.timespan });
    const [response] = responses;
    expect(response?.request.method).toBe('POST');
    expect(new URL(response?.request.url ?? '').pathname).toBe(`/v1${OPS}/query`);
    expect(JSON.parse(typeof response?.request.body === 'string' ? response.request.body : '')).toEqual({
      query: failedApiAuthQuery(),
      timespan: example.parameters.body.timespan,
    });
    expect(response?.status).toBe(200);
    const body = JSON.parse(response?.bodyAsText ?? '') as QueryResults;
    expect(shapeMismatches(withoutRows(body), exampleBody(SERVICE, EXAMPLE))).toEqual([]);
    const [table] = body.tables;
    expect(table?.rows.length).toBeGreaterThan(0);
    for (const row of table?.rows ?? []) expect(row).toHaveLength(table?.columns.length ?? -1);
  });

  it('a partial failure answers tables and error side by side (OperationalInsights.json 2022-10-27, definitions/queryResults: tables, error)', async () => {
    simulator = await startSimulator({ snapshot: loadSnapshot(sampleFleetDirectory()), faults: { partialWorkspaces: [OPS] } });
    const { client, responses } = capturingClient(`${simulator.url}/v1`, simulator.caPem);
    await client.queryResource(OPS.slice(1), failedApiAuthQuery(), { duration: example.parameters.body.timespan });
    const body = JSON.parse(responses[0]?.bodyAsText ?? '') as QueryResults;
    expect(responses[0]?.status).toBe(200);
    const { error, ...rest } = body;
    expect(shapeMismatches(withoutRows(rest), exampleBody(SERVICE, EXAMPLE))).toEqual([]);
    expect(error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('a doubled slash (/v1//subscriptions/...) is no path of the API: 404 PathNotFoundError as for any unknown path (azure-sdk-for-net#24274; the real answer to a doubled slash itself is unverified)', async () => {
    simulator = await startSimulator({ snapshot: loadSnapshot(sampleFleetDirectory()) });
    const { client, responses } = capturingClient(`${simulator.url}/v1`, simulator.caPem);
    // An ARM id as ARM writes it, given to the SDK as it is: what the adapter used to send.
    await expect(client.queryResource(OPS, failedApiAuthQuery(), { duration: 'PT1H' })).rejects.toMatchObject({ statusCode: 404 });
    expect(new URL(responses[0]?.request.url ?? '').pathname).toBe(`/v1/${OPS}/query`);
    expect(JSON.parse(responses[0]?.bodyAsText ?? '')).toMatchObject({ error: { code: 'PathNotFoundError', message: 'The requested path does not exist' } });
  });
});

describe('(b) the adapter fed the official response verbatim', () => {
  it(`${EXAMPLE}: an ARM resource id (with its leading slash) is sent as the example's path, and the example's rows come back`, async () => {
    const path = `/v1/${example.parameters.resourceId}/query`;
    server = await startExampleServer([{ method: 'POST', path, status: 200, body: exampleBody(SERVICE, EXAMPLE) }]);
    const adapter = new LogAnalyticsAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      `${server.url}/v1`,
      { maxRetries: 0 },
      10,
    );
    const outcome = await adapter.query(`/${example.parameters.resourceId}`, example.parameters.body.query, 24 * 60);
    expect(server.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([`POST ${path}`]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ query: example.parameters.body.query });
    expect(outcome).toEqual({ rows: [{ OperationName: 'operation1', count_: '10' }], partialError: undefined });
  });

  it('a partial failure (tables and error side by side, OperationalInsights.json 2022-10-27 definitions/queryResults) keeps the rows and reports the error', async () => {
    const path = `/v1/${example.parameters.resourceId}/query`;
    const partial = {
      ...exampleBody<QueryResults>(SERVICE, EXAMPLE),
      error: { code: 'PartialError', message: 'There were some errors when processing your query.' },
    };
    server = await startExampleServer([{ method: 'POST', path, status: 200, body: partial }]);
    const adapter = new LogAnalyticsAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      `${server.url}/v1`,
      { maxRetries: 0 },
      10,
    );
    const outcome = await adapter.query(`/${example.parameters.resourceId}`, example.parameters.body.query, 24 * 60);
    expect(outcome).toEqual({
      rows: [{ OperationName: 'operation1', count_: '10' }],
      partialError: 'PartialError: There were some errors when processing your query.',
    });
  });
});
