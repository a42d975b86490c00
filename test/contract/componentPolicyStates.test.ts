/**
 * Policy Insights `componentPolicyStates/latest/queryResults` for a resource and for a subscription
 * (ComponentPolicyStates_ListQueryResultsForSubscription, the sweep's per-subscription read) against the official
 * examples in test/fixtures/azure-rest/policyinsights/ (sources in SOURCES.json). The examples are
 * 2024-10-01's: that is the api-version `@azure/arm-policyinsights` 6.0.0 sends for this operation
 * (its `apiVersion1` constant), though the operation dates from 2022-04-01.
 * (a) the simulator, asked each example's request through the real SDK client, answers in its shape
 *     and refuses what the spec does not allow;
 * (b) the adapter, fed the example's response verbatim, builds the right records and findings.
 */
import { type ComponentPolicyStatesQueryResults, PolicyInsightsClient } from '@azure/arm-policyinsights';
import type { FullOperationResponse } from '@azure/core-client';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { CLUSTER_COMPONENTS_FILTER, NON_COMPLIANT_COMPONENTS_FILTER, PolicyInsightsAdapter } from '../../lib/azure/policyInsights.js';
import { attachPolicyComponents } from '../../lib/policy/policyComponents.js';
import { evaluatePolicyStates } from '../../lib/policy/policyRules.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { compliantCluster } from '../harness/clusters.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'policyinsights';
const RESOURCE_SCOPE = 'ComponentPolicyStates_QueryResourceScope.2024-10-01.json';
const AKS_PODS = 'ComponentPolicyStates_QueryResourceScopeExpandPolicyEvaluationDetails.2024-10-01.json';
const SUBSCRIPTION_SCOPE = 'ComponentPolicyStates_QuerySubscriptionScope.2024-10-01.json';

interface Body {
  '@odata.context': string;
  '@odata.count': number;
  value: JsonObject[];
}

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

async function simulatorWith(states: readonly JsonObject[]): Promise<RunningSimulator> {
  simulator = await startSimulator({
    snapshot: {
      source: 'official examples',
      clusters: [],
      versionsByLocation: new Map(),
      policyStates: undefined,
      componentPolicyStates: { value: structuredClone(states) },
      logs: new Map(),
    },
  });
  return simulator;
}

function sdkClient(running: RunningSimulator): PolicyInsightsClient {
  return new PolicyInsightsClient(new SimulatorCredential(), {
    endpoint: running.url,
    tlsOptions: { ca: running.caPem },
    credentialScopes: ['https://management.azure.com/.default'],
    retryOptions: { maxRetries: 0 },
  });
}

async function query(
  client: PolicyInsightsClient,
  resourceId: string,
  options: { filter?: string; expand?: string } = {},
): Promise<{ raw: FullOperationResponse; body: Body; result: ComponentPolicyStatesQueryResults }> {
  let raw: FullOperationResponse | undefined;
  const result = await client.componentPolicyStates.listQueryResultsForResource(resourceId, 'latest', {
    ...options,
    onResponse: (response) => (raw = response),
  });
  if (raw === undefined) throw new Error('no response');
  return { raw, body: JSON.parse(raw.bodyAsText ?? '') as Body, result };
}

/** The POLICY-NONCOMPLIANT finding one non-compliant state of the resource's definition makes. */
function policyFindings(clusterId: string, definitionId: string) {
  const cluster = compliantCluster({ id: clusterId, name: clusterId.split('/').at(-1) ?? '' });
  return evaluatePolicyStates(
    [cluster],
    [
      {
        resourceId: clusterId,
        resourceType: 'Microsoft.ContainerService/managedClusters',
        policyAssignmentId: 'a',
        policyAssignmentName: 'a',
        policyDefinitionId: definitionId,
        policyDefinitionName: definitionId.split('/').at(-1) ?? '',
        policyDefinitionAction: 'audit',
        policySetDefinitionId: undefined,
        complianceState: 'NonCompliant',
        timestamp: undefined,
      },
    ],
  );
}

const withoutAnnotations = (row: JsonObject): JsonObject => Object.fromEntries(Object.entries(row).filter(([key]) => !key.startsWith('@odata.')));

