/**
 * AKS node-pool rollback (api-version 2026-04-01): the agent pool upgrade profile's
 * `recentlyUsedVersions`, and the pool PUT that sets `orchestratorVersion` + `nodeImageVersion` to one
 * of them.
 * (a) The simulator answers the official AgentPoolsGetUpgradeProfile example (2025-08-02-preview)
 *     with its shape, through the real SDK client; it rolls back and refuses as AKS does.
 * (b) The adapter reads the example verbatim, and writes a rollback as the whole pool with If-Match.
 * No official example shows `recentlyUsedVersions` or a rollback PUT (none in azure-rest-api-specs
 * stable/2026-04-01 or preview/2025-08-02-preview examples): those tests name their sources instead:
 * the SDK's types (@azure/arm-containerservice 25.3.0: AgentPoolRecentlyUsedVersion, and
 * AgentPool.nodeImageVersion "Setting this value triggers an agentPool rollback. Only values from
 * `recentlyUsedVersions` are allowed."), Learn "Roll back node pool versions in AKS"
 * (https://learn.microsoft.com/azure/aks/roll-back-node-pool-version), Azure/karpenter-provider-azure
 * designs/0013-node-image-rollback.md (one entry kept, 7-day TTL, "matching AKS RP semantics"),
 * Azure/azure-cli-extensions#9733 and Azure/azure-cli#33509 (`az aks nodepool rollback`).
 */
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { createContainerService } from '@azure/arm-containerservice/api';
import { afterEach, describe, expect, it } from 'vitest';

