/**
 * Checked with a real client nobody here wrote: kubectl (installed with apt when missing, see
 * test/harness/kubectl.ts) against the simulator's Kubernetes API stand-in. `kubectl get <resource>
 * -A -o json --chunk-size 2` for every §5 resource must page through the stand-in and print exactly
 * the objects of the snapshot's files; Secrets are refused with kubectl's Forbidden error; a wrong
 * token gives kubectl's Unauthorized error.
 *
 * What kubectl needs first is discovery and `/version` (https://kubernetes.io/docs/concepts/overview/
 * kubernetes-api/#discovery-api; tooling/simulator/kubernetesDiscovery.ts); paging is
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
 * (kubectl's `--chunk-size` is the `limit` of each request).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KUBERNETES_RESOURCES } from '../../lib/model/inCluster.js';
import { type KubernetesStandIn, startKubernetesStandIn } from '../../tooling/simulator/kubernetesApi.js';
import { AGGREGATED_DISCOVERY_TYPE } from '../../tooling/simulator/kubernetesDiscovery.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { projectRoot } from '../harness/fixtures.js';
import { type Kubectl, kubectlFor } from '../harness/kubectl.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
// One cluster keeps the test cheap (one kubectl process per resource, ~0.5 s each); the stand-in's
// own test covers the other.
const CLUSTERS = [{ resourceGroup: 'web', name: 'web-dev' }];
const TOKEN = 'kubectl-test-token';
const clusterId = (cluster: { resourceGroup: string; name: string }) =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/${cluster.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster.name}`;

type Json = Record<string, unknown>;

/** The objects of a snapshot file, keyed `namespace/name`, each with kind and apiVersion (as `kubectl get -o json` prints them). */
function fileObjects(cluster: { resourceGroup: string; name: string }, resource: string): Map<string, Json> {
  const file = path.join(SAMPLE, 'kubernetes', SUBSCRIPTION, cluster.resourceGroup, cluster.name, `${resource}.json`);
  const items = (JSON.parse(readFileSync(file, 'utf8')) as { items: Json[] }).items;
  return new Map(items.map((item) => [key(item), item]));
}

function key(item: Json): string {
  const metadata = item['metadata'] as { namespace?: string; name: string };
  return `${metadata.namespace ?? ''}/${metadata.name}`;
}

let standIn: KubernetesStandIn;
const clients: Kubectl[] = [];

beforeAll(async () => {
  standIn = await startKubernetesStandIn({ kubernetes: loadSnapshot(SAMPLE).kubernetes!, token: TOKEN });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await standIn.close();
});

function kubectl(cluster: { resourceGroup: string; name: string }, token = TOKEN): Kubectl {
  const client = kubectlFor(standIn.serverFor(clusterId(cluster)), standIn.caPem, token);
  clients.push(client);
  return client;
}

