/**
 * Azure Resource Graph against its official examples (Azure/azure-rest-api-specs,
 * `specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2024-04-01/examples/`,
 * sources in test/fixtures/azure-rest/resourcegraph/SOURCES.json):
 * (a) the simulator, asked the examples' requests through the real `@azure/arm-resourcegraph`
 *     client, answers with their shape and pages with `$skipToken` as they show;
 * (b) the adapter (`lib/azure/resourceGraph.ts`), fed the example responses verbatim, returns their
 *     rows and follows their `$skipToken`s.
 * Shapes the examples do not show (throttling, refused api-versions) name their sources.
 */
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { RESOURCE_GRAPH_API_VERSION, ResourceGraphAdapter } from '../../lib/azure/resourceGraph.js';
import { RESOURCE_GRAPH_QUERIES } from '../../lib/azure/resourceGraphQueries.js';
import type { QuotaClock } from '../../lib/azure/resourceGraphQuota.js';
import { generateFleet, subscriptionIdFor } from '../../tooling/simulator/fleetGenerator.js';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { FleetSnapshot, JsonObject } from '../../tooling/simulator/snapshot.js';
import { queryRequest, queryResponse, schemaProblems } from '../harness/resourceGraphSchemas.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'resourcegraph';
const FIRST_PAGE = 'ResourcesFirstPageQuery.2024-04-01.json';
const NEXT_PAGE = 'ResourcesNextPageQuery.2024-04-01.json';
const BASIC = 'ResourcesBasicQuery.2024-04-01.json';
const RESOURCES_PATH = '/providers/Microsoft.ResourceGraph/resources';

interface ExampleQuery {
  subscriptions: string[];
  query: string;
  options?: Record<string, unknown>;
}

interface QueryBody {
  totalRecords: number;
  count: number;
  resultTruncated: string;
  facets: unknown[];
  $skipToken?: string;
  data: JsonObject[];
}

function exampleQuery(file: string): ExampleQuery {
  return restExample(SERVICE, file).parameters['query'] as ExampleQuery;
}

const EXAMPLE_SUBSCRIPTION = exampleQuery(FIRST_PAGE).subscriptions[0] ?? '';
const CLUSTERS = 7;

/** Seven generated clusters moved into the examples' subscription. */
function exampleSubscriptionFleet(): FleetSnapshot {
  const generated = generateFleet({ clusters: CLUSTERS, subscriptions: 1, locations: 2 });
  const moved = JSON.parse(JSON.stringify(generated.clusters).replaceAll(subscriptionIdFor(0), EXAMPLE_SUBSCRIPTION)) as JsonObject[];
  return { ...generated, clusters: moved, policyStates: undefined };
}

function virtualClock(): QuotaClock {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms) => {
      const until = now + ms;
      await Promise.resolve();
      now = Math.max(now, until);
    },
  };
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function simulator(options: Omit<SimulatorOptions, 'snapshot'> = {}): Promise<RunningSimulator> {
  const running = await startSimulator({ snapshot: exampleSubscriptionFleet(), ...options });
  cleanup.push(() => running.close());
  return running;
}

/** The real SDK client, at the api-version the adapter uses. */
function sdkClient(running: { url: string; caPem: string }, apiVersion = RESOURCE_GRAPH_API_VERSION): ResourceGraphClient {
  return new ResourceGraphClient(new SimulatorCredential(), {
    endpoint: running.url,
    tlsOptions: { ca: running.caPem },
    apiVersion,
    credentialScopes: [`${running.url}/.default`],
    retryOptions: { maxRetries: 0 },
  });
}

/**
 * One `resources` call through the SDK with the example's request (the SDK names the options
 * `top`, `skip`, `skipToken`), returning the raw status, headers and JSON body. The simulator cannot
 * run KQL, so the example's query text is swapped for the inventory's cluster query; the rest of the
 * request is the example's.
 */
async function ask(client: ResourceGraphClient, request: ExampleQuery): Promise<{ status: number; headers: Record<string, string>; body: QueryBody }> {
  const options = request.options ?? {};
  let raw: { status: number; headers: Record<string, string>; body: QueryBody } | undefined;
  await client.resources(
    {
      subscriptions: request.subscriptions,
      query: RESOURCE_GRAPH_QUERIES.clusters,
      options: {
        ...(typeof options['$top'] === 'number' ? { top: options['$top'] } : {}),
        ...(typeof options['$skip'] === 'number' ? { skip: options['$skip'] } : {}),
        ...(typeof options['$skipToken'] === 'string' ? { skipToken: options['$skipToken'] } : {}),
      },
    },
    {
      onResponse: (response) =>
        (raw = { status: response.status, headers: response.headers.toJSON(), body: JSON.parse(response.bodyAsText ?? '{}') as QueryBody }),
    },
  );
  if (raw === undefined) throw new Error('no response');
  return raw;
}