import { ContainerServiceAdapter } from '../../lib/azure/containerService.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import { type RunningSimulator, startSimulator } from '../../tooling/simulator/simulatorServer.js';
import type { JsonObject } from '../../tooling/simulator/snapshot.js';
import { compliantCluster } from '../harness/clusters.js';
import { exampleBody, type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'containerservice';
const PROFILE = 'AgentPoolsGetUpgradeProfile.2025-08-02-preview.json';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const CLUSTER_PATH = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1`;
const OLD_IMAGE = 'AKSUbuntu:1604:2020.03.11';
const DAY = 24 * 60 * 60_000;

let simulator: RunningSimulator | undefined;
let server: ExampleServer | undefined;
afterEach(async () => {
  await simulator?.close();
  await server?.close();
  simulator = undefined;
  server = undefined;
});

/**
 * The examples' cluster (ManagedClustersGet) at 1.24.9 with the AgentPoolsGet pool `agentpool1` at
 * 1.23.15 (its image as the example has it), so the pool has upgrades to offer.
 */
async function simulated(autoUpgradeProfile?: JsonObject): Promise<{ sim: RunningSimulator; client: ContainerServiceClient; clock: { now: number } }> {
  const cluster = structuredClone(exampleBody<JsonObject>(SERVICE, 'ManagedClustersGet.2025-07-01.json'));
  const properties = cluster['properties'] as JsonObject & { agentPoolProfiles: JsonObject[] };
  properties['kubernetesVersion'] = properties['currentKubernetesVersion'] = '1.24.9';
  for (const pool of properties.agentPoolProfiles) pool['orchestratorVersion'] = '1.24.9';
  const pool = structuredClone(exampleBody<{ properties: JsonObject }>(SERVICE, 'AgentPoolsGet.2025-07-01.json').properties);
  properties.agentPoolProfiles.push({ name: 'agentpool1', ...pool, orchestratorVersion: '1.23.15', currentOrchestratorVersion: '1.23.15' });
  if (autoUpgradeProfile !== undefined) properties['autoUpgradeProfile'] = autoUpgradeProfile;
  const clock = { now: Date.parse('2026-11-23T08:00:00Z') };
  simulator = await startSimulator({
    snapshot: {
      source: 'examples',
      clusters: [cluster],
      versionsByLocation: new Map([['location1', structuredClone(exampleBody<JsonObject>(SERVICE, 'KubernetesVersions_List.2025-07-01.json'))]]),
      policyStates: undefined,
      logs: new Map(),
    },
    upgrades: { now: () => clock.now },
  });
  const client = new ContainerServiceClient(new SimulatorCredential(), SUBSCRIPTION, {
    endpoint: simulator.url,
    tlsOptions: { ca: simulator.caPem },
    retryOptions: { maxRetries: 0 },
  });
  return { sim: simulator, client, clock };
}

/** The pool as stored, once operations whose time has come have ended. */
function storedPool(sim: RunningSimulator): JsonObject {
  sim.upgrades.settle();
  const cluster = sim.fleet.findCluster(SUBSCRIPTION, 'rg1', 'clustername1')!;
  return (cluster['properties'] as { agentPoolProfiles: JsonObject[] }).agentPoolProfiles.find((pool) => pool['name'] === 'agentpool1')!;
}

/** Upgrades agentpool1 to `version` through the SDK and lets the simulated operation finish. */
async function upgradePool(client: ContainerServiceClient, clock: { now: number }, version: string): Promise<void> {
  const current = await client.agentPools.get('rg1', 'clustername1', 'agentpool1');
  await client.agentPools.beginCreateOrUpdate('rg1', 'clustername1', 'agentpool1', { ...current, orchestratorVersion: version }, { ifMatch: current.eTag! });
  clock.now += 11 * 60_000;
}

/** The rollback PUT as `az aks nodepool rollback` sends it (Azure/azure-cli#33509): the pool read, both versions set, If-Match. */
async function rollBack(
  client: ContainerServiceClient,
  to: { orchestratorVersion: string; nodeImageVersion: string },
): Promise<{ statusCode?: number; code?: string; message?: string; body?: unknown } | undefined> {
  const current = await client.agentPools.get('rg1', 'clustername1', 'agentpool1');
  let body: unknown;
  try {
    await client.agentPools.beginCreateOrUpdate(
      'rg1',
      'clustername1',
      'agentpool1',
      { ...current, ...to },
      { ifMatch: current.eTag!, onResponse: (response) => (body = response.parsedBody) },
    );
    return undefined;
  } catch (error) {
    return { ...(error as { statusCode?: number; code?: string; message?: string }), body };
  }
}

describe('simulator: the agent pool upgrade profile (AgentPoolsGetUpgradeProfile)', () => {
  it("answers the example's request with the example's shape; no recentlyUsedVersions before any upgrade", async () => {
    await simulated();
    const example = restExample(SERVICE, PROFILE);
    const rest = createContainerService(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator!.url, tlsOptions: { ca: simulator!.caPem } });
    const response = await rest
      .pathUnchecked(`${CLUSTER_PATH}/agentPools/agentpool1/upgradeProfiles/default`)
      .get({ queryParameters: { 'api-version': String(example.parameters['api-version']) } });
    expect(response.status).toBe('200');
    expect(shapeMismatches(response.body, example.responses['200']?.body)).toEqual([]);
    expect((response.body as { properties: JsonObject }).properties).toMatchObject({
      kubernetesVersion: '1.23.15',
      upgrades: [{ kubernetesVersion: '1.24.6' }, { kubernetesVersion: '1.24.9' }],
    });
  });

  it('after an upgrade lists the pair the pool left, with when (SDK AgentPoolRecentlyUsedVersion; karpenter 0013: one entry); older api-versions do not show it', async () => {
    const { client, clock } = await simulated();
    const upgradedAt = clock.now;
    await upgradePool(client, clock, '1.24.6');
    const profile = await client.agentPools.getUpgradeProfile('rg1', 'clustername1', 'agentpool1');
    expect(profile.kubernetesVersion).toBe('1.24.6');
    expect(profile.recentlyUsedVersions).toEqual([
      { orchestratorVersion: '1.23.15', nodeImageVersion: OLD_IMAGE, timestamp: new Date(upgradedAt + 10 * 60_000) },
    ]);
    const rest = createContainerService(new SimulatorCredential(), SUBSCRIPTION, { endpoint: simulator!.url, tlsOptions: { ca: simulator!.caPem } });
    const old = await rest
      .pathUnchecked(`${CLUSTER_PATH}/agentPools/agentpool1/upgradeProfiles/default`)
      .get({ queryParameters: { 'api-version': '2025-07-01' } });
    expect((old.body as { properties: JsonObject }).properties['recentlyUsedVersions']).toBeUndefined();
  });
});

describe('simulator: rollback is the pool PUT back to recentlyUsedVersions (SDK AgentPool.nodeImageVersion, 2026-04-01)', () => {
  it('restores both the Kubernetes and the node image version (Learn roll-back-node-pool-version: "Restores both Kubernetes and node image versions")', async () => {
    const { sim, client, clock } = await simulated({ upgradeChannel: 'none', nodeOSUpgradeChannel: 'None' });
    await upgradePool(client, clock, '1.24.6');
    expect(storedPool(sim)).toMatchObject({ currentOrchestratorVersion: '1.24.6' });
    expect(storedPool(sim)['nodeImageVersion']).not.toBe(OLD_IMAGE);
    expect(await rollBack(client, { orchestratorVersion: '1.23.15', nodeImageVersion: OLD_IMAGE })).toBeUndefined();
    expect(storedPool(sim)['provisioningState']).toBe('Upgrading');
    clock.now += 11 * 60_000;
    const after = await client.agentPools.get('rg1', 'clustername1', 'agentpool1');
    expect({ version: after.currentOrchestratorVersion, image: after.nodeImageVersion, state: after.provisioningState }).toEqual({
      version: '1.23.15',
      image: OLD_IMAGE,
      state: 'Succeeded',
    });
  });

  it('refuses a pair that is not in recentlyUsedVersions: 400 InvalidParameter, nothing changes (SDK doc: "Only values from recentlyUsedVersions are allowed"; code and text unverified)', async () => {
    const { sim, client, clock } = await simulated();
    await upgradePool(client, clock, '1.24.6');
    const refused = await rollBack(client, { orchestratorVersion: '1.23.15', nodeImageVersion: 'AKSUbuntu:1604:2019.01.01' });
    expect(refused).toMatchObject({
      statusCode: 400,
      code: 'InvalidParameter',
      body: {
        error: {
          code: 'InvalidParameter',
          target: 'properties.nodeImageVersion',
          message: expect.stringContaining('recentlyUsedVersions (1.23.15/AKSUbuntu:1604:2020.03.11)'),
        },
      },
    });
    expect(storedPool(sim)).toMatchObject({ orchestratorVersion: '1.24.6', provisioningState: 'Succeeded' });
  });

  it('refuses more than one step back: only the last pair is kept, and a rolled-back pool has none left (Learn: "one step back"; karpenter 0013: one entry)', async () => {
    const { sim, client, clock } = await simulated();
    await upgradePool(client, clock, '1.24.6');
    const secondImage = String(storedPool(sim)['nodeImageVersion']);
    clock.now += DAY;
    await upgradePool(client, clock, '1.24.9');
    expect(await rollBack(client, { orchestratorVersion: '1.23.15', nodeImageVersion: OLD_IMAGE })).toMatchObject({
      statusCode: 400,
      code: 'InvalidParameter',
    });
    expect(await rollBack(client, { orchestratorVersion: '1.24.6', nodeImageVersion: secondImage })).toBeUndefined();
    clock.now += 11 * 60_000;
    expect(storedPool(sim)).toMatchObject({ currentOrchestratorVersion: '1.24.6', nodeImageVersion: secondImage });
    expect((await client.agentPools.getUpgradeProfile('rg1', 'clustername1', 'agentpool1')).recentlyUsedVersions).toBeUndefined();
    expect(await rollBack(client, { orchestratorVersion: '1.23.15', nodeImageVersion: OLD_IMAGE })).toMatchObject({
      statusCode: 400,
      code: 'InvalidParameter',
    });
  });

  it('refuses a pair last used more than 7 days ago (Learn: within 7 days; karpenter 0013: 7-day TTL, a validation gate only)', async () => {
    const { sim, client, clock } = await simulated();
    await upgradePool(client, clock, '1.24.6');
    clock.now += 7 * DAY + 60_000;
    const refused = await rollBack(client, { orchestratorVersion: '1.23.15', nodeImageVersion: OLD_IMAGE });
    expect(refused).toMatchObject({ statusCode: 400, code: 'InvalidParameter', body: { error: { message: expect.stringContaining('more than 7 days ago') } } });
    expect(storedPool(sim)).toMatchObject({ orchestratorVersion: '1.24.6' });
  });

  it('refuses while the cluster\'s auto-upgrade channel is on (Learn: disable it first; Azure/azure-cli-extensions#9733: "Rollback will not succeed until auto-upgrade is disabled"; code unverified)', async () => {
    const { sim, client, clock } = await simulated({ upgradeChannel: 'stable', nodeOSUpgradeChannel: 'None' });
    await upgradePool(client, clock, '1.24.6');
    const refused = await rollBack(client, { orchestratorVersion: '1.23.15', nodeImageVersion: OLD_IMAGE });
    expect(refused).toMatchObject({
      statusCode: 400,
      code: 'OperationNotAllowed',
      body: { error: { message: expect.stringContaining("auto-upgrade channel of managed cluster 'clustername1' is 'stable'") } },
    });
    expect(storedPool(sim)).toMatchObject({ orchestratorVersion: '1.24.6' });
  });

  it('refuses the node image half while the node OS channel is NodeImage (Azure/azure-cli-extensions#9733: "the node image rollback will not succeed")', async () => {
    const { client, clock } = await simulated({ upgradeChannel: 'none', nodeOSUpgradeChannel: 'NodeImage' });
    await upgradePool(client, clock, '1.24.6');
    expect(await rollBack(client, { orchestratorVersion: '1.23.15', nodeImageVersion: OLD_IMAGE })).toMatchObject({
      statusCode: 400,
      code: 'OperationNotAllowed',
    });
  });
});

describe('adapter: rollback options and the rollback write', () => {
  const CLUSTER = compliantCluster({ id: CLUSTER_PATH, name: 'clustername1', subscriptionId: SUBSCRIPTION, resourceGroup: 'rg1' });
  const adapterFor = (url: string, caPem: string) =>
    new ContainerServiceAdapter(new SimulatorCredential(), { kind: 'simulator', armEndpoint: url, caPem }, { maxRetries: 0 });

  it('reads the AgentPoolsGetUpgradeProfile example verbatim: its version, nothing to roll back to', async () => {
    server = await startExampleServer([
      { method: 'GET', path: /\/agentPools\/agentpool1\/upgradeProfiles\/default$/i, status: 200, body: exampleBody(SERVICE, PROFILE) },
    ]);
    expect(await adapterFor(server.url, server.caPem).poolRollbackOptions(CLUSTER, 'agentpool1')).toEqual({
      pool: 'agentpool1',
      kubernetesVersion: '1.12.8',
      recentlyUsedVersions: [],
    });
  });

  it('reads recentlyUsedVersions as the SDK types them (AgentPoolRecentlyUsedVersion; no official example shows one)', async () => {
    const body = structuredClone(exampleBody<{ properties: JsonObject }>(SERVICE, PROFILE));
    body.properties['recentlyUsedVersions'] = [
      { orchestratorVersion: '1.12.7', nodeImageVersion: 'AKSUbuntu:1604:2020.02.01', timestamp: '2026-11-20T10:00:00Z' },
      { nodeImageVersion: 'no version: cannot be written back' },
    ];
    server = await startExampleServer([{ method: 'GET', path: /\/upgradeProfiles\/default$/i, status: 200, body }]);
    expect((await adapterFor(server.url, server.caPem).poolRollbackOptions(CLUSTER, 'agentpool1')).recentlyUsedVersions).toEqual([
      { orchestratorVersion: '1.12.7', nodeImageVersion: 'AKSUbuntu:1604:2020.02.01', timestamp: '2026-11-20T10:00:00.000Z' },
    ]);
  });

  it('writes a rollback as GET AgentPoolsGet, then PUT of the whole pool with both versions set and If-Match (Azure/azure-cli#33509 does the same)', async () => {
    const get = exampleBody<JsonObject>(SERVICE, 'AgentPoolsGet.2025-07-01.json');
    server = await startExampleServer([
      { method: 'GET', path: /\/agentPools\/agentpool1$/i, status: 200, body: get },
      {
        method: 'PUT',
        path: /\/agentPools\/agentpool1$/i,
        status: 200,
        body: restExample(SERVICE, 'AgentPoolsCreate_Update.2025-07-01.json').responses['200']!.body,
      },
    ]);
    await adapterFor(server.url, server.caPem).startPoolRollback(CLUSTER, 'agentpool1', {
      orchestratorVersion: '1.9.5',
      nodeImageVersion: 'AKSUbuntu:1604:2020.02.01',
    });
    const write = server.requests.find((request) => request.method === 'PUT');
    expect(write?.headers['if-match']).toBe('ebwiyfneowv');
    const sent = JSON.parse(write?.body ?? '{}') as { properties: JsonObject };
    expect(sent.properties).toMatchObject({ orchestratorVersion: '1.9.5', nodeImageVersion: 'AKSUbuntu:1604:2020.02.01', count: 3, vmSize: 'Standard_DS1_v2' });
  });
});
