/**
 * Policy Insights `policyStates/latest/queryResults` (2024-10-01) against the official examples in
 * test/fixtures/azure-rest/policyinsights/ (sources in SOURCES.json):
 * (a) the simulator, asked each example's request through the real `@azure/arm-policyinsights`
 *     client, answers with the example's shape;
 * (b) the adapter, fed each example's response verbatim by a plain HTTPS server, builds the right
 *     records, and pages by POST with `$skiptoken`.
 */
import { PolicyInsightsClient, type PolicyState } from '@azure/arm-policyinsights';
import type { FullOperationResponse } from '@azure/core-client';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { COMPLIANCE_SUMMARY_APPLY, POLICY_STATE_COLUMNS, PolicyInsightsAdapter } from '../../lib/azure/policyInsights.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'policyinsights';
const FIRST_PAGE = 'PolicyStates_QuerySubscriptionScope.2024-10-01.json';
const NEXT_PAGE = 'PolicyStates_QuerySubscriptionScopeNextLink.2024-10-01.json';
const NEXT_LINK_POST = 'PolicyStates_QueryManagementGroupScopeNextLinkSkipToken.2024-10-01.json';
const AGGREGATE = 'PolicyStates_FilterAndGroupByWithAggregate.2024-10-01.json';
const SELECT_TOP = 'PolicyStates_TimeRangeSortSelectTop.2024-10-01.json';

interface QueryResultsBody {
  '@odata.nextLink'?: string | null;
  '@odata.context': string;
  '@odata.count': number;
  value: JsonObject[];
}

/** The subscription every example queries. */
const SUBSCRIPTION = restExample(SERVICE, FIRST_PAGE).parameters['subscriptionId'] as string;

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

/** A simulator whose only data is the given policy states (an example's own records). */
async function simulatorWith(states: readonly JsonObject[], pageSize = 50): Promise<RunningSimulator> {
  simulator = await startSimulator({
    snapshot: { source: 'official examples', clusters: [], versionsByLocation: new Map(), policyStates: { value: structuredClone(states) }, logs: new Map() },
    extraSubscriptions: [SUBSCRIPTION],
    pageSize,
  });
  return simulator;
}

function sdkClient(endpoint: string, caPem: string): PolicyInsightsClient {
  return new PolicyInsightsClient(new SimulatorCredential(), {
    endpoint,
    tlsOptions: { ca: caPem },
    credentialScopes: ['https://management.azure.com/.default'],
    retryOptions: { maxRetries: 0 },
  });
}

/** One page fetched by the SDK's own operation (a POST), with the raw response it deserialized. */
async function firstPage(
  client: PolicyInsightsClient,
  queryOptions: Record<string, unknown> = {},
): Promise<{ raw: FullOperationResponse; body: QueryResultsBody; page: PolicyState[] }> {
  let raw: FullOperationResponse | undefined;
  const iterator = client.policyStates
    .listQueryResultsForSubscription('latest', SUBSCRIPTION, { queryOptions, onResponse: (response) => (raw = response) })
    .byPage();
  const page = await iterator.next();
  await iterator.return?.(undefined);
  if (raw === undefined || page.done === true) throw new Error('no response');
  return { raw, body: JSON.parse(raw.bodyAsText ?? '') as QueryResultsBody, page: page.value };
}

function adapterAt(example: ExampleServer): PolicyInsightsAdapter {
  return new PolicyInsightsAdapter(new SimulatorCredential(), { kind: 'simulator', armEndpoint: example.url, caPem: example.caPem }, { maxRetries: 0 });
}

const QUERY_RESULTS_PATH = `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults`;