/** A raw POST through the client's pipeline (auth included), for requests the SDK would refuse to build. */
async function post(
  client: ResourceGraphClient,
  url: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, string>; body: { error?: { code: string; message: string } } }> {
  const response = await client.sendRequest(
    createPipelineRequest({ url, method: 'POST', body: JSON.stringify(body), headers: createHttpHeaders({ 'content-type': 'application/json' }) }),
  );
  return {
    status: response.status,
    headers: response.headers.toJSON(),
    body: JSON.parse(response.bodyAsText ?? '{}') as { error?: { code: string; message: string } },
  };
}

/** The envelope compared strictly, the rows allowing the cluster query's wider projection. */
function pageMismatches(actual: QueryBody, file: string): string[] {
  const example = exampleBody<QueryBody>(SERVICE, file);
  return [...shapeMismatches({ ...actual, data: [] }, { ...example, data: [] }), ...shapeMismatches(actual.data, example.data, { allowExtra: true })];
}

describe('Resource Graph: the simulator answers the official examples (a)', () => {
  it.each([FIRST_PAGE, NEXT_PAGE, BASIC])("%s conforms to the spec's QueryRequest and QueryResponse (the schemas the other tests check against)", (file) => {
    expect(schemaProblems(queryRequest, exampleQuery(file))).toEqual([]);
    expect(schemaProblems(queryResponse, exampleBody(SERVICE, file))).toEqual([]);
  });

  it("first page ($top 3, $skip 0) and next page ($skipToken alone) have the examples' shapes, and the token carries the page size", async () => {
    const client = sdkClient(await simulator());
    const first = await ask(client, exampleQuery(FIRST_PAGE));
    expect(first.status).toBe(200);
    expect(pageMismatches(first.body, FIRST_PAGE)).toEqual([]);
    expect(first.body).toMatchObject({ totalRecords: CLUSTERS, count: 3, resultTruncated: 'false', facets: [] });
    expect(first.body.data.map((row) => row['id'])).toEqual(expect.arrayContaining([expect.stringContaining(`/subscriptions/${EXAMPLE_SUBSCRIPTION}/`)]));

    // The next-page example sends the token alone: the page size (3) comes from it.
    const nextRequest = exampleQuery(NEXT_PAGE);
    const next = await ask(client, { ...nextRequest, options: { $skipToken: first.body.$skipToken } });
    expect(next.status).toBe(200);
    expect(pageMismatches(next.body, NEXT_PAGE)).toEqual([]);
    expect(next.body.count).toBe(3);

    // The last page has no $skipToken, as the basic example (one page) has none.
    const last = await ask(client, { ...nextRequest, options: { $skipToken: next.body.$skipToken } });
    for (const page of [first, next, last]) expect(schemaProblems(queryResponse, page.body)).toEqual([]);
    expect(last.body.count).toBe(CLUSTERS - 6);
    expect(last.body.$skipToken).toBeUndefined();
    expect(shapeMismatches({ ...last.body, data: [] }, { ...exampleBody<QueryBody>(SERVICE, BASIC), data: [] })).toEqual([]);
    const ids = [...first.body.data, ...next.body.data, ...last.body.data].map((row) => String(row['id']));
    expect(new Set(ids).size).toBe(CLUSTERS);
    expect([...ids].sort()).toEqual(ids);
  });

  it('$skip and $top override what the $skipToken captured (QueryRequestOptions, stable/2024-04-01/resourcegraph.json)', async () => {
    const client = sdkClient(await simulator());
    const first = await ask(client, exampleQuery(FIRST_PAGE));
    const all = await ask(client, { ...exampleQuery(BASIC), options: { $top: 1000 } });
    const moved = await ask(client, { ...exampleQuery(NEXT_PAGE), options: { $skipToken: first.body.$skipToken, $skip: 1, $top: 2 } });
    expect(moved.body.data.map((row) => row['id'])).toEqual(all.body.data.slice(1, 3).map((row) => row['id']));
  });

  it('every answer carries the quota headers, and none a Retry-After (Learn: "Guidance for throttled requests in Azure Resource Graph")', async () => {
    const client = sdkClient(await simulator());
    const first = await ask(client, exampleQuery(FIRST_PAGE));
    expect(first.headers['x-ms-user-quota-remaining']).toBe('14');
    expect(first.headers['x-ms-user-quota-resets-after']).toMatch(/^00:00:0[1-5]$/);
    expect(first.headers['retry-after']).toBeUndefined();
  });

  it('beyond the quota: 429 RateLimiting with the quota headers and no Retry-After (body as in Azure/azure-cli-extensions#3325)', async () => {
    const clock = virtualClock();
    const running = await simulator({ graphQuota: { queries: 2, windowMs: 5000, now: clock.now } });
    const client = sdkClient(running);
    const endpoint = `${running.url}${RESOURCES_PATH}?api-version=${RESOURCE_GRAPH_API_VERSION}`;
    const body = { subscriptions: [EXAMPLE_SUBSCRIPTION], query: RESOURCE_GRAPH_QUERIES.clusters };
    expect((await post(client, endpoint, body)).status).toBe(200);
    expect((await post(client, endpoint, body)).headers['x-ms-user-quota-remaining']).toBe('0');
    const throttled = await post(client, endpoint, body);
    expect(throttled.status).toBe(429);
    expect(throttled.body.error?.code).toBe('RateLimiting');
    expect(throttled.headers).toMatchObject({ 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:05' });
    expect(throttled.headers['retry-after']).toBeUndefined();
    await clock.sleep(5000);
    expect((await post(client, endpoint, body)).headers['x-ms-user-quota-remaining']).toBe('1');
  });

  it('refuses what the service refuses: $top outside 1-1000, a negative $skip, an unknown $skipToken (400); an api-version the provider lacks (404 InvalidResourceType, microsoft/ARI#306)', async () => {
    const running = await simulator();
    const client = sdkClient(running);
    const endpoint = `${running.url}${RESOURCES_PATH}?api-version=${RESOURCE_GRAPH_API_VERSION}`;
    const request = (options: Record<string, unknown>) => ({ subscriptions: [EXAMPLE_SUBSCRIPTION], query: RESOURCE_GRAPH_QUERIES.clusters, options });
    for (const options of [{ $top: 0 }, { $top: 1001 }, { $skip: -1 }, { $skipToken: 'eyAibm8iOiAibHVjayIsICJidXQiOiAibmljZSIsICJ0cnkiOiAiISIgfQ==' }]) {
      const answer = await post(client, endpoint, request(options));
      expect(answer.status, JSON.stringify(options)).toBe(400);
      expect(answer.body.error?.code).toBe('BadRequest');
    }
    // (The SDK client writes its own api-version into every URL: a client at the unknown one asks.)
    const unknown = await ask(sdkClient(running, '2023-01-01'), exampleQuery(FIRST_PAGE)).then(
      () => undefined,
      (error: unknown) => error as { statusCode?: number; code?: string; message?: string },
    );
    expect(unknown?.statusCode).toBe(404);
    expect(unknown?.code).toBe('InvalidResourceType');
    expect(unknown?.message).toContain("for api version '2023-01-01'. The supported api-versions are '2018-09-01-preview,2019-04-01,");
    // The SDK's own default (2021-06-01-preview) is one the service has.
    expect((await ask(sdkClient(running, '2021-06-01-preview'), exampleQuery(FIRST_PAGE))).status).toBe(200);
  });
});

describe('Resource Graph: the adapter reads the official examples verbatim (b)', () => {
  let server: ExampleServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('returns the example rows page after page, sending each $skipToken back verbatim, and waits for the quota the first page reports used up', async () => {
    const clock = virtualClock();
    const firstPage = exampleBody<QueryBody>(SERVICE, FIRST_PAGE);
    const nextPage = exampleBody<QueryBody>(SERVICE, NEXT_PAGE);
    const sentAt: number[] = [];
    server = await startExampleServer((request) => {
      sentAt.push(clock.now());
      const token = (JSON.parse(request.body) as { options?: { $skipToken?: string } }).options?.$skipToken;
      // The first answer says the quota is used up until 2 s from now.
      if (token === undefined)
        return {
          method: 'POST',
          path: RESOURCES_PATH,
          status: 200,
          body: firstPage,
          headers: { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:02' },
        };
      const headers = { 'x-ms-user-quota-remaining': '10', 'x-ms-user-quota-resets-after': '00:00:03' };
      if (token === firstPage.$skipToken) return { method: 'POST', path: RESOURCES_PATH, status: 200, body: nextPage, headers };
      // After the next page, the basic example (no $skipToken) ends the result.
      if (token === nextPage.$skipToken) return { method: 'POST', path: RESOURCES_PATH, status: 200, body: exampleBody(SERVICE, BASIC), headers };
      return undefined;
    });
    const adapter = new ResourceGraphAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 3 },
      { clock },
    );
    const rows = await adapter.queryAll('clusters', [EXAMPLE_SUBSCRIPTION]);
    expect(rows).toEqual([...firstPage.data, ...nextPage.data, ...exampleBody<QueryBody>(SERVICE, BASIC).data]);
    expect(server.requests.map((request) => `${request.method} ${request.url.pathname}?${request.url.searchParams.toString()}`)).toEqual(
      Array.from({ length: 3 }, () => `POST ${RESOURCES_PATH}?api-version=2024-04-01`),
    );
    const bodies = server.requests.map((request) => JSON.parse(request.body) as { subscriptions: string[]; options: Record<string, unknown> });
    for (const body of bodies) expect(schemaProblems(queryRequest, body)).toEqual([]);
    expect(bodies.map((body) => body.options['$skipToken'])).toEqual([undefined, firstPage.$skipToken, nextPage.$skipToken]);
    expect(bodies.every((body) => body.options['$top'] === 1000 && body.subscriptions.join() === EXAMPLE_SUBSCRIPTION)).toBe(true);
    // The second page waited for the reset the first answer announced.
    expect((sentAt[1] ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(2000);
  });

  it('a 429 RateLimiting without Retry-After (Azure/azure-cli-extensions#3325) is retried after x-ms-user-quota-resets-after', async () => {
    const clock = virtualClock();
    const sentAt: number[] = [];
    server = await startExampleServer(() => {
      sentAt.push(clock.now());
      if (sentAt.length === 1) {
        return {
          method: 'POST',
          path: RESOURCES_PATH,
          status: 429,
          headers: { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:04' },
          body: {
            error: {
              code: 'RateLimiting',
              message: 'Please provide below info when asking for support: timestamp = 2021-05-03T07:08:29.0524831Z, correlationId = .....',
              details: [
                {
                  code: 'RateLimiting',
                  message:
                    'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.',
                },
              ],
            },
          },
        };
      }
      return {
        method: 'POST',
        path: RESOURCES_PATH,
        status: 200,
        body: exampleBody(SERVICE, BASIC),
        headers: { 'x-ms-user-quota-remaining': '14', 'x-ms-user-quota-resets-after': '00:00:05' },
      };
    });
    const adapter = new ResourceGraphAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 3 },
      { clock },
    );
    expect(await adapter.queryAll('clusters', [EXAMPLE_SUBSCRIPTION])).toEqual(exampleBody<QueryBody>(SERVICE, BASIC).data);
    expect(sentAt.map((at) => at - (sentAt[0] ?? 0))).toEqual([0, 4000]);
  });
});

describe('throttling headers per service (simulator)', () => {
  it('ARM: every successful answer says the reads left (x-ms-ratelimit-remaining-subscription-reads); a throttled one is 429 with Retry-After (Learn: "Understand how Azure Resource Manager throttles requests")', async () => {
    const running = await simulator({ faults: { routes: { 'arm.listManagedClusters': { throttle: { first: 1, retryAfterSeconds: 2 } } } } });
    const client = sdkClient(running);
    const url = `${running.url}/subscriptions/${EXAMPLE_SUBSCRIPTION}/providers/Microsoft.ContainerService/managedClusters?api-version=2025-07-01`;
    const get = async () => client.sendRequest(createPipelineRequest({ url, method: 'GET' }));
    const throttled = await get();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(throttled.headers.get('x-ms-ratelimit-remaining-subscription-reads')).toBe('0');
    const answered = await get();
    expect(answered.status).toBe(200);
    expect(Number(answered.headers.get('x-ms-ratelimit-remaining-subscription-reads'))).toBeGreaterThan(200);
    expect(answered.headers.get('x-ms-user-quota-remaining')).toBeUndefined();
  });

  it('Resource Graph: a throttle fault answers with the quota headers and without Retry-After', async () => {
    const running = await simulator({ faults: { routes: { 'graph.resources': { throttle: { first: 1, retryAfterSeconds: 3 } } } } });
    const client = sdkClient(running);
    const throttled = await post(client, `${running.url}${RESOURCES_PATH}?api-version=${RESOURCE_GRAPH_API_VERSION}`, {
      subscriptions: [EXAMPLE_SUBSCRIPTION],
      query: RESOURCE_GRAPH_QUERIES.clusters,
    });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error?.code).toBe('RateLimiting');
    expect(throttled.headers).toMatchObject({ 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:03' });
    expect(throttled.headers['retry-after']).toBeUndefined();
    expect(throttled.headers['x-ms-ratelimit-remaining-subscription-reads']).toBeUndefined();
  });
});
