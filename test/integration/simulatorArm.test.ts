import { request } from 'node:https';

import { ContainerServiceClient } from '@azure/arm-containerservice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { generateFleet, subscriptionIdFor } from '../../tooling/simulator/fleetGenerator.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

function rawGet(fleet: TestFleet, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fleet.local.simulator.url}${path}`, { ca: fleet.local.simulator.caPem, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ARM simulator with the real SDK clients', () => {
  let fleet: TestFleet;
  const subscription = subscriptionIdFor(0);

  beforeAll(async () => {
    fleet = await startTestFleet({ snapshot: generateFleet({ clusters: 7, subscriptions: 1, locations: 2 }), pageSize: 2 });
  });
  afterAll(() => fleet.close());

  it('serves HTTPS with a certificate the clients trust only through tlsOptions.ca', async () => {
    await expect(
      new Promise((resolve, reject) => request(`${fleet.local.simulator.url}/subscriptions?api-version=2022-12-01`, resolve).on('error', reject).end()),
    ).rejects.toThrow(/self[- ]signed/i);
  });

  it('pages the cluster list (3+ pages) and the SDK follows nextLink', async () => {
    fleet.local.simulator.requests.clear();
    const listing = await fleet.clients.fleet.listClusters(subscription);
    expect(listing.clusters).toHaveLength(7);
    expect(new Set(listing.clusters.map((cluster) => cluster.id)).size).toBe(7);
    expect(fleet.local.simulator.requests.count('arm.listManagedClusters', 200)).toBe(4);
  });

  it('requires a bearer token, answering 401 in ARM error format', async () => {
    const response = await rawGet(fleet, `/subscriptions/${subscription}/providers/Microsoft.ContainerService/managedClusters?api-version=2025-07-01`);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: 'AuthenticationFailed', message: expect.stringContaining('Authorization') } });
    const empty = await rawGet(fleet, '/subscriptions?api-version=1', { authorization: 'Bearer ' });
    expect(empty.status).toBe(401);
  });

  it('answers unknown paths with 404 and the ARM error body', async () => {
    const response = await rawGet(fleet, '/subscriptions/x/providers/Microsoft.Unknown/things?api-version=1', { authorization: 'Bearer t' });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'NotFound', message: expect.any(String) } });
  });

  it('requires api-version on ARM routes', async () => {
    const response = await rawGet(fleet, '/subscriptions', { authorization: 'Bearer t' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
  });

  it('gets one cluster and its upgrade profile through the SDK', async () => {
    const client = new ContainerServiceClient(new SimulatorCredential(), subscription, {
      endpoint: fleet.local.simulator.url,
      tlsOptions: { ca: fleet.local.simulator.caPem },
    });
    const cluster = await client.managedClusters.get('rg-1', 'AKS-00001');
    expect(cluster.name).toBe('aks-00001');
    expect(cluster.currentKubernetesVersion).toBe('1.31.4');
    const profile = await client.managedClusters.getUpgradeProfile('rg-1', 'aks-00001');
    expect(profile.controlPlaneProfile.kubernetesVersion).toBe('1.31.4');
    expect(profile.controlPlaneProfile.upgrades?.map((upgrade) => upgrade.kubernetesVersion)).toEqual(['1.32.4']);
    expect(profile.agentPoolProfiles?.[0]?.name).toBe('system');
    await expect(client.managedClusters.get('rg-1', 'nope')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('lists Kubernetes versions per location through the SDK', async () => {
    const catalog = await fleet.clients.fleet.listKubernetesVersions(subscription, 'westeurope');
    expect(catalog.minors.map((minor) => minor.minor)).toEqual(['1.30', '1.31', '1.32']);
    await expect(fleet.clients.fleet.listKubernetesVersions(subscription, 'atlantis')).rejects.toMatchObject({ reason: 'clientError', status: 400 });
  });

  it('discovers subscriptions', async () => {
    expect(await fleet.clients.fleet.listSubscriptionIds()).toEqual([subscription]);
  });
});
