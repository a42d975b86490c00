/**
 * AKS writes (upgrades) against the official examples (2025-07-01): managedClusters PUT, agentPools
 * GET/PUT, upgradeNodeImageVersion.
 * (a) The simulator, asked the examples' requests through the real SDK client, answers with their
 *     shapes, statuses and headers, and refuses what AKS refuses (sources named per test).
 * (b) The adapter, against a plain HTTPS server answering the examples verbatim, writes the whole
 *     resource back with If-Match on the read's eTag, and re-reads after a 412.
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { createContainerService } from '@azure/arm-containerservice/api';
import { afterEach, describe, expect, it } from 'vitest';

import { ContainerServiceAdapter } from '../../lib/azure/containerService.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import type { Cluster } from '../../lib/model/cluster.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { FleetSnapshot, JsonObject } from '../../tooling/simulator/snapshot.js';
import { exampleBody, type ExampleServer, type ReceivedRequest, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'containerservice';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const EXAMPLE_CLUSTER_PATH = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1`;

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * The examples' own cluster (ManagedClustersGet) with the agentPools examples' pool `agentpool1`
 * (AgentPoolsGet's properties) added, so both APIs talk about the same resources.
 */
function exampleSnapshot(withAgentPool1 = true): FleetSnapshot {
  const cluster = clone(exampleBody<JsonObject>(SERVICE, 'ManagedClustersGet.2025-07-01.json'));
  const pool = clone(exampleBody<{ properties: JsonObject }>(SERVICE, 'AgentPoolsGet.2025-07-01.json').properties);
  const properties = cluster['properties'] as { agentPoolProfiles: JsonObject[] };
  if (withAgentPool1) properties.agentPoolProfiles.push({ name: 'agentpool1', ...pool });
  return {
    source: 'azure-rest-api-specs examples',
    clusters: [cluster],
    versionsByLocation: new Map([['location1', clone(exampleBody<JsonObject>(SERVICE, 'KubernetesVersions_List.2025-07-01.json'))]]),
    policyStates: undefined,
    logs: new Map(),
  };
}

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

async function simulated(withAgentPool1 = true): Promise<{ sim: RunningSimulator; client: ContainerServiceClient }> {
  simulator = await startSimulator({ snapshot: exampleSnapshot(withAgentPool1) });
  const client = new ContainerServiceClient(new SimulatorCredential(), SUBSCRIPTION, {
    endpoint: simulator.url,
    tlsOptions: { ca: simulator.caPem },
    retryOptions: { maxRetries: 0 },
  });
  return { sim: simulator, client };
}

/** Status, headers and parsed body of the SDK's (first) response, whatever it was. */
function capture(): {
  options: { onResponse: (response: { status: number; headers: { toJSON(): Record<string, string> }; parsedBody?: unknown }) => void };
  last: () => { status: number; headers: Record<string, string>; body: unknown };
} {
  let last = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  return {
    options: {
      onResponse: (response) => {
        if (last.status === 0) last = { status: response.status, headers: response.headers.toJSON(), body: response.parsedBody };
      },
    },
    last: () => last,
  };
}

async function statusOf(promise: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode?: number; code?: string; message: string };
  }
  throw new Error('expected the call to be refused');
}

/** The example pool's stored profile in the simulator. */
function storedPool(sim: RunningSimulator, name = 'agentpool1'): JsonObject {
  const cluster = sim.fleet.findCluster(SUBSCRIPTION, 'rg1', 'clustername1')!;
  return (cluster['properties'] as { agentPoolProfiles: JsonObject[] }).agentPoolProfiles.find((pool) => pool['name'] === name)!;
}

