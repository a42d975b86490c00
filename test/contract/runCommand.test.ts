/**
 * AKS runCommand against the official examples (2025-10-01): RunCommandRequest.json (202 with a
 * `location` of `.../commandResults/{id}?api-version=...`, then the result with provisioningState,
 * exitCode, startedAt, finishedAt, logs) and RunCommandResultFailed.json (provisioningState
 * `failed` with a `reason`). (a) The simulator answers the POST and the result GET in the examples'
 * shape; (b) the app's runCommand client and reader, fed the examples verbatim, read them.
 */
import path from 'node:path';

import { createContainerService } from '@azure/arm-containerservice/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../lib/azure/credential.js';
import { AKS_ENTRA_SCOPE } from '../../lib/azure/kubernetes.js';
import { RunCommandClient, RunCommandReader } from '../../lib/azure/runCommand.js';
import type { Cluster } from '../../lib/model/cluster.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { projectRoot } from '../harness/fixtures.js';
import { type ExampleServer, restExample, shapeMismatches, startExampleServer } from '../harness/restContract.js';

const SERVICE = 'containerservice';
const REQUEST = 'RunCommandRequest.2025-10-01.json';
const FAILED = 'RunCommandResultFailed.2025-10-01.json';

describe('(a) the simulator answers runCommand in the examples’ shape', () => {
  let local: LocalAzure;
  beforeAll(async () => {
    local = await startLocalAzure({ snapshot: loadSnapshot(path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s')) });
  });
  afterAll(async () => {
    await local.close();
  });

  it('POST is 202 with a commandResults location and no body; the result is 202 while running, then the example’s fields', async () => {
    const example = restExample(SERVICE, REQUEST);
    const context = createContainerService(new SimulatorCredential(), '11111111-1111-1111-1111-111111111111', {
      endpoint: local.simulator.url,
      tlsOptions: { ca: local.simulator.caPem },
    });
    const token = (await new SimulatorCredential().getToken(AKS_ENTRA_SCOPE)).token;
    const posted = await context
      .pathUnchecked(
        '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/payments/providers/Microsoft.ContainerService/managedClusters/payments-prod/runCommand',
      )
      .post({ queryParameters: { 'api-version': '2025-10-01' }, body: { command: 'kubectl get namespaces -A -o json', context: '', clusterToken: token } });
    expect(posted.status).toBe('202');
    const location = posted.headers['location'] ?? '';
    const exampleLocation = example.responses['202']?.headers?.['location'] ?? '';
    const shape = (url: string) => new URL(url).pathname.replace(/\/commandResults\/[0-9a-f]{32}$/i, '/commandResults/{id}').split('/').length;
    expect(location).toMatch(/\/commandResults\/[0-9a-f]{32}\?api-version=2025-10-01$/);
    expect(shape(location)).toBe(shape(exampleLocation));

    const running = await context.pathUnchecked(location).get();
    expect(running.status).toBe('202');
    const done = await context.pathUnchecked(location).get();
    expect(done.status).toBe('200');
    expect(shapeMismatches(done.body, example.responses['200']?.body)).toEqual([]);
    expect(done.body).toMatchObject({ properties: { provisioningState: 'Succeeded', exitCode: 0 } });
  });
});

describe('(b) the app reads the examples verbatim', () => {
  let server: ExampleServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const cluster = { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg1', name: 'clustername1', aadManaged: true } as Cluster;

  async function serve(file: string): Promise<RunCommandClient> {
    const example = restExample(SERVICE, file);
    const exampleLocation = new URL(example.responses['202']?.headers?.['location'] ?? '');
    server = await startExampleServer((request) => {
      if (request.method === 'POST' && request.url.pathname.endsWith('/runCommand')) {
        // The example's location, on this server instead of management.azure.com.
        return {
          method: 'POST',
          path: request.url.pathname,
          status: 202,
          headers: { location: `${server!.url}${exampleLocation.pathname}${exampleLocation.search}` },
        };
      }
      if (request.method === 'GET' && request.url.pathname === exampleLocation.pathname) {
        return { method: 'GET', path: request.url.pathname, status: 200, body: example.responses['200']?.body };
      }
      return undefined;
    });
    return new RunCommandClient(new SimulatorCredential(), { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem }, { maxRetries: 0 }, 10);
  }

  it('a succeeded command: its exit code and logs, after a POST with command, context and clusterToken', async () => {
    const client = await serve(REQUEST);
    const outcome = await client.run(cluster, 'kubectl apply -f ns.yaml', 'token', AbortSignal.timeout(5000));
    expect(outcome).toEqual({ provisioningState: 'succeeded', exitCode: 0, logs: 'namespace dummy created', reason: undefined });
    const post = server!.requests.find((request) => request.method === 'POST');
    expect(JSON.parse(post?.body ?? '{}')).toEqual({ command: 'kubectl apply -f ns.yaml', context: '', clusterToken: 'token' });
  });

  it('a failed command (ImagePullBackoff) leaves the cluster unreachable with that reason', async () => {
    const reader = new RunCommandReader(await serve(FAILED));
    const read = await reader.read(cluster, 'token', AbortSignal.timeout(5000));
    expect(read).toEqual({ state: 'unreachable', reason: 'runCommand on clustername1 ended failed: ImagePullBackoff' });
  });
});
