/**
 * Subscriptions list against the official example (Microsoft.Resources 2022-12-01, the api-version
 * of @azure/arm-resources-subscriptions 2.1.1). (a) The simulator's list has the example's shape;
 * (b) the adapter, fed the example verbatim, returns the enabled subscriptions' ids.
 */
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { SubscriptionsAdapter } from '../../lib/azure/subscriptions.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import { exampleBody, type ExampleServer, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const EXAMPLE = 'GetSubscriptions.2022-12-01.json';

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

describe('GetSubscriptions', () => {
  it('(a) the simulator answers GET /subscriptions with the example page shape', async () => {
    simulator = await startSimulator({
      snapshot: { source: 'empty', clusters: [], versionsByLocation: new Map(), policyStates: undefined, logs: new Map() },
      extraSubscriptions: ['291bba3f-e0a5-47bc-a099-3bdcb2a50a05', '72ac930a-f34e-42d8-b06d-dc2a9e12ed71'],
    });
    const client = new SubscriptionClient(new SimulatorCredential(), {
      endpoint: simulator.url,
      tlsOptions: { ca: simulator.caPem },
      credentialScopes: [`${simulator.url}/.default`],
    });
    let page: unknown;
    let status = 0;
    const ids: string[] = [];
    for await (const subscription of client.subscriptions.list({ onResponse: (response) => ((page = response.parsedBody), (status = response.status)) }))
      ids.push(subscription.subscriptionId ?? '');
    expect(status).toBe(200);
    expect(ids).toEqual(['291bba3f-e0a5-47bc-a099-3bdcb2a50a05', '72ac930a-f34e-42d8-b06d-dc2a9e12ed71']);
    // One page here; the simulator writes nextLink only when there is a next page. Tag names are the
    // subscriptions' data, not part of the shape (the simulated ones have none).
    expect(
      shapeMismatches(page, exampleBody('subscriptions', EXAMPLE), { optional: ['$.nextLink', '$.value[].tags.tagKey1', '$.value[].tags.tagKey2'] }),
    ).toEqual([]);
  });

  it('(b) the adapter, fed the example verbatim, returns both enabled subscriptions (the example nextLink "..." is a placeholder: its page is empty here)', async () => {
    server = await startExampleServer((request) =>
      request.url.pathname === '/subscriptions'
        ? { method: 'GET', path: '/subscriptions', status: 200, body: exampleBody('subscriptions', EXAMPLE) }
        : { method: 'GET', path: request.url.pathname, status: 200, body: { value: [] } },
    );
    const adapter = new SubscriptionsAdapter(new SimulatorCredential(), { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem }, { maxRetries: 0 });
    expect(await adapter.listEnabledSubscriptionIds()).toEqual(['291bba3f-e0a5-47bc-a099-3bdcb2a50a05', '72ac930a-f34e-42d8-b06d-dc2a9e12ed71']);
    expect(server.requests[0]?.url.searchParams.get('api-version')).toBe('2022-12-01');
  });
});
