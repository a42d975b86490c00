/**
 * AKS reads against the official examples (2025-07-01): ManagedClustersList, ManagedClustersGet and
 * the eTags they carry. (a) The simulator, seeded with the example's own cluster, answers the list with the
 * example's shape; (b) the adapter, fed the example verbatim, produces the cluster model.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { afterEach, describe, expect, it } from 'vitest';

import { ContainerServiceAdapter } from '../../lib/azure/containerService.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { exampleBody, type ExampleServer, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'containerservice';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const LIST = 'ManagedClustersList.2025-07-01.json';
const GET = 'ManagedClustersGet.2025-07-01.json';
const CLUSTER_PATH = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1`;

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

describe('ManagedClustersList', () => {
  it('(a) the simulator, holding the example cluster, answers the list with the example page shape (eTags on the cluster and its pools)', async () => {
    const example = exampleBody<{ value: JsonObject[] }>(SERVICE, LIST);
    simulator = await startSimulator({
      snapshot: {
        source: 'azure-rest-api-specs examples',
        clusters: structuredClone(example.value),
        versionsByLocation: new Map([['location1', structuredClone(exampleBody<JsonObject>(SERVICE, 'KubernetesVersions_List.2025-07-01.json'))]]),
        policyStates: undefined,
        logs: new Map(),
      },
    });
    const client = new ContainerServiceClient(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator.url, tlsOptions: { ca: simulator.caPem } });
    let page: unknown;
    let status = 0;
    for await (const cluster of client.managedClusters.list({ onResponse: (response) => ((page = response.parsedBody), (status = response.status)) }))
      expect(cluster.name).toBe('clustername1');
    expect(status).toBe(200);
    expect(shapeMismatches(page, example)).toEqual([]);
    expect((page as { value: Array<{ eTag: string }> }).value[0]?.eTag).toBe('nvweuib');
  });

  it('(b) the adapter, fed the example verbatim, lists the cluster with its version, pool and read-only state', async () => {
    server = await startExampleServer([
      {
        method: 'GET',
        path: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerService/managedClusters`,
        status: 200,
        body: exampleBody(SERVICE, LIST),
      },
    ]);
    const adapter = new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const listing = await adapter.listClusters(SUBSCRIPTION);
    expect(listing.rejected).toEqual([]);
    expect(listing.clusters).toHaveLength(1);
    expect(listing.clusters[0]).toMatchObject({
      id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1',
      name: 'clustername1',
      subscriptionId: SUBSCRIPTION,
      resourceGroup: 'rg1',
      location: 'location1',
      tags: { archv2: '', tier: 'production' },
      provisioningState: 'Succeeded',
      kubernetesVersion: '1.9.6',
      enableRbac: false,
      networkPolicy: undefined,
      agentPools: [
        { name: 'nodepool1', mode: undefined, version: '1.9.6', provisioningState: 'Succeeded', powerState: undefined, count: 3, nodeImageVersion: undefined },
      ],
    });
  });
});

describe('ManagedClustersGet', () => {
  it('(a) the simulator, holding the example cluster, answers GET with the example response shape', async () => {
    const example = exampleBody<JsonObject>(SERVICE, GET);
    simulator = await startSimulator({
      snapshot: {
        source: 'azure-rest-api-specs examples',
        clusters: [structuredClone(example)],
        versionsByLocation: new Map(),
        policyStates: undefined,
        logs: new Map(),
      },
    });
    const client = new ContainerServiceClient(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator.url, tlsOptions: { ca: simulator.caPem } });
    let body: unknown;
    let status = 0;
    const cluster = await client.managedClusters.get('rg1', 'clustername1', {
      onResponse: (response) => ((body = response.parsedBody), (status = response.status)),
    });
    expect(status).toBe(200);
    expect(cluster.kubernetesVersion).toBe('1.9.6');
    expect(shapeMismatches(body, example)).toEqual([]);
  });

  it('(b) the adapter, fed the example verbatim, reads the cluster, its pool and the settings the posture rules judge', async () => {
    server = await startExampleServer([{ method: 'GET', path: CLUSTER_PATH, status: 200, body: exampleBody(SERVICE, GET) }]);
    const adapter = new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    const cluster = await adapter.getCluster(SUBSCRIPTION, 'rg1', 'clustername1');
    expect(server.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([`GET ${CLUSTER_PATH}`]);
    expect(cluster).toMatchObject({
      name: 'clustername1',
      resourceGroup: 'rg1',
      location: 'location1',
      kubernetesVersion: '1.9.6',
      enableRbac: false,
      aadManaged: undefined,
      disableLocalAccounts: undefined,
      agentPools: [{ name: 'nodepool1', version: '1.9.6', count: 3 }],
    });
  });

  it('(b) a cluster that does not exist (404 with the ARM error body) reads as absent, not as an error', async () => {
    server = await startExampleServer([
      {
        method: 'GET',
        path: CLUSTER_PATH,
        status: 404,
        body: {
          error: {
            code: 'ResourceNotFound',
            message: "The Resource 'Microsoft.ContainerService/managedClusters/clustername1' under resource group 'rg1' was not found.",
          },
        },
      },
    ]);
    const adapter = new ContainerServiceAdapter(
      new SimulatorCredential(),
      { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem },
      { maxRetries: 0 },
    );
    expect(await adapter.getCluster(SUBSCRIPTION, 'rg1', 'clustername1')).toBeUndefined();
  });
});