describe('simulator: agentPools GET and PUT as the examples show them', () => {
  it('GET answers AgentPoolsGet: id, name, the profile as properties with its eTag (type, as in the PUT example, besides)', async () => {
    const { client } = await simulated();
    const seen = capture();
    await client.agentPools.get('rg1', 'clustername1', 'agentpool1', seen.options);
    expect(seen.last().status).toBe(200);
    const example = exampleBody(SERVICE, 'AgentPoolsGet.2025-07-01.json');
    expect(shapeMismatches(seen.last().body, example, { allowExtra: true })).toEqual([]);
    // The one field the GET example does not show: `type`, which AgentPoolsCreate_Update's responses have.
    expect(shapeMismatches(seen.last().body, example).filter((problem) => !problem.startsWith('$.type:'))).toEqual([]);
    expect((seen.last().body as { properties: { eTag: string } }).properties.eTag).toBe('ebwiyfneowv');
  });

  it('PUT of the example\'s request body (orchestratorVersion "", count given) answers 200 with AgentPoolsCreate_Update\'s shape', async () => {
    const { client } = await simulated();
    const example = restExample(SERVICE, 'AgentPoolsCreate_Update.2025-07-01.json');
    const request = (example.parameters['parameters'] as { properties: JsonObject }).properties;
    const seen = capture();
    // The SDK model flattens `properties`; its serializer puts `type` back from `typePropertiesType`.
    await client.agentPools.beginCreateOrUpdate('rg1', 'clustername1', 'agentpool1', clone(request), seen.options);
    expect(seen.last().status).toBe(200);
    // maxPods is the service's default (110) when the body leaves it out; the simulator does not compute defaults.
    expect(shapeMismatches(seen.last().body, example.responses['200']?.body, { allowExtra: true, optional: ['$.properties.maxPods'] })).toEqual([]);
  });

  it('PUT without count is refused: 400 InvalidParameter "Required parameter properties.count is missing (null)." (Pulumi azure-native#2943, Azure/azure-service-operator#3220)', async () => {
    const { client, sim } = await simulated();
    const seen = capture();
    // Exactly what the adapter used to send: { properties: { orchestratorVersion } }.
    const refused = await statusOf(client.agentPools.beginCreateOrUpdate('rg1', 'clustername1', 'agentpool1', { orchestratorVersion: '1.9.6' }, seen.options));
    expect(refused.statusCode).toBe(400);
    expect(seen.last().body).toEqual({
      error: { code: 'InvalidParameter', message: 'Required parameter properties.count is missing (null).', target: 'properties.count' },
    });
    expect(storedPool(sim)['count']).toBe(3);
  });

  it('PUT is create-or-replace: settings the body leaves out are gone afterwards (what a partial body would have reset)', async () => {
    const { client, sim } = await simulated();
    await client.agentPools.beginCreateOrUpdate('rg1', 'clustername1', 'agentpool1', { count: 3, vmSize: 'Standard_DS1_v2', orchestratorVersion: '1.9.6' });
    const after = await client.agentPools.get('rg1', 'clustername1', 'agentpool1');
    expect(after.upgradeSettings).toBeUndefined();
    expect(after.maxPods).toBeUndefined();
    expect(after.count).toBe(3);
    // Read-only fields stay as the service has them.
    expect(storedPool(sim)['currentOrchestratorVersion']).toBe('1.9.6');
    expect(storedPool(sim)['nodeImageVersion']).toBe('AKSUbuntu:1604:2020.03.11');
  });

  it('a PUT that changes orchestratorVersion starts an operation: 200, Azure-AsyncOperation, provisioningState Upgrading', async () => {
    const { client } = await simulated();
    const current = await client.agentPools.get('rg1', 'clustername1', 'agentpool1');
    const seen = capture();
    await client.agentPools.beginCreateOrUpdate(
      'rg1',
      'clustername1',
      'agentpool1',
      { ...current, orchestratorVersion: '1.10.0' },
      { ...seen.options, ifMatch: current.eTag! },
    );
    expect(seen.last().status).toBe(200);
    expect(seen.last().headers['azure-asyncoperation']).toMatch(
      /\/providers\/Microsoft\.ContainerService\/locations\/location1\/operations\/[0-9a-f-]+\?api-version=/,
    );
    expect((seen.last().body as { properties: { provisioningState: string; orchestratorVersion: string } }).properties).toMatchObject({
      provisioningState: 'Upgrading',
      orchestratorVersion: '1.10.0',
    });
  });

  it('a stale If-Match is 412 PreconditionFailed and changes nothing (Learn: aks/use-etags)', async () => {
    const { client, sim } = await simulated();
    const read = await client.agentPools.get('rg1', 'clustername1', 'agentpool1');
    // Someone else writes the pool in between: its eTag changes.
    await client.agentPools.beginCreateOrUpdate('rg1', 'clustername1', 'agentpool1', { ...read, nodeLabels: { team: 'a' } }, { ifMatch: read.eTag! });
    const seen = capture();
    const refused = await statusOf(
      client.agentPools.beginCreateOrUpdate(
        'rg1',
        'clustername1',
        'agentpool1',
        { ...read, orchestratorVersion: '1.10.0' },
        { ...seen.options, ifMatch: read.eTag! },
      ),
    );
    expect(refused.statusCode).toBe(412);
    expect(refused.code).toBe('PreconditionFailed');
    expect(storedPool(sim)['orchestratorVersion']).toBe('1.9.6');
    expect(storedPool(sim)['nodeLabels']).toEqual({ team: 'a' });
  });

  it('If-Match on a pool that does not exist is 412 with the message AKS gives (Azure/azure-cli#30309)', async () => {
    const { client } = await simulated();
    const refused = await statusOf(client.agentPools.beginCreateOrUpdate('rg1', 'clustername1', 'newpool', { count: 1 }, { ifMatch: 'abc' }));
    expect(refused.statusCode).toBe(412);
    expect(refused.message).toBe('Resource not found but ETag header is provided. If this is a request to create, please do not provide ETag.');
  });

  it("eTags change on every write: a pool write renews only that pool's, a cluster write the cluster's and every pool's (Learn: aks/use-etags)", async () => {
    const { client } = await simulated();
    const before = await client.managedClusters.get('rg1', 'clustername1');
    const poolBefore = await client.agentPools.get('rg1', 'clustername1', 'agentpool1');
    await client.agentPools.beginCreateOrUpdate(
      'rg1',
      'clustername1',
      'agentpool1',
      { ...poolBefore, nodeLabels: { team: 'b' } },
      { ifMatch: poolBefore.eTag! },
    );
    const afterPoolWrite = await client.managedClusters.get('rg1', 'clustername1');
    expect(afterPoolWrite.eTag).toBe(before.eTag);
    const etags = (cluster: typeof before) => Object.fromEntries((cluster.agentPoolProfiles ?? []).map((pool) => [pool.name, pool.eTag]));
    expect(etags(afterPoolWrite)['nodepool1']).toBe(etags(before)['nodepool1']);
    expect(etags(afterPoolWrite)['agentpool1']).not.toBe(etags(before)['agentpool1']);
    await client.managedClusters.beginCreateOrUpdate('rg1', 'clustername1', { ...afterPoolWrite, tags: { tier: 'test' } }, { ifMatch: afterPoolWrite.eTag! });
    const afterClusterWrite = await client.managedClusters.get('rg1', 'clustername1');
    expect(afterClusterWrite.eTag).not.toBe(afterPoolWrite.eTag);
    expect(etags(afterClusterWrite)['nodepool1']).not.toBe(etags(afterPoolWrite)['nodepool1']);
    expect(etags(afterClusterWrite)['agentpool1']).not.toBe(etags(afterPoolWrite)['agentpool1']);
  });

  it('upgradeNodeImageVersion answers as its example: 202, Azure-AsyncOperation, the pool (UpgradingNodeImageVersion) as body', async () => {
    const { client } = await simulated();
    const seen = capture();
    const poller = client.agentPools.upgradeNodeImageVersion('rg1', 'clustername1', 'agentpool1', seen.options);
    await poller.submitted();
    const example = restExample(SERVICE, 'AgentPoolsUpgradeNodeImageVersion.2025-07-01.json').responses['202']!;
    expect(seen.last().status).toBe(202);
    expect(Object.keys(seen.last().headers)).toEqual(expect.arrayContaining(Object.keys(example.headers ?? {}).map((name) => name.toLowerCase())));
    expect(shapeMismatches(seen.last().body, example.body, { allowExtra: true })).toEqual([]);
    expect((seen.last().body as { properties: { provisioningState: string } }).properties.provisioningState).toBe('UpgradingNodeImageVersion');
  });
});