describe('(a) the simulator answers the official examples in their shape', () => {
  it(`${RESOURCE_SCOPE}: POST for a resource, the api-version the SDK sends, 200 in the example's shape`, async () => {
    const example = exampleBody<Body>(SERVICE, RESOURCE_SCOPE);
    const parameters = restExample(SERVICE, RESOURCE_SCOPE).parameters;
    const running = await simulatorWith(example.value.map(withoutAnnotations));
    const { raw, body } = await query(sdkClient(running), parameters['resourceId'] as string);
    expect(raw.request.method).toBe('POST');
    expect(new URL(raw.request.url).pathname).toBe(
      `/${String(parameters['resourceId'])}/providers/Microsoft.PolicyInsights/componentPolicyStates/latest/queryResults`,
    );
    expect(new URL(raw.request.url).searchParams.get('api-version')).toBe(parameters['api-version']);
    expect(raw.status).toBe(200);
    expect(shapeMismatches(body, example)).toEqual([]);
    expect(body['@odata.count']).toBe(example['@odata.count']);
    expect(body.value.map((row) => row['componentId'])).toEqual(example.value.map((row) => row['componentId']));
  });

  it(`${AKS_PODS}: a cluster's pods, the example's $filter (AND in capitals) and $expand=PolicyEvaluationDetails`, async () => {
    const example = exampleBody<Body>(SERVICE, AKS_PODS);
    const parameters = restExample(SERVICE, AKS_PODS).parameters;
    const records = example.value.map(withoutAnnotations);
    // Another pod the example's filter leaves out.
    const other = { ...records[0], componentId: 'default/other-pod', componentName: 'other-pod' };
    const running = await simulatorWith([...records, other]);
    const client = sdkClient(running);
    const { raw, body } = await query(client, parameters['resourceId'] as string, {
      filter: parameters['$filter'] as string,
      expand: parameters['$expand'] as string,
    });
    expect(raw.status).toBe(200);
    expect(shapeMismatches(body, example)).toEqual([]);
    expect(body.value.map((row) => [row['componentId'], row['policyAssignmentId'], row['policyEvaluationDetails']])).toEqual(
      example.value.map((row) => [row['componentId'], row['policyAssignmentId'], row['policyEvaluationDetails']]),
    );
    // Without $expand there are no evaluation details ("only included ... if the request contains $expand").
    const plain = await query(client, parameters['resourceId'] as string);
    expect(plain.body.value).toHaveLength(3);
    expect(plain.body.value.some((row) => 'policyEvaluationDetails' in row)).toBe(false);
    expect(shapeMismatches(plain.body, example, { optional: ['$.value[].policyEvaluationDetails'] })).toEqual([]);
  });

  it('refuses what componentPolicyStates.json does not allow: another api-version, another resource than latest, a filter or option outside the subset', async () => {
    const parameters = restExample(SERVICE, AKS_PODS).parameters;
    const running = await simulatorWith(exampleBody<Body>(SERVICE, AKS_PODS).value.map(withoutAnnotations));
    const client = sdkClient(running);
    const base = `${running.url}/${String(parameters['resourceId'])}/providers/Microsoft.PolicyInsights/componentPolicyStates`;
    const send = async (url: string) => {
      const response = await client.sendRequest(createPipelineRequest({ url, method: 'POST' }));
      return { status: response.status, code: (JSON.parse(response.bodyAsText ?? '{}') as { error?: { code: string } }).error?.code };
    };
    // The operation exists in 2022-04-01 and 2024-10-01 only; 2019-10-01 has policyStates but no component states.
    expect(await send(`${base}/latest/queryResults?api-version=2022-04-01`)).toEqual({ status: 200, code: undefined });
    expect(await send(`${base}/latest/queryResults?api-version=2019-10-01`)).toEqual({ status: 404, code: 'InvalidResourceType' });
    expect(await send(`${base}/latest/queryResults`)).toEqual({ status: 400, code: 'MissingApiVersionParameter' });
    expect((await send(`${base}/default/queryResults?api-version=2024-10-01`)).status).toBe(404);
    expect((await send(`${base}/queryResults?api-version=2024-10-01`)).status).toBe(404);
    for (const bad of ["$filter=componentType gt 'pod'", "$filter=componentType eq 'pod", '$top=-1', '$expand=components', '$apply=aggregate($count as n)']) {
      expect(await send(`${base}/latest/queryResults?api-version=2024-10-01&${bad}`), bad).toEqual({ status: 400, code: 'InvalidQueryParameterValue' });
    }
    // The resource id with its leading slash kept (`//subscriptions/...`) is not the operation's path.
    expect(
      (
        await send(
          `${running.url}//${String(parameters['resourceId'])}/providers/Microsoft.PolicyInsights/componentPolicyStates/latest/queryResults?api-version=2024-10-01`,
        )
      ).status,
    ).toBe(404);
  });
});