describe('(a) the simulator answers the official examples in their shape', () => {
  it(`${FIRST_PAGE}: POST queryResults, 200, the example's body shape`, async () => {
    const example = exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE);
    const running = await simulatorWith(example.value);
    const { raw, body } = await firstPage(sdkClient(running.url, running.caPem));
    expect(raw.request.method).toBe('POST');
    expect(new URL(raw.request.url).searchParams.get('api-version')).toBe(restExample(SERVICE, FIRST_PAGE).parameters['api-version']);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^application\/json/);
    expect(shapeMismatches(body, example)).toEqual([]);
    expect(body['@odata.count']).toBe(example['@odata.count']);
    expect(body['@odata.nextLink']).toBeNull();
  });

  it(`${NEXT_PAGE}: a page's nextLink is the same URL with api-version and $skiptoken; the POST with that $skiptoken answers the next page`, async () => {
    const first = exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE).value;
    const next = exampleBody<QueryResultsBody>(SERVICE, NEXT_PAGE);
    const running = await simulatorWith([...first, ...next.value], 2);
    const client = sdkClient(running.url, running.caPem);
    const filter = "complianceState eq 'NonCompliant'";
    const one = await firstPage(client, { filter });
    expect(one.body.value).toHaveLength(2);
    const nextLink = new URL(one.body['@odata.nextLink'] ?? '');
    // The NextLink example's request: the queryResults path, api-version and $skiptoken, nothing else.
    expect(nextLink.pathname).toBe(QUERY_RESULTS_PATH);
    expect([...nextLink.searchParams.keys()].sort()).toEqual(
      Object.keys(restExample(SERVICE, NEXT_PAGE).parameters)
        .filter((key) => key.startsWith('$') || key === 'api-version')
        .sort(),
    );
    const skipToken = nextLink.searchParams.get('$skiptoken') ?? '';

    const two = await firstPage(client, { filter, skipToken });
    expect(two.raw.request.method).toBe('POST');
    expect(two.raw.status).toBe(200);
    expect(shapeMismatches(two.body, next)).toEqual([]);
    expect(two.body['@odata.nextLink']).toBeNull();
    expect(two.body.value.map((state) => state['policyAssignmentName'])).toEqual(next.value.map((state) => state['policyAssignmentName']));
  });

  it(`${NEXT_LINK_POST}: POST to the nextLink itself (PolicyStates_NextLink) answers the next page`, async () => {
    const first = exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE).value;
    const example = exampleBody<QueryResultsBody>(SERVICE, NEXT_LINK_POST);
    const running = await simulatorWith([...first, ...example.value], 2);
    const client = sdkClient(running.url, running.caPem);
    const one = await firstPage(client);
    const response = await client.sendRequest(createPipelineRequest({ url: one.body['@odata.nextLink'] ?? '', method: 'POST' }));
    expect(response.status).toBe(200);
    const body = JSON.parse(response.bodyAsText ?? '') as QueryResultsBody;
    // This example (a management group's) leaves `@odata.nextLink` out of the last page, where the
    // subscription's (PolicyStates_QuerySubscriptionScopeNextLink.json) writes it as null, as we do.
    expect(shapeMismatches(body, example)).toEqual(['$.@odata.nextLink: not in the example']);
    expect(body['@odata.nextLink']).toBeNull();
    expect(body.value.map((state) => state['policyAssignmentName'])).toEqual(example.value.map((state) => state['policyAssignmentName']));
  });

  it('GET on queryResults is refused as the service refuses it: 404 ResourceTypeNotSupported (Azure/azure-cli#22173, Azure/azure-sdk-for-js#36686)', async () => {
    const running = await simulatorWith(exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE).value);
    const client = sdkClient(running.url, running.caPem);
    const response = await client.sendRequest(createPipelineRequest({ url: `${running.url}${QUERY_RESULTS_PATH}?api-version=2024-10-01`, method: 'GET' }));
    expect(response.status).toBe(404);
    expect(JSON.parse(response.bodyAsText ?? '')).toEqual({
      error: { code: 'ResourceTypeNotSupported', message: "Unsupported resource type: 'Microsoft.PolicyInsights/policyStates/queryResults'." },
    });
  });

  it('the SDK left to itself (@azure/arm-policyinsights 6.0.0 GETs the nextLink) fails on the second page, as on real Azure', async () => {
    const running = await simulatorWith(exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE).value, 1);
    const states: PolicyState[] = [];
    const iterate = async (): Promise<void> => {
      for await (const state of sdkClient(running.url, running.caPem).policyStates.listQueryResultsForSubscription('latest', SUBSCRIPTION)) states.push(state);
    };
    await expect(iterate()).rejects.toMatchObject({ statusCode: 404, code: 'ResourceTypeNotSupported' });
    expect(states).toHaveLength(1);
  });

  it(`${AGGREGATE}: $filter on a boolean, $apply groupby with $count, $orderby desc and $top, answered in the example's shape`, async () => {
    const example = exampleBody<QueryResultsBody>(SERVICE, AGGREGATE);
    const parameters = restExample(SERVICE, AGGREGATE).parameters;
    // Records behind the example's answer: 10 non-compliant audit states for each of its two
    // (assignment, definition, resource) groups, 3 for a third group, and compliant ones the filter drops.
    const states = [...example.value, { ...example.value[0], policyAssignmentId: `${String(example.value[0]?.['policyAssignmentId'])}-other` }].flatMap(
      (group, index) => {
        const columns = Object.fromEntries(Object.entries(group).filter(([key]) => !key.startsWith('@odata.') && key !== 'NumAuditDenyNonComplianceRecords'));
        const record = { ...columns, isCompliant: false, complianceState: 'NonCompliant', subscriptionId: SUBSCRIPTION };
        return [...Array.from({ length: index < 2 ? 10 : 3 }, () => record), { ...record, isCompliant: true, complianceState: 'Compliant' }];
      },
    );
    const running = await simulatorWith(states);
    const { raw, body, page } = await firstPage(sdkClient(running.url, running.caPem), {
      from: new Date(parameters['$from'] as string),
      filter: parameters['$filter'],
      apply: parameters['$apply'],
      orderBy: parameters['$orderby'],
      top: parameters['$top'],
    });
    expect(raw.status).toBe(200);
    expect(shapeMismatches(body, example)).toEqual([]);
    expect(body.value.map((row) => [row['policyAssignmentId'], row['NumAuditDenyNonComplianceRecords']])).toEqual(
      example.value.map((row) => [row['policyAssignmentId'], row['NumAuditDenyNonComplianceRecords']]),
    );
    // The SDK keeps the alias as an additional property: what the adapter's summary reads (`count`).
    expect((page[0] as Record<string, unknown>)['NumAuditDenyNonComplianceRecords']).toBe(10);
  });

  it(`${SELECT_TOP}: $orderby over several columns (desc by default), $select of mixed-case columns, $top`, async () => {
    const example = exampleBody<QueryResultsBody>(SERVICE, SELECT_TOP);
    const parameters = restExample(SERVICE, SELECT_TOP).parameters;
    // The example's two records with the columns it did not select, and an older one that $top leaves out.
    const records: JsonObject[] = example.value.map((row) => ({
      ...Object.fromEntries(Object.entries(row).filter(([key]) => !key.startsWith('@odata.'))),
      complianceState: 'NonCompliant',
      policyDefinitionAction: 'audit',
    }));
    const older = { ...records[0], timestamp: '2019-10-05T18:00:00Z', resourceId: String(records[0]?.['resourceId']).replace('mysa1', 'mysa0') };
    const running = await simulatorWith([records[1] ?? {}, older, records[0] ?? {}]);
    const { raw, body } = await firstPage(sdkClient(running.url, running.caPem), {
      from: new Date(parameters['$from'] as string),
      to: new Date(parameters['$to'] as string),
      orderBy: parameters['$orderby'],
      select: parameters['$select'],
      top: parameters['$top'],
    });
    expect(raw.status).toBe(200);
    expect(shapeMismatches(body, example)).toEqual([]);
    // Same timestamp and assignment: ResourceGroup asc decides.
    expect(body.value.map((row) => row['resourceGroup'])).toEqual(['myrg1', 'myrg2']);
  });

  it('refuses what policyStates.json does not allow: a $top that is not an integer of at least 0, an unknown $skiptoken', async () => {
    const running = await simulatorWith(exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE).value);
    const client = sdkClient(running.url, running.caPem);
    for (const query of ['$top=-1', '$top=two', '$skiptoken=WpmWfBSvPhkAK6QD']) {
      const response = await client.sendRequest(
        createPipelineRequest({ url: `${running.url}${QUERY_RESULTS_PATH}?api-version=2024-10-01&${query}`, method: 'POST' }),
      );
      expect(response.status, query).toBe(400);
      expect((JSON.parse(response.bodyAsText ?? '') as { error: { code: string } }).error.code, query).toBe('InvalidQueryParameterValue');
    }
  });
});