describe('simulator: managedClusters PUT as the example shows it', () => {
  it("PUT of ManagedClustersCreate_Update's request on the existing cluster answers 200 with the example response's shape; secrets are not echoed", async () => {
    const { sim } = await simulated(false);
    const example = restExample(SERVICE, 'ManagedClustersCreate_Update.2025-07-01.json');
    // The example's request body verbatim, through the SDK's own pipeline (its model would rename fields).
    const pipeline = createContainerService(new SimulatorCredential(), SUBSCRIPTION, {
      endpoint: sim.url,
      tlsOptions: { ca: sim.caPem },
      retryOptions: { maxRetries: 0 },
    });
    const response = await pipeline
      .pathUnchecked(`${EXAMPLE_CLUSTER_PATH}?api-version=2025-07-01`)
      .put({ body: example.parameters['parameters'], contentType: 'application/json' });
    expect(response.status).toBe('200');
    // Fields the service fills in (defaults, the identity's principal, effective outbound IPs) are not modelled by the simulator.
    const serviceComputed = [
      '$.properties.agentPoolProfiles[].maxPods',
      '$.properties.networkProfile.networkPlugin',
      '$.properties.networkProfile.podCidr',
      '$.properties.networkProfile.serviceCidr',
      '$.properties.networkProfile.dnsServiceIP',
      '$.properties.networkProfile.podCidrs',
      '$.properties.networkProfile.serviceCidrs',
      '$.properties.networkProfile.ipFamilies',
      '$.properties.networkProfile.loadBalancerProfile.allocatedOutboundPorts',
      '$.properties.networkProfile.loadBalancerProfile.idleTimeoutInMinutes',
      '$.properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs',
      '$.identity.userAssignedIdentities./subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rgName1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/identity1.principalId',
      '$.identity.userAssignedIdentities./subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rgName1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/identity1.clientId',
    ];
    expect(shapeMismatches(response.body, example.responses['200']?.body, { allowExtra: true, optional: serviceComputed })).toEqual([]);
    const returned = response.body as { properties: { windowsProfile: JsonObject; servicePrincipalProfile: JsonObject } };
    expect(returned.properties.windowsProfile['adminPassword']).toBeUndefined();
    expect(returned.properties.servicePrincipalProfile['secret']).toBeUndefined();
  });

  it('a cluster PUT that introduces a pool is 400 (pools are added through agentPools: the service message in microsoft/tyger#121)', async () => {
    const { client } = await simulated();
    const read = await client.managedClusters.get('rg1', 'clustername1');
    const refused = await statusOf(
      client.managedClusters.beginCreateOrUpdate('rg1', 'clustername1', {
        ...read,
        agentPoolProfiles: [...(read.agentPoolProfiles ?? []), { name: 'extra', count: 1 }],
      }),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.message).toMatch(
      /^A new agent pool was introduced\. Adding agent pools to an existing cluster is not allowed through managed cluster operations\./,
    );
  });

  it('a cluster PUT without location is 400 (location is required by the spec: TrackedResource, common-types v5; message text unverified)', async () => {
    const { client } = await simulated();
    const read = await client.managedClusters.get('rg1', 'clustername1');
    const refused = await statusOf(client.managedClusters.beginCreateOrUpdate('rg1', 'clustername1', { ...read, location: undefined as unknown as string }));
    expect(refused.statusCode).toBe(400);
    expect(refused.code).toBe('LocationRequired');
  });

  it('a stale If-Match on the cluster is 412 PreconditionFailed (Learn: aks/use-etags)', async () => {
    const { client } = await simulated();
    const read = await client.managedClusters.get('rg1', 'clustername1');
    const refused = await statusOf(
      client.managedClusters.beginCreateOrUpdate('rg1', 'clustername1', { ...read, kubernetesVersion: '1.10.0' }, { ifMatch: 'not-the-etag' }),
    );
    expect(refused.statusCode).toBe(412);
    expect(refused.code).toBe('PreconditionFailed');
  });
});