describe('(a) subscription scope: ComponentPolicyStates_ListQueryResultsForSubscription', () => {
  it(`${SUBSCRIPTION_SCOPE}: POST for the subscription, 200 in the example's shape, only the subscription's resources`, async () => {
    const example = exampleBody<Body>(SERVICE, SUBSCRIPTION_SCOPE);
    const subscriptionId = restExample(SERVICE, SUBSCRIPTION_SCOPE).parameters['subscriptionId'] as string;
    const records = example.value.map(withoutAnnotations);
    // A component of another subscription's resource: not under this scope.
    const elsewhere = { ...records[0], resourceId: String(records[0]?.['resourceId']).replace(subscriptionId, '00000000-0000-0000-0000-000000000000') };
    const running = await simulatorWith([...records, elsewhere]);
    let raw: FullOperationResponse | undefined;
    await sdkClient(running).componentPolicyStates.listQueryResultsForSubscription(subscriptionId, 'latest', { onResponse: (response) => (raw = response) });
    expect(raw?.request.method).toBe('POST');
    expect(new URL(raw?.request.url ?? '').pathname).toBe(
      `/subscriptions/${subscriptionId}/providers/Microsoft.PolicyInsights/componentPolicyStates/latest/queryResults`,
    );
    expect(raw?.status).toBe(200);
    const body = JSON.parse(raw?.bodyAsText ?? '') as Body;
    expect(shapeMismatches(body, example)).toEqual([]);
    expect(body.value.map((row) => row['componentId'])).toEqual(example.value.map((row) => row['componentId']));
    expect(body['@odata.context']).toBe(example['@odata.context'].replace('https://management.azure.com', running.url));
  });

  it('takes $filter and $top; refuses $expand (a parameter of the resource operation only), a bad $filter or $top', async () => {
    const example = exampleBody<Body>(SERVICE, SUBSCRIPTION_SCOPE);
    const subscriptionId = restExample(SERVICE, SUBSCRIPTION_SCOPE).parameters['subscriptionId'] as string;
    const running = await simulatorWith(example.value.map(withoutAnnotations));
    const client = sdkClient(running);
    const base = `${running.url}/subscriptions/${subscriptionId}/providers/Microsoft.PolicyInsights/componentPolicyStates/latest/queryResults?api-version=2024-10-01`;
    const send = async (query: string) => {
      const response = await client.sendRequest(createPipelineRequest({ url: `${base}${query}`, method: 'POST' }));
      const body = JSON.parse(response.bodyAsText ?? '{}') as Partial<Body> & { error?: { code: string } };
      return { status: response.status, code: body.error?.code, ids: body.value?.map((row) => row['componentId']) };
    };
    expect(await send(`&$top=1`)).toEqual({ status: 200, code: undefined, ids: ['cert-RSA-cert-3'] });
    expect(await send(`&$filter=${encodeURIComponent("componentId eq 'cert-RSA-cert-2'")}`)).toEqual({
      status: 200,
      code: undefined,
      ids: ['cert-RSA-cert-2'],
    });
    // The adapter's filter keeps AKS clusters' components only: the example's Key Vault certificates are left out.
    expect(await send(`&$filter=${encodeURIComponent(CLUSTER_COMPONENTS_FILTER)}`)).toEqual({ status: 200, code: undefined, ids: [] });
    for (const bad of ['$expand=PolicyEvaluationDetails', '$expand=components', "$filter=componentId eq 'x", '$top=-1']) {
      expect(await send(`&${bad}`), bad).toMatchObject({ status: 400, code: 'InvalidQueryParameterValue' });
    }
    // GET is not the operation (POST only, like policyStates): no route answers it.
    expect((await client.sendRequest(createPipelineRequest({ url: base, method: 'GET' }))).status).toBe(404);
  });
});