describe('kubectl against the Kubernetes API stand-in', () => {
  it('lists every §5 resource with -A -o json, paged by --chunk-size, to exactly the snapshot objects', async () => {
    for (const cluster of CLUSTERS) {
      const client = kubectl(cluster);
      const before = standIn.requests.length;
      for (const resource of KUBERNETES_RESOURCES) {
        const result = await client.run(['get', resource, '-A', '-o', 'json', '--chunk-size', '2']);
        expect(result.stderr, `${cluster.name} ${resource}`).toBe('');
        expect(result.code, `${cluster.name} ${resource}`).toBe(0);
        const printed = JSON.parse(result.stdout) as { kind: string; items: Json[] };
        expect(printed.kind).toBe('List');
        const expected = fileObjects(cluster, resource);
        // Same objects, field for field; kubectl prints them in the server's (key) order.
        expect(printed.items.map(key)).toEqual([...expected.keys()].sort());
        for (const item of printed.items) expect(item, `${cluster.name} ${resource} ${key(item)}`).toEqual(expected.get(key(item)));
      }
      const served = standIn.requests.slice(before).map((request) => request.replace(/^\/clusters\/[^/]+\/[^/]+\/[^/?]+/, ''));
      // Paging happened: more than one list page for at least the larger resources, each with limit=2.
      const pages = served.filter((request) => /[?&]continue=/.test(request));
      expect(pages.length, `${cluster.name}: continue requests`).toBeGreaterThan(0);
      expect(served.filter((request) => /^\/api\/v1\/pods\?/.test(request)).every((request) => /[?&]limit=2(&|$)/.test(request))).toBe(true);
      // Discovery before the lists, as against a real API server.
      expect(served.some((request) => /^\/api(\?|$)/.test(request))).toBe(true);
      expect(served.some((request) => /^\/apis(\?|$)/.test(request))).toBe(true);
    }
  });

  it("refuses Secrets with Forbidden (kubectl prints the API server's Status message)", async () => {
    const result = await kubectl(CLUSTERS[0]!).run(['get', 'secrets', '-A']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'Error from server (Forbidden): secrets is forbidden: User "fleetguard" cannot list resource "secrets" in API group "" at the cluster scope',
    );
    const inNamespace = await kubectl(CLUSTERS[0]!).run(['get', 'secrets', '-n', 'frontend', '-o', 'json']);
    expect(inNamespace.stderr).toContain(
      'Error from server (Forbidden): secrets is forbidden: User "fleetguard" cannot list resource "secrets" in API group "" in the namespace "frontend"',
    );
    // kubectl -o json prints an empty List when the server refuses: no secret reaches the output.
    expect((JSON.parse(inNamespace.stdout) as { items: unknown[] }).items).toEqual([]);
  });

  it("gives kubectl's Unauthorized error for a wrong token, and prints no objects", async () => {
    const result = await kubectl(CLUSTERS[0]!, 'not-the-token').run(['get', 'namespaces', '-A', '-o', 'json']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/);
  });

  it('gets a single object by name and names a missing one as the API server does', async () => {
    const client = kubectl(CLUSTERS[0]!);
    const found = await client.run(['get', 'namespace', 'frontend', '-o', 'json']);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual(fileObjects(CLUSTERS[0]!, 'namespaces').get('/frontend'));
    const missing = await client.run(['get', 'clusterrole', 'no-such-role']);
    expect(missing.stderr).toContain('Error from server (NotFound): clusterroles.rbac.authorization.k8s.io "no-such-role" not found');
  });
});

/** One GET with a chosen Accept header: what kubectl's discovery client sends, without kubectl. */
function get(url: string, accept: string): Promise<{ status: number; contentType: string; body: Json }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ca: standIn.caPem, headers: { authorization: `Bearer ${TOKEN}`, accept } }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode ?? 0,
          contentType: String(incoming.headers['content-type']),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('discovery as the API server negotiates it (https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api)', () => {
  // kubectl 1.30+ sends this (k8s.io/client-go discovery, AcceptV2 then v2beta1 then plain JSON).
  const KUBECTL_ACCEPT = `${AGGREGATED_DISCOVERY_TYPE},application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`;

  it('answers /apis aggregated when asked, plain otherwise, and 406 NotAcceptable when nothing asked for is served', async () => {
    const base = standIn.serverFor(clusterId(CLUSTERS[0]!));
    const aggregated = await get(`${base}/apis`, KUBECTL_ACCEPT);
    expect(aggregated.contentType).toBe(AGGREGATED_DISCOVERY_TYPE);
    expect(aggregated.body).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    const groups = (aggregated.body['items'] as Array<{ metadata: { name: string } }>).map((item) => item.metadata.name);
    expect(groups).toEqual(['rbac.authorization.k8s.io', 'networking.k8s.io']);

    const plain = await get(`${base}/apis`, 'application/json');
    expect(plain.body).toMatchObject({ kind: 'APIGroupList', groups: [{ name: 'rbac.authorization.k8s.io' }, { name: 'networking.k8s.io' }] });
    expect((await get(`${base}/api`, '')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = await get(`${base}/api/v1`, 'application/json');
    expect((core.body['resources'] as Array<{ name: string; namespaced: boolean }>).map((resource) => resource.name)).toEqual([
      'namespaces',
      'pods',
      'secrets',
      'serviceaccounts',
    ]);
    const version = await get(`${base}/version`, 'application/json');
    expect(version.body).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\.\d+\.\d+$/) as unknown });

    // Only protobuf, or the aggregated form where there is none: refused as the API server does.
    const refused = await get(`${base}/api/v1`, AGGREGATED_DISCOVERY_TYPE);
    expect(refused).toMatchObject({ status: 406, body: { kind: 'Status', reason: 'NotAcceptable', code: 406 } });
    expect((await get(`${base}/api/v1/pods`, 'application/vnd.kubernetes.protobuf')).status).toBe(406);
    // A list asked as a Table with a JSON fallback: the JSON List (the stand-in renders no tables).
    const table = await get(`${base}/api/v1/pods`, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    expect(table.body).toMatchObject({ kind: 'PodList', metadata: { resourceVersion: '1000' } });
    expect((await get(`${base}/apis/apps/v1`, 'application/json')).status).toBe(404);
  });
});
