/**
 * Live in-cluster access (issue 16, "Live access, the way AKS intends it"): the app's Kubernetes
 * adapter (lib/azure/kubernetes.ts, @kubernetes/client-node) over HTTPS to the simulator's
 * Kubernetes API stand-in, with the kubeconfig from the simulator's listClusterUserCredential and
 * the token the local credential issues for the AKS Entra server application. Paging and 410 Expired
 * as the API server does them (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks);
 * coverage states from what the API server (or the network) answers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { SimulatorCredential } from '../../lib/azure/credential.js';
import { KubernetesAdapter } from '../../lib/azure/kubernetes.js';
import type { Cluster } from '../../lib/model/cluster.js';
import type { InClusterRead, InClusterReader } from '../../lib/model/inCluster.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import { snapshotModeInClusterReader } from '../../tooling/localModesTooling.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { projectRoot } from '../harness/fixtures.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const WEB_DEV = `/subscriptions/${SUBSCRIPTION}/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev`;
const CREDENTIAL_ROUTE = 'arm.managedClusters.listClusterUserCredential';

let local: LocalAzure | undefined;
afterEach(async () => {
  await local?.close();
  local = undefined;
});

async function start(settings: Record<string, string> = {}): Promise<{ local: LocalAzure; reader: InClusterReader; clusters: Map<string, Cluster> }> {
  local = await startLocalAzure({ snapshot: loadSnapshot(SAMPLE), settings: { FLEETGUARD_IN_CLUSTER_PAGE_SIZE: '2', ...settings } });
  const clients = createAzureClients(local.config, { retry: { maxRetries: 0 } });
  const listed = await clients.containerService.listClusters(SUBSCRIPTION);
  const other = await clients.containerService.listClusters('22222222-2222-2222-2222-222222222222');
  const clusters = new Map([...listed.clusters, ...other.clusters].map((cluster) => [cluster.name, cluster]));
  local.simulator.requests.clear();
  expect(clients.inCluster, 'FLEETGUARD_IN_CLUSTER is on when the snapshot has kubernetes/ folders').toBeDefined();
  return { local, reader: clients.inCluster!, clusters };
}

function fileNames(cluster: string, resource: string): string[] {
  const file = path.join(SAMPLE, 'kubernetes', SUBSCRIPTION, cluster === 'web-dev' ? 'web' : 'payments', cluster, `${resource}.json`);
  const items = (JSON.parse(readFileSync(file, 'utf8')) as { items: Array<{ metadata: { namespace?: string; name: string } }> }).items;
  return items.map((item) => `${item.metadata.namespace ?? ''}/${item.metadata.name}`).sort();
}

function readNames(read: InClusterRead, resource: 'namespaces' | 'pods'): string[] {
  if (read.state !== 'checked') throw new Error(`not checked: ${read.state} ${read.reason}`);
  const items = (read.lists[resource]?.body as { items: Array<{ metadata: { namespace?: string; name: string } }> }).items;
  return items.map((item) => `${item.metadata.namespace ?? ''}/${item.metadata.name}`).sort();
}

function cluster(clusters: Map<string, Cluster>, name: string): Cluster {
  const found = clusters.get(name);
  if (found === undefined) throw new Error(`no cluster ${name}`);
  return found;
}

describe('live in-cluster reads through @kubernetes/client-node against the stand-in', () => {
  it('pages every list across limit with the continue token, in one read per resource, and reads all eight resources', async () => {
    const { local, reader, clusters } = await start();
    const read = await reader.read(cluster(clusters, 'web-dev'));
    expect(read.state).toBe('checked');
    expect(readNames(read, 'namespaces')).toEqual(fileNames('web-dev', 'namespaces'));
    expect(readNames(read, 'pods')).toEqual(fileNames('web-dev', 'pods'));
    if (read.state === 'checked') expect(Object.keys(read.lists).sort()).toEqual(expect.arrayContaining(['clusterrolebindings', 'networkpolicies', 'roles']));
    const namespaceCalls = local.kubernetes!.requests.filter((request) => request.includes('/api/v1/namespaces'));
    // 7 namespaces at 2 a page: 4 calls, the first without a continue token, the others with one.
    expect(namespaceCalls).toHaveLength(4);
    expect(namespaceCalls.every((request) => request.includes('limit=2'))).toBe(true);
    expect(namespaceCalls.filter((request) => request.includes('continue=')).length).toBe(3);
    expect(local.kubernetes!.requests.some((request) => request.includes('secrets'))).toBe(false);
    expect(local.simulator.requests.count(CREDENTIAL_ROUTE)).toBe(1);
  });

  it('restarts a list from the beginning once when its continue token has expired (410) and completes it', async () => {
    const { local, reader, clusters } = await start();
    local.kubernetes!.faults.expireContinues = 1;
    const read = await reader.read(cluster(clusters, 'web-dev'));
    expect(read).toMatchObject({ state: 'checked' });
    expect(read.state === 'checked' ? read.unread : 'not checked').toBeUndefined();
    expect(readNames(read, 'namespaces')).toEqual(fileNames('web-dev', 'namespaces'));
    const namespaceCalls = local.kubernetes!.requests.filter((request) => request.includes('/api/v1/namespaces'));
    expect(namespaceCalls.filter((request) => !request.includes('continue='))).toHaveLength(2);
  });

  it('a token the API server refuses (401: asked for another audience) is unauthorized', async () => {
    const { local, clusters } = await start();
    const containerService = createAzureClients(local.config).containerService;
    // The local credential's token for ARM: an AKS API server refuses a token not issued for its server application.
    const armToken = { getToken: () => new SimulatorCredential().getToken(`${local.config.azure.armEndpoint}/.default`) };
    const reader = new KubernetesAdapter(containerService, armToken, local.config.inCluster);
    const read = await reader.read(cluster(clusters, 'web-dev'));
    expect(read).toMatchObject({ state: 'unauthorized', reason: expect.stringContaining('HTTP 401') });
    // Refused once: the other resources are not tried with the same token.
    expect(local.kubernetes!.requests).toHaveLength(1);
  });

  it('an identity without a role (403 on every resource) is unauthorized', async () => {
    const { local, reader, clusters } = await start();
    local.kubernetes!.forbidden.add(WEB_DEV.toLowerCase());
    const read = await reader.read(cluster(clusters, 'web-dev'));
    expect(read).toMatchObject({ state: 'unauthorized', reason: expect.stringContaining('cannot list resource "namespaces"') });
  });

  it('an API server that refuses connections is unreachable within the budget, the reason naming the private API server', async () => {
    const { local, reader, clusters } = await start({ FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS: '5' });
    await local.kubernetes!.close();
    const started = Date.now();
    const read = await reader.read(cluster(clusters, 'payments-prod'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(read).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('ECONNREFUSED') });
    expect(read.state === 'checked' ? '' : read.reason).toContain('the API server is private');
  });

  it('a cluster without aadProfile is notEntraIntegrated without any call', async () => {
    const { local, reader, clusters } = await start();
    const read = await reader.read(cluster(clusters, 'batch-staging'));
    expect(read).toMatchObject({ state: 'notEntraIntegrated', reason: expect.stringContaining('local accounts only') });
    expect(local.simulator.requests.count()).toBe(0);
    expect(local.kubernetes!.requests).toHaveLength(0);
  });

  it('a slow API server costs one timeout: the cluster is unreachable after its budget while the others are checked', async () => {
    // The budget is measured, not guessed: 3 times what a healthy cluster's read takes on this
    // machine now, at least 1 s (a fixed 1 s made the healthy cluster time out under load).
    const probe = await start();
    await probe.reader.read(cluster(probe.clusters, 'payments-prod'));
    const timed = performance.now();
    await probe.reader.read(cluster(probe.clusters, 'payments-prod'));
    const budget = Math.max(1, Math.ceil((3 * (performance.now() - timed)) / 1000));
    await probe.local.close();
    const { local, reader } = await start({ FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS: String(budget) });
    // Answers after the test has ended (the stand-in drops it at close): never within any budget.
    local.kubernetes!.faults.delays.set(WEB_DEV.toLowerCase(), 10 * 60_000);
    const clients = createAzureClients(local.config, { retry: { maxRetries: 0 } });
    const started = Date.now();
    const result = await runSweep({ fleet: clients.fleet, inCluster: reader }, { subscriptions: [], concurrency: 4, trigger: 'test' });
    const elapsed = Date.now() - started;
    const states = Object.fromEntries(result.clusters.map((summary) => [summary.name, summary.inCluster?.state]));
    expect(states).toEqual({ 'web-dev': 'unreachable', 'payments-prod': 'checked', 'batch-staging': 'notEntraIntegrated' });
    expect(result.clusters.find((summary) => summary.name === 'web-dev')?.inCluster?.reason).toContain(`no answer within ${budget} s (timeout)`);
    // One budget, not one per call or per resource.
    expect(elapsed).toBeLessThan(budget * 2500);
    expect(local.kubernetes!.requests.filter((request) => request.startsWith('/clusters/11111111-1111-1111-1111-111111111111/web/'))).toHaveLength(1);
  });

  it('snapshot mode (`sweep --snapshot`) reads the captured clusters through the same client, over HTTPS to the stand-in', async () => {
    const snapshot = loadSnapshot(SAMPLE);
    local = await startLocalAzure({ snapshot });
    const clients = createAzureClients(local.config, { retry: { maxRetries: 0 } });
    const reader = snapshotModeInClusterReader(local, snapshot.kubernetes!);
    const result = await runSweep({ fleet: clients.fleet, inCluster: reader }, { subscriptions: [], concurrency: 4, trigger: 'test' });
    expect(result.findings.filter((finding) => finding.ruleId.startsWith('K8S-'))).toHaveLength(6);
    expect(result.stats.inCluster).toEqual({ checked: 2, unreachable: 0, unauthorized: 0, notEntraIntegrated: 1 });
    expect(local.simulator.requests.count(CREDENTIAL_ROUTE)).toBe(2);
    expect(local.kubernetes!.requests.length).toBeGreaterThanOrEqual(16);
  });
});