describe('(b) the adapter fed the official responses verbatim', () => {
  it(`${FIRST_PAGE}: one POST with the cluster filter and columns; records as the example says`, async () => {
    server = await startExampleServer([{ method: 'POST', path: QUERY_RESULTS_PATH, status: 200, body: exampleBody(SERVICE, FIRST_PAGE) }]);
    const records = await adapterAt(server).listNonCompliantClusterStates(SUBSCRIPTION);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.searchParams.get('$select')).toBe(POLICY_STATE_COLUMNS.join(','));
    expect(request?.url.searchParams.get('$filter')).toMatch(
      /^complianceState eq 'NonCompliant' and \(resourceType eq 'Microsoft.ContainerService\/managedClusters'/,
    );
    expect(records).toEqual(
      exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE).value.map((state) => ({
        resourceId: state['resourceId'],
        resourceType: '/Microsoft.Network/publicIPAddresses',
        policyAssignmentId: state['policyAssignmentId'],
        policyAssignmentName: state['policyAssignmentName'],
        policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/9daedab3-fb2d-461e-b861-71790eead4f6',
        policyDefinitionName: '9daedab3-fb2d-461e-b861-71790eead4f6',
        policyDefinitionAction: 'AuditIfNotExists',
        policySetDefinitionId: '/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8',
        complianceState: 'NonCompliant',
        timestamp: '2019-10-09T17:48:05.000Z',
      })),
    );
  });

  it(`${NEXT_PAGE}: the second page is a POST with the nextLink's $skiptoken and the same query options, never a GET`, async () => {
    const nextParameters = restExample(SERVICE, NEXT_PAGE).parameters;
    const skipToken = nextParameters['$skiptoken'] as string;
    server = await startExampleServer((request) => {
      if (request.method !== 'POST' || request.url.pathname !== QUERY_RESULTS_PATH) return undefined;
      if (request.url.searchParams.get('$skiptoken') === skipToken)
        return { method: 'POST', path: QUERY_RESULTS_PATH, status: 200, body: exampleBody(SERVICE, NEXT_PAGE) };
      // The first page as the example answers it, except that more follows: its nextLink is the
      // next-page example's own request (the queryResults URL, api-version, $skiptoken).
      const first = exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE);
      return {
        method: 'POST',
        path: QUERY_RESULTS_PATH,
        status: 200,
        body: {
          ...first,
          '@odata.nextLink': `${server?.url ?? ''}${QUERY_RESULTS_PATH}?api-version=${String(nextParameters['api-version'])}&$skiptoken=${skipToken}`,
        },
      };
    });
    const records = await adapterAt(server).listNonCompliantClusterStatesInResourceGroup(SUBSCRIPTION, 'myrg1');
    expect(server.requests.map((request) => request.method)).toEqual(['POST', 'POST']);
    const [one, two] = server.requests;
    expect(two?.url.searchParams.get('$skiptoken')).toBe(skipToken);
    for (const option of ['$filter', '$select', 'api-version']) expect(two?.url.searchParams.get(option), option).toBe(one?.url.searchParams.get(option));
    expect(one?.url.searchParams.get('$filter')).toContain("and resourceGroup eq 'myrg1'");
    expect(records.map((record) => record.policyAssignmentName)).toEqual([
      ...exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE).value.map((state) => state['policyAssignmentName']),
      ...exampleBody<QueryResultsBody>(SERVICE, NEXT_PAGE).value.map((state) => state['policyAssignmentName']),
    ]);
  });

  it(`${NEXT_LINK_POST}: records of a next page answered by the NextLink operation's example`, async () => {
    const skipToken = restExample(SERVICE, NEXT_LINK_POST).parameters['$skiptoken'] as string;
    server = await startExampleServer((request) => {
      if (request.method !== 'POST') return undefined;
      const body =
        request.url.searchParams.get('$skiptoken') === skipToken
          ? exampleBody(SERVICE, NEXT_LINK_POST)
          : {
              ...exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE),
              '@odata.nextLink': `${server?.url ?? ''}${QUERY_RESULTS_PATH}?api-version=2024-10-01&$skiptoken=${skipToken}`,
            };
      return { method: 'POST', path: QUERY_RESULTS_PATH, status: 200, body };
    });
    const records = await adapterAt(server).listNonCompliantClusterStates(SUBSCRIPTION);
    expect(server.requests.map((request) => request.method)).toEqual(['POST', 'POST']);
    // The example's second record has empty set fields and is Compliant: kept as the service says.
    expect(records.slice(2).map((record) => [record.policyAssignmentName, record.complianceState, record.policySetDefinitionId])).toEqual([
      [
        '1ef5d536aec743a0aa801c1a',
        'NonCompliant',
        '/providers/Microsoft.Management/managementGroups/myManagementGroup/providers/Microsoft.Authorization/policySetDefinitions/335cefd2-ab16-430f-b364-974a170eb1d5',
      ],
      ['186044306c044a1d8c0ff76c', 'Compliant', undefined],
    ]);
  });

  it(`${SELECT_TOP}: rows limited to a few columns still make records (names from the ids, state unknown)`, async () => {
    server = await startExampleServer([{ method: 'POST', path: QUERY_RESULTS_PATH, status: 200, body: exampleBody(SERVICE, SELECT_TOP) }]);
    const records = await adapterAt(server).listNonCompliantClusterStates(SUBSCRIPTION);
    expect(
      records.map((record) => [
        record.resourceId.split('/').at(-1),
        record.policyAssignmentName,
        record.policyDefinitionName,
        record.complianceState,
        record.timestamp,
      ]),
    ).toEqual([
      ['mysa1', '1654a0254ab34920a60f94eb', '655cb504-bcee-4362-bd4c-402e6aa38759', 'Unknown', '2019-10-06T17:58:00.000Z'],
      ['mysa2', '1654a0254ab34920a60f94eb', '655cb504-bcee-4362-bd4c-402e6aa38759', 'Unknown', '2019-10-06T17:58:00.000Z'],
    ]);
  });

  it('a nextLink without a $skiptoken is a clear server error, not a GET', async () => {
    server = await startExampleServer([
      {
        method: 'POST',
        path: QUERY_RESULTS_PATH,
        status: 200,
        body: { ...exampleBody<QueryResultsBody>(SERVICE, FIRST_PAGE), '@odata.nextLink': `https://127.0.0.1:1${QUERY_RESULTS_PATH}?api-version=2024-10-01` },
      },
    ]);
    await expect(adapterAt(server).listNonCompliantClusterStates(SUBSCRIPTION)).rejects.toMatchObject({
      reason: 'serverError',
      message: expect.stringContaining('without a $skiptoken'),
    });
    expect(server.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it(`${AGGREGATE}: the summary sends its $apply; grouped rows without its count alias are skipped, not miscounted`, async () => {
    server = await startExampleServer([{ method: 'POST', path: QUERY_RESULTS_PATH, status: 200, body: exampleBody(SERVICE, AGGREGATE) }]);
    const counts = await adapterAt(server).summarizeClusterCompliance(SUBSCRIPTION);
    expect(server.requests[0]?.url.searchParams.get('$apply')).toBe(COMPLIANCE_SUMMARY_APPLY);
    expect(counts).toEqual([]);
  });
});