describe('(b) the adapter fed the official responses verbatim', () => {
  it(`${AKS_PODS}: one POST for the cluster with the non-compliant filter; the pod is named once on its definition's finding`, async () => {
    const parameters = restExample(SERVICE, AKS_PODS).parameters;
    const clusterId = `/${String(parameters['resourceId'])}`;
    const path = `${clusterId}/providers/Microsoft.PolicyInsights/componentPolicyStates/latest/queryResults`;
    server = await startExampleServer([{ method: 'POST', path, status: 200, body: exampleBody(SERVICE, AKS_PODS) }]);
    const adapter = new PolicyInsightsAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const records = await adapter.listNonCompliantComponents(clusterId);
    expect(server.requests.map((request) => [request.method, request.url.pathname])).toEqual([['POST', path]]);
    expect(server.requests[0]?.url.searchParams.get('$filter')).toBe(NON_COMPLIANT_COMPONENTS_FILTER);
    expect(server.requests[0]?.url.searchParams.get('api-version')).toBe('2024-10-01');
    const definitionId =
      '/subscriptions/fff10b27-fff3-fff5-fff8-fffbe01e86a5/providers/Microsoft.Authorization/policyDefinitions/ab108bc4-32df-4677-8b38-fa8b2905df56';
    expect(records).toEqual(
      ['test', 'test2'].map((assignment) => ({
        resourceId:
          '/subscriptions/fff10b27-fff3-fff5-fff8-fffbe01e86a5/resourcegroups/myResourceGroup/providers/Microsoft.ContainerService/managedClusters/myCluster',
        policyDefinitionId: definitionId,
        policyAssignmentId: `/subscriptions/fff10b27-fff3-fff5-fff8-fffbe01e86a5/providers/Microsoft.Authorization/policyAssignments/${assignment}`,
        componentType: 'pod',
        componentId: 'default/test-pod',
        componentName: 'test-pod',
        complianceState: 'NonCompliant',
      })),
    );

    // The cluster's state for that definition makes the finding; the two assignments' pod is one component.
    const findings = policyFindings(clusterId, definitionId);
    const [finding] = attachPolicyComponents(findings, new Map([[clusterId.toLowerCase(), records]]));
    expect(finding?.components).toEqual([{ type: 'pod', namespace: 'default', name: 'test-pod' }]);
    expect(finding?.detail).toContain('1 non-compliant component in namespace default: pod default/test-pod.');
  });

  it(`${RESOURCE_SCOPE}: components of other definitions are not attached to this one`, async () => {
    const example = exampleBody<Body>(SERVICE, RESOURCE_SCOPE);
    const resourceId = `/${String(restExample(SERVICE, RESOURCE_SCOPE).parameters['resourceId'])}`;
    server = await startExampleServer([{ method: 'POST', path: /componentPolicyStates\/latest\/queryResults$/, status: 200, body: example }]);
    const adapter = new PolicyInsightsAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const records = await adapter.listNonCompliantComponents(resourceId);
    expect(records.map((record) => [record.componentType, record.componentId, record.policyDefinitionId.split('/').at(-1)])).toEqual([
      ['Certificate', 'cert-RSA-cert-3', 'ab108bc4-32df-4677-8b38-fa8b2905df56'],
      ['Certificate', 'cert-RSA-cert-2', 'ab108bc4-32df-4677-8b38-fa8b2905df59'],
    ]);
    const [attached] = attachPolicyComponents(policyFindings(resourceId, records[0]?.policyDefinitionId ?? ''), new Map([[resourceId.toLowerCase(), records]]));
    expect(attached?.components).toEqual([{ type: 'Certificate', namespace: undefined, name: 'cert-RSA-cert-3' }]);
  });

  it(`${SUBSCRIPTION_SCOPE}: one POST for the subscription with the clusters' non-compliant filter and $top; complete below $top`, async () => {
    const example = exampleBody<Body>(SERVICE, SUBSCRIPTION_SCOPE);
    const subscriptionId = restExample(SERVICE, SUBSCRIPTION_SCOPE).parameters['subscriptionId'] as string;
    const path = `/subscriptions/${subscriptionId}/providers/Microsoft.PolicyInsights/componentPolicyStates/latest/queryResults`;
    server = await startExampleServer([{ method: 'POST', path, status: 200, body: example }]);
    const adapter = new PolicyInsightsAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const answer = await adapter.listNonCompliantComponentsInSubscription(subscriptionId);
    expect(server.requests.map((request) => [request.method, request.url.pathname])).toEqual([['POST', path]]);
    expect(server.requests[0]?.url.searchParams.get('$filter')).toBe(CLUSTER_COMPONENTS_FILTER);
    expect(server.requests[0]?.url.searchParams.get('$top')).toBe('1000');
    expect(server.requests[0]?.url.searchParams.get('$expand')).toBeNull();
    expect(answer.complete).toBe(true);
    expect(answer.records.map((record) => [record.resourceId.split('/').at(-1), record.componentId])).toEqual([
      ['myKVName', 'cert-RSA-cert-3'],
      ['myKVName', 'cert-RSA-cert-2'],
    ]);
  });
});