describe('simulator: the deprecated-API pre-flight of minor upgrades (Learn: aks/stop-cluster-upgrade-api-breaking-changes)', () => {
  const API = 'flowcontrol.apiserver.k8s.io.prioritylevelconfigurations.v1beta2';

  async function clusterAt(version: string) {
    const { client, sim } = await simulated();
    sim.fleet.updateClusterProperties(`${EXAMPLE_CLUSTER_PATH.replace('resourceGroups', 'resourcegroups')}`, (properties) => {
      properties['kubernetesVersion'] = version;
      properties['currentKubernetesVersion'] = version;
    });
    return { client, sim };
  }

  it('a minor upgrade after deprecated API use in the last 12 hours is 400 ValidationError, subcode UpgradeBlockedOnDeprecatedAPIUsage, nothing started', async () => {
    const { client, sim } = await clusterAt('1.31.4');
    sim.upgrades.deprecatedApiUsage.set('clustername1', { api: API, removedIn: '1.32', lastSeen: Date.now() - 3 * 3_600_000 });
    const read = await client.managedClusters.get('rg1', 'clustername1');
    const seen = capture();
    const refused = await statusOf(
      client.managedClusters.beginCreateOrUpdate('rg1', 'clustername1', { ...read, kubernetesVersion: '1.32.4' }, { ...seen.options, ifMatch: read.eTag! }),
    );
    expect(refused.statusCode).toBe(400);
    const error = (seen.last().body as { error: { code: string; subcode: string; message: string } }).error;
    expect(error.code).toBe('ValidationError');
    expect(error.subcode).toBe('UpgradeBlockedOnDeprecatedAPIUsage');
    expect(error.message).toMatch(/^Control Plane upgrade is blocked due to recent usage of a Kubernetes API deprecated in the specified version\./);
    expect(error.message).toContain(`usage has been detected on API ${API}`);
    expect(error.message).toContain('which will be removed in 1.32');
    expect(sim.upgrades.operations.size).toBe(0);
    expect((sim.fleet.findCluster(SUBSCRIPTION, 'rg1', 'clustername1')!['properties'] as JsonObject)['kubernetesVersion']).toBe('1.31.4');
  });

  it('not refused: a patch upgrade, use older than 12 hours, an API removed later, or forceUpgrade with an until in the future', async () => {
    const { client, sim } = await clusterAt('1.31.4');
    const attempt = async (version: string, override?: { forceUpgrade: boolean; until: Date }) => {
      const read = await client.managedClusters.get('rg1', 'clustername1');
      const seen = capture();
      await client.managedClusters
        .beginCreateOrUpdate(
          'rg1',
          'clustername1',
          { ...read, kubernetesVersion: version, ...(override ? { upgradeSettings: { overrideSettings: override } } : {}) },
          { ...seen.options, ifMatch: read.eTag! },
        )
        .catch(() => undefined);
      sim.upgrades.operations.clear();
      sim.fleet.updateClusterProperties(EXAMPLE_CLUSTER_PATH.replace('resourceGroups', 'resourcegroups'), (properties) => {
        properties['provisioningState'] = 'Succeeded';
        properties['kubernetesVersion'] = '1.31.4';
      });
      return seen.last().status;
    };
    sim.upgrades.deprecatedApiUsage.set('clustername1', { api: API, removedIn: '1.32', lastSeen: Date.now() - 3_600_000 });
    expect(await attempt('1.31.9')).toBe(200);
    expect(await attempt('1.32.4', { forceUpgrade: true, until: new Date(Date.now() + 3_600_000) })).toBe(200);
    expect(await attempt('1.32.4', { forceUpgrade: true, until: new Date(Date.now() - 60_000) })).toBe(400);
    expect(await attempt('1.32.4', { forceUpgrade: false, until: new Date(Date.now() + 3_600_000) })).toBe(400);
    sim.upgrades.deprecatedApiUsage.set('clustername1', { api: API, removedIn: '1.33', lastSeen: Date.now() - 3_600_000 });
    expect(await attempt('1.32.4')).toBe(200);
    sim.upgrades.deprecatedApiUsage.set('clustername1', { api: API, removedIn: '1.32', lastSeen: Date.now() - 13 * 3_600_000 });
    expect(await attempt('1.32.4')).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) The adapter against the examples served verbatim.

const ADAPTER_CLUSTER: Cluster = {
  id: EXAMPLE_CLUSTER_PATH,
  name: 'clustername1',
  subscriptionId: SUBSCRIPTION,
  resourceGroup: 'rg1',
  location: 'location1',
  tags: {},
  provisioningState: 'Succeeded',
  powerState: 'Running',
  kubernetesVersion: '1.9.6',
  agentPools: [],
  enableRbac: undefined,
  aadManaged: undefined,
  aadAzureRbac: undefined,
  disableLocalAccounts: undefined,
  privateCluster: undefined,
  authorizedIpRanges: [],
  networkPolicy: undefined,
  workloadIdentity: undefined,
  oidcIssuer: undefined,
  addons: {},
  defenderMonitoring: undefined,
  defenderWorkspaceId: undefined,
  logWorkspaceIds: [],
  upgradeChannel: undefined,
  nodeOsUpgradeChannel: undefined,
  supportPlan: undefined,
  skuTier: undefined,
};

function adapterFor(url: string, caPem: string): ContainerServiceAdapter {
  return new ContainerServiceAdapter(new SimulatorCredential(), { kind: 'simulator', armEndpoint: url, caPem }, { maxRetries: 0 });
}

const POOL_PATH = /\/managedClusters\/clustername1\/agentPools\/agentpool1$/i;
const CLUSTER_PATH = /\/managedClusters\/clustername1$/i;

function puts(requests: readonly ReceivedRequest[]): ReceivedRequest[] {
  return requests.filter((request) => request.method === 'PUT');
}

/** Every field of `read` except those the spec marks read-only, as a PUT body must carry them. */
function withoutReadOnly(value: JsonObject, readOnly: { top: string[]; properties: string[] }): JsonObject {
  const properties = Object.fromEntries(Object.entries(value['properties'] as JsonObject).filter(([key]) => !readOnly.properties.includes(key)));
  return { ...Object.fromEntries(Object.entries(value).filter(([key]) => !readOnly.top.includes(key))), properties };
}

describe('adapter: upgrades write the whole resource back with If-Match', () => {
  it("pool upgrade: GET AgentPoolsGet, then PUT every writable field with the new orchestratorVersion and If-Match = the read's eTag", async () => {
    const get = exampleBody<JsonObject>(SERVICE, 'AgentPoolsGet.2025-07-01.json');
    const put = restExample(SERVICE, 'AgentPoolsCreate_Update.2025-07-01.json').responses['200']!;
    server = await startExampleServer([
      { method: 'GET', path: POOL_PATH, status: 200, body: get },
      { method: 'PUT', path: POOL_PATH, status: 200, body: put.body },
    ]);
    await adapterFor(server.url, server.caPem).startPoolUpgrade(ADAPTER_CLUSTER, 'agentpool1', '1.10.0');
    const [write] = puts(server.requests);
    expect(write?.headers['if-match']).toBe('ebwiyfneowv');
    const sent = JSON.parse(write?.body ?? '{}') as JsonObject;
    const expected = withoutReadOnly(get, { top: ['id', 'name', 'type'], properties: ['eTag', 'provisioningState', 'currentOrchestratorVersion'] });
    (expected['properties'] as JsonObject)['orchestratorVersion'] = '1.10.0';
    // nodeImageVersion is read-only in 2025-07-01 but part of the SDK's 2026-04-01 model: sent back unchanged.
    expect(sent).toEqual(expected);
    expect((sent['properties'] as JsonObject)['count']).toBe(3);
  });

  it("control-plane upgrade: GET ManagedClustersGet, then PUT the whole cluster with the new kubernetesVersion and If-Match = the read's eTag", async () => {
    const get = exampleBody<JsonObject>(SERVICE, 'ManagedClustersGet.2025-07-01.json');
    server = await startExampleServer([
      { method: 'GET', path: CLUSTER_PATH, status: 200, body: get },
      { method: 'PUT', path: CLUSTER_PATH, status: 200, body: restExample(SERVICE, 'ManagedClustersCreate_Update.2025-07-01.json').responses['200']!.body },
    ]);
    expect(await adapterFor(server.url, server.caPem).startControlPlaneUpgrade(ADAPTER_CLUSTER, '1.10.0')).toEqual({ kind: 'accepted' });
    const [write] = puts(server.requests);
    expect(write?.headers['if-match']).toBe(get['eTag']);
    const sent = JSON.parse(write?.body ?? '{}') as { properties: JsonObject & { agentPoolProfiles: JsonObject[] } };
    expect(sent.properties['kubernetesVersion']).toBe('1.10.0');
    // Every writable field of the read goes back; only what the spec marks read-only is left out.
    const readOnly = {
      top: ['id', 'name', 'type', 'eTag'],
      properties: ['provisioningState', 'maxAgentPools', 'currentKubernetesVersion', 'fqdn', 'azurePortalFQDN', 'kubernetesVersion', 'agentPoolProfiles'],
    };
    const expected = withoutReadOnly(get, readOnly);
    // The SDK writes date-times back in its own format: the same instant.
    const override = ((expected['properties'] as JsonObject)['upgradeSettings'] as { overrideSettings: { until: string } }).overrideSettings;
    override.until = new Date(override.until).toISOString();
    expect({
      ...sent,
      properties: Object.fromEntries(Object.entries(sent.properties).filter(([key]) => !['kubernetesVersion', 'agentPoolProfiles'].includes(key))),
    }).toEqual(expected);
    const examplePool = ((get['properties'] as JsonObject)['agentPoolProfiles'] as JsonObject[])[0]!;
    expect(sent.properties.agentPoolProfiles).toEqual([
      Object.fromEntries(Object.entries(examplePool).filter(([key]) => !['eTag', 'provisioningState', 'currentOrchestratorVersion'].includes(key))),
    ]);
  });

  it('a 412 is read again and written again with the new eTag; never written without If-Match', async () => {
    const get = exampleBody<JsonObject>(SERVICE, 'AgentPoolsGet.2025-07-01.json');
    let reads = 0;
    let writes = 0;
    server = await startExampleServer((request) => {
      if (!POOL_PATH.test(request.url.pathname)) return undefined;
      if (request.method === 'GET') {
        reads += 1;
        const body = clone(get);
        // The second read sees someone else's change: a new eTag.
        if (reads > 1) (body['properties'] as JsonObject)['eTag'] = 'changed-by-someone-else';
        return { method: 'GET', path: POOL_PATH, status: 200, body };
      }
      writes += 1;
      if (writes === 1)
        return {
          method: 'PUT',
          path: POOL_PATH,
          status: 412,
          body: { error: { code: 'PreconditionFailed', message: 'Etag provided in if-match header does not match etag of resource.' } },
        };
      return { method: 'PUT', path: POOL_PATH, status: 200, body: restExample(SERVICE, 'AgentPoolsCreate_Update.2025-07-01.json').responses['200']!.body };
    });
    await adapterFor(server.url, server.caPem).startPoolUpgrade(ADAPTER_CLUSTER, 'agentpool1', '1.10.0');
    expect(server.requests.map((request) => [request.method, request.headers['if-match'] ?? null])).toEqual([
      ['GET', null],
      ['PUT', 'ebwiyfneowv'],
      ['GET', null],
      ['PUT', 'changed-by-someone-else'],
    ]);
  });

  it('a 412 that persists is given up after three reads, as a 412 (the activity observes again next poll)', async () => {
    const get = exampleBody<JsonObject>(SERVICE, 'AgentPoolsGet.2025-07-01.json');
    server = await startExampleServer([
      { method: 'GET', path: POOL_PATH, status: 200, body: get },
      { method: 'PUT', path: POOL_PATH, status: 412, body: { error: { code: 'PreconditionFailed', message: 'Etag mismatch.' } } },
    ]);
    const failure = await statusOf(adapterFor(server.url, server.caPem).startPoolUpgrade(ADAPTER_CLUSTER, 'agentpool1', '1.10.0'));
    expect((failure as { status?: number }).status).toBe(412);
    expect(puts(server.requests)).toHaveLength(3);
  });

  it('the refusal as Learn shows it (unwrapped body, subcode UpgradeBlockedOnDeprecatedAPIUsage) comes back as blocked, with the message', async () => {
    const get = exampleBody<JsonObject>(SERVICE, 'ManagedClustersGet.2025-07-01.json');
    // Learn, stop-cluster-upgrade-api-breaking-changes: "Bad Request({ code, message, subcode })".
    const refusal = {
      code: 'ValidationError',
      message:
        'Control Plane upgrade is blocked due to recent usage of a Kubernetes API deprecated in the specified version. Please refer to https://kubernetes.io/docs/reference/using-api/deprecation-guide to migrate the usage. To bypass this error, set enable-force-upgrade in upgradeSettings.overrideSettings. Bypassing this error without migrating usage will result in the deprecated Kubernetes API calls failing. Usage details: 1 error occurred:\n\t* usage has been detected on API flowcontrol.apiserver.k8s.io.prioritylevelconfigurations.v1beta1, and was recently seen at: 2023-03-23 20:57:18 +0000 UTC, which will be removed in 1.26\n\n',
      subcode: 'UpgradeBlockedOnDeprecatedAPIUsage',
    };
    server = await startExampleServer([
      { method: 'GET', path: CLUSTER_PATH, status: 200, body: get },
      { method: 'PUT', path: CLUSTER_PATH, status: 400, body: refusal },
    ]);
    expect(await adapterFor(server.url, server.caPem).startControlPlaneUpgrade(ADAPTER_CLUSTER, '1.26.0')).toEqual({
      kind: 'blocked',
      code: 'UpgradeBlockedOnDeprecatedAPIUsage',
      message: refusal.message,
    });
  });

  it('any other 400 is an error, not a refusal to exclude over', async () => {
    server = await startExampleServer([
      { method: 'GET', path: CLUSTER_PATH, status: 200, body: exampleBody(SERVICE, 'ManagedClustersGet.2025-07-01.json') },
      { method: 'PUT', path: CLUSTER_PATH, status: 400, body: { error: { code: 'InvalidParameter', message: 'nope' } } },
    ]);
    const failure = await statusOf(adapterFor(server.url, server.caPem).startControlPlaneUpgrade(ADAPTER_CLUSTER, '1.26.0'));
    expect((failure as { status?: number; reason?: string }).reason).toBe('clientError');
  });

  it('node-image upgrade: POST answered 202 with the example returns once accepted', async () => {
    const example = restExample(SERVICE, 'AgentPoolsUpgradeNodeImageVersion.2025-07-01.json').responses['202']!;
    server = await startExampleServer([
      { method: 'POST', path: /\/agentPools\/agentpool1\/upgradeNodeImageVersion$/i, status: 202, body: example.body, headers: example.headers ?? {} },
    ]);
    await adapterFor(server.url, server.caPem).startNodeImageUpgrade(ADAPTER_CLUSTER, 'agentpool1');
    expect(server.requests.map((request) => request.method)).toEqual(['POST']);
  });
});
