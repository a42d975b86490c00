/**
 * The simulator's Kubernetes API stand-in answers as kube-apiserver does: real paths, typed `List`
 * bodies, `limit`/`continue` paging, 410 Expired for an old continue token, 401/403 as `Status`
 * objects (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks);
 * and listClusterUserCredential returns a kubeconfig that points at it.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { AKS_ENTRA_SERVER_APP, credentialRoutes, type KubernetesStandIn, startKubernetesStandIn } from '../../tooling/simulator/kubernetesApi.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { projectRoot } from '../harness/fixtures.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
const TOKEN = 'test-token';

let standIn: KubernetesStandIn | undefined;
let local: LocalAzure | undefined;
afterEach(async () => {
  await standIn?.close();
  await local?.close();
  standIn = undefined;
  local = undefined;
});

function call(url: string, ca: string, options: { token?: string; method?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: options.method ?? 'GET', ca, headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` } },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function fileItems(resource: string): Array<Record<string, unknown>> {
  const file = path.join(SAMPLE, 'kubernetes', '11111111-1111-1111-1111-111111111111', 'web', 'web-dev', `${resource}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { items: Array<Record<string, unknown>> }).items.map(
    ({ kind: _kind, apiVersion: _apiVersion, ...rest }) => {
      void _kind;
      void _apiVersion;
      return rest;
    },
  );
}

describe('Kubernetes API stand-in', () => {
  it('pages a list with limit and continue, in key order, to exactly the snapshot objects; namespaced paths filter', async () => {
    standIn = await startKubernetesStandIn({ kubernetes: loadSnapshot(SAMPLE).kubernetes!, token: TOKEN });
    const base = standIn.serverFor(WEB_DEV);
    const first = await call(`${base}/api/v1/namespaces?limit=3`, standIn.caPem, { token: TOKEN });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: '1000', remainingItemCount: 4 } });
    const items = [...(first.body['items'] as unknown[])];
    let next = (first.body['metadata'] as { continue?: string }).continue;
    let pages = 1;
    while (next !== undefined) {
      const page = await call(`${base}/api/v1/namespaces?limit=3&continue=${encodeURIComponent(next)}`, standIn.caPem, { token: TOKEN });
      items.push(...(page.body['items'] as unknown[]));
      next = (page.body['metadata'] as { continue?: string }).continue;
      pages += 1;
    }
    expect(pages).toBe(3);
    const byName = (item: unknown) => (item as { metadata: { name: string } }).metadata.name;
    expect(items.map(byName)).toEqual(fileItems('namespaces').map(byName).sort());
    expect(items).toEqual(expect.arrayContaining(fileItems('namespaces')));

    const rbac = await call(`${base}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, standIn.caPem, { token: TOKEN });
    expect(rbac.body).toMatchObject({ kind: 'ClusterRoleBindingList', apiVersion: 'rbac.authorization.k8s.io/v1' });
    expect((rbac.body['metadata'] as Record<string, unknown>)['continue']).toBeUndefined();

    const frontendPods = await call(`${base}/api/v1/namespaces/frontend/pods`, standIn.caPem, { token: TOKEN });
    expect((frontendPods.body['items'] as unknown[]).map(byName)).toEqual(['web-6d8f7-2kx9p', 'web-6d8f7-8zq1m']);
    // Wrong group for the resource, an unknown resource: not found, as on a server without them.
    for (const wrong of ['/api/v1/clusterroles', '/apis/networking.k8s.io/v1/pods', '/api/v1/namespaces/frontend/namespaces']) {
      expect((await call(`${base}${wrong}`, standIn.caPem, { token: TOKEN })).status, wrong).toBe(404);
    }
    // Secrets exist on every API server (discovery lists them); ours are never granted: 403.
    expect((await call(`${base}/api/v1/secrets`, standIn.caPem, { token: TOKEN })).status).toBe(403);
  });

  it('refuses an expired continue token with 410 Expired, a missing token with 401 and an identity without a role with 403', async () => {
    let clock = 0;
    standIn = await startKubernetesStandIn({ kubernetes: loadSnapshot(SAMPLE).kubernetes!, token: TOKEN, now: () => clock });
    const base = standIn.serverFor(WEB_DEV);
    const first = await call(`${base}/api/v1/pods?limit=2`, standIn.caPem, { token: TOKEN });
    const token = (first.body['metadata'] as { continue: string }).continue;
    clock += 5 * 60_000 + 1;
    const expired = await call(`${base}/api/v1/pods?limit=2&continue=${encodeURIComponent(token)}`, standIn.caPem, { token: TOKEN });
    expect(expired).toMatchObject({ status: 410, body: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 } });

    expect(await call(`${base}/api/v1/pods`, standIn.caPem)).toMatchObject({ status: 401, body: { kind: 'Status', reason: 'Unauthorized', code: 401 } });
    expect((await call(`${base}/api/v1/pods`, standIn.caPem, { token: 'other' })).status).toBe(401);
    standIn.forbidden.add(WEB_DEV.toLowerCase());
    expect(await call(`${base}/apis/rbac.authorization.k8s.io/v1/roles`, standIn.caPem, { token: TOKEN })).toMatchObject({
      status: 403,
      body: {
        reason: 'Forbidden',
        message: 'roles is forbidden: User "fleetguard" cannot list resource "roles" in API group "rbac.authorization.k8s.io" at the cluster scope',
      },
    });
  });

  it('listClusterUserCredential returns a kubeconfig whose server and CA reach the stand-in', async () => {
    const snapshot = loadSnapshot(SAMPLE);
    // Without its folders the local Azure starts no stand-in of its own: the routes below are this test's.
    local = await startLocalAzure({ snapshot: { ...snapshot, kubernetes: undefined } });
    standIn = await startKubernetesStandIn({ kubernetes: snapshot.kubernetes!, token: TOKEN });
    const simulator = local.simulator;
    simulator.addRoutes(credentialRoutes(standIn, (subscriptionId, resourceGroup, name) => simulator.fleet.findCluster(subscriptionId, resourceGroup, name)));
    const answer = await call(`${simulator.url}${WEB_DEV}/listClusterUserCredential?api-version=2025-07-01`, simulator.caPem, { token: 'arm', method: 'POST' });
    expect(answer.status).toBe(200);
    const [credential] = answer.body['kubeconfigs'] as Array<{ name: string; value: string }>;
    expect(credential?.name).toBe('clusterUser');
    const kubeconfig = parse(Buffer.from(credential!.value, 'base64').toString('utf8')) as {
      clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
      users: Array<{ user: { exec: { args: string[] } } }>;
    };
    const cluster = kubeconfig.clusters[0]!.cluster;
    expect(cluster.server).toBe(standIn.serverFor(WEB_DEV));
    expect(kubeconfig.users[0]!.user.exec.args).toContain(AKS_ENTRA_SERVER_APP);
    const ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
    expect((await call(`${cluster.server}/api/v1/serviceaccounts`, ca, { token: TOKEN })).body).toMatchObject({ kind: 'ServiceAccountList' });

    const missing = await call(`${simulator.url}${WEB_DEV.replace('web-dev', 'nope')}/listClusterUserCredential?api-version=2025-07-01`, simulator.caPem, {
      token: 'arm',
      method: 'POST',
    });
    expect(missing.status).toBe(404);
  });
});
