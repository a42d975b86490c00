/**
 * Coverage of private clusters with and without the AKS runCommand fallback (issue 16): the real
 * SDK (@azure/arm-containerservice `beginRunCommandAndWait`) over HTTPS to the simulator's
 * runCommand and commandResults routes (tooling/simulator/runCommandRoutes.ts), whose command pod
 * answers from the same snapshot objects the Kubernetes API stand-in serves and runs the app's jq
 * programs with the real jq.
 *
 * Sources for the service's behaviour: azure-rest-api-specs aks/stable/2025-10-01 examples
 * RunCommandRequest.json and RunCommandResultFailed.json (202 + Location, result with
 * provisioningState/exitCode/logs/reason); Learn "Access a private AKS cluster using the command
 * invoke or Run command feature" (512kB output, disableRunCommand, kubectl and jq in the pod);
 * Azure/azure-sdk-for-python#28414 (MissingAADClusterToken).
 */
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { createCredential } from '../../lib/azure/credential.js';
import { AKS_ENTRA_SCOPE, KubernetesAdapter } from '../../lib/azure/kubernetes.js';
import { RunCommandClient, RunCommandReader } from '../../lib/azure/runCommand.js';
import { evaluateInCluster } from '../../lib/k8s/evaluateInCluster.js';
import { type KubernetesObjects, parseKubernetesList } from '../../lib/k8s/objects.js';
import { type Cluster, resourceKey } from '../../lib/model/cluster.js';
import { type InClusterRead, KUBERNETES_RESOURCES } from '../../lib/model/inCluster.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { SIMULATED_OUTPUT_LIMIT_BYTES } from '../../tooling/simulator/runCommandRoutes.js';
import { type FleetSnapshot, loadSnapshot } from '../../tooling/simulator/snapshot.js';
import type { KubernetesFolder } from '../../tooling/simulator/snapshotKubernetes.js';
import { debianTool } from '../harness/debianTool.js';
import { projectRoot } from '../harness/fixtures.js';

const SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const PAYMENTS = `/subscriptions/${SUBSCRIPTION}/resourceGroups/payments/providers/Microsoft.ContainerService/managedClusters/payments-prod`;
const RUN_COMMAND_ROUTE = 'arm.managedClusters.runCommand';

let snapshot: FleetSnapshot;
let local: LocalAzure;
let clusters: Map<string, Cluster>;

beforeAll(async () => {
  // The simulated command pod runs the jq part of each command with the real jq, as the AKS command pod does.
  debianTool('jq', ['jq']);
  snapshot = loadSnapshot(SAMPLE);
  local = await startLocalAzure({ snapshot, settings: { FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS: '5' } });
  const clients = createAzureClients(local.config, { retry: { maxRetries: 0 } });
  const listed = [
    ...(await clients.containerService.listClusters(SUBSCRIPTION)).clusters,
    ...(await clients.containerService.listClusters('22222222-2222-2222-2222-222222222222')).clusters,
  ];
  clusters = new Map(listed.map((cluster) => [cluster.name, cluster]));
});

afterAll(async () => {
  await local.close();
});

afterEach(() => {
  local.simulator.requests.clear();
  local.runCommand!.commands.length = 0;
  local.runCommand!.faults.clear();
  local.kubernetes!.faults.delays.clear();
  local.kubernetes!.forbidden.clear();
});

function cluster(name: string): Cluster {
  const found = clusters.get(name);
  if (found === undefined) throw new Error(`no cluster ${name}`);
  return found;
}

/** The app's reader with the fallback in `mode`, polling the command result every 10 ms. */
function reader(mode: 'off' | 'private-only' | 'unreachable', timeoutSeconds = 5): KubernetesAdapter {
  const credential = createCredential(local.config.azure);
  const clients = createAzureClients(local.config, { retry: { maxRetries: 0 } });
  const runCommand = new RunCommandReader(new RunCommandClient(credential, local.config.azure, { maxRetries: 0 }, 10));
  return new KubernetesAdapter(
    clients.containerService,
    credential,
    { ...local.config.inCluster, clusterTimeoutSeconds: timeoutSeconds, runCommand: mode },
    runCommand,
  );
}

function objectsOf(read: InClusterRead): KubernetesObjects {
  if (read.state !== 'checked') throw new Error(`not checked: ${read.state} ${read.reason}`);
  const objects: KubernetesObjects = {};
  for (const resource of KUBERNETES_RESOURCES) {
    const list = read.lists[resource];
    if (list !== undefined) Object.assign(objects, { [resource]: parseKubernetesList(resource, list.body, list.source) });
  }
  return objects;
}

function findingsOf(target: Cluster, read: InClusterRead) {
  return evaluateInCluster(target, objectsOf(read))
    .findings.map((finding) => `${finding.ruleId} ${finding.severity} ${finding.subject} :: ${finding.detail}`)
    .sort();
}

describe('private clusters without the runCommand fallback', () => {
  it('a private cluster whose API server does not answer is unreachable, saying why, and its K8S findings are kept (no rule evaluated)', async () => {
    // The private API server has no line of sight: it never answers within the budget.
    local.kubernetes!.faults.delays.set(PAYMENTS.toLowerCase(), 30_000);
    const result = await runSweep(
      { fleet: createAzureClients(local.config, { retry: { maxRetries: 0 } }).fleet, inCluster: reader('off', 1) },
      {
        subscriptions: [],
        concurrency: 4,
        trigger: 'test',
      },
    );
    const payments = result.clusters.find((summary) => summary.name === 'payments-prod');
    expect(payments?.inCluster).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('the API server is private') });
    expect(payments?.inCluster?.reason).toContain('timeout');
    // Not evaluated: none of its K8S findings can be resolved by this sweep.
    expect(result.findings.filter((finding) => finding.clusterName === 'payments-prod' && finding.ruleId.startsWith('K8S-'))).toEqual([]);
    expect(local.simulator.requests.count(RUN_COMMAND_ROUTE)).toBe(0);
  });
});

describe('private clusters with the runCommand fallback (private-only)', () => {
  it('reads a private cluster through runCommand (one command, no API server call), with the same K8S findings as the direct read of the same objects', async () => {
    const direct = await reader('off').read(cluster('payments-prod'));
    local.kubernetes!.requests.length = 0;
    local.kubernetes!.faults.delays.set(PAYMENTS.toLowerCase(), 30_000);

    const viaRunCommand = await reader('private-only').read(cluster('payments-prod'));

    expect(viaRunCommand).toMatchObject({ state: 'checked', via: 'runCommand' });
    expect(viaRunCommand.state === 'checked' ? viaRunCommand.unread : 'not checked').toBeUndefined();
    const expected = findingsOf(cluster('payments-prod'), direct);
    expect(expected.length).toBeGreaterThan(0);
    expect(findingsOf(cluster('payments-prod'), viaRunCommand)).toEqual(expected);
    expect(local.runCommand!.commands).toHaveLength(1);
    expect(local.runCommand!.commands[0]?.command).not.toMatch(/secrets/);
    expect(local.simulator.requests.count(RUN_COMMAND_ROUTE)).toBe(1);
    // Through ARM only: the private API server was not called.
    expect(local.kubernetes!.requests).toEqual([]);
  });

  it('leaves a public cluster on its API server', async () => {
    const read = await reader('private-only').read(cluster('web-dev'));
    expect(read).toMatchObject({ state: 'checked' });
    expect(read.state === 'checked' ? read.via : 'not checked').toBeUndefined();
    expect(local.runCommand!.commands).toHaveLength(0);
  });

  it('with apiServerAccessProfile.disableRunCommand the cluster is unreachable, saying so, without calling runCommand', async () => {
    const read = await reader('private-only').read({ ...cluster('payments-prod'), runCommandDisabled: true });
    expect(read).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('disableRunCommand') });
    expect(local.simulator.requests.count()).toBe(0);
  });

  it('a command that exits non-zero (no jq in the pod image) is unreachable with its exit code and output', async () => {
    local.runCommand!.faults.set(PAYMENTS.toLowerCase(), 'jqMissing');
    const read = await reader('private-only').read(cluster('payments-prod'));
    expect(read).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('exited with 127') });
    expect(read.state === 'checked' ? '' : read.reason).toContain('jq: command not found');
  });

  it('a command pod that could not start (provisioningState Failed) is unreachable with the reason AKS gave', async () => {
    local.runCommand!.faults.set(PAYMENTS.toLowerCase(), 'podNotStarted');
    const read = await reader('private-only').read(cluster('payments-prod'));
    expect(read).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('ended Failed: KubernetesPerformanceError') });
  });

  it('an identity without a role in the cluster is unauthorized through runCommand too', async () => {
    local.kubernetes!.forbidden.add(PAYMENTS.toLowerCase());
    const read = await reader('private-only').read(cluster('payments-prod'));
    expect(read).toMatchObject({ state: 'unauthorized', reason: expect.stringContaining('cannot list resource') });
    expect(read.state === 'checked' ? '' : read.reason).toContain('through runCommand');
    expect(local.runCommand!.commands).toHaveLength(1);
  });

  it('output over the cap: the cut-off resources are listed again one per command, and one too large alone is unread, never empty', async () => {
    // The cap is the service's 512 KiB by default; 20 kB here keeps the test cheap (the client never assumes its size).
    local.runCommand!.outputLimitBytes = 20_000;
    const key = resourceKey(PAYMENTS);
    const original = snapshot.kubernetes!.get(key)!;
    // ~13 kB of namespaces and of service accounts after reduction, ~35 kB of pods: over the cap together, pods alone too.
    const namespaces = Array.from({ length: 100 }, (_, index) => ({
      metadata: { name: `team-${index}`, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'kubernetes.azure.com/managedby': 'none' } },
    }));
    const accounts = Array.from({ length: 100 }, (_, index) => ({
      metadata: { name: 'default', namespace: `team-${index}`, annotations: { 'azure.workload.identity/client-id': '00000000-0000-0000-0000-000000000000' } },
      automountServiceAccountToken: false,
    }));
    const pods = Array.from({ length: 120 }, (_, index) => ({
      metadata: { name: `web-${index}`, namespace: `team-${index}`, ownerReferences: [{ kind: 'ReplicaSet', name: `web-${index}-5d9f`, controller: true }] },
      spec: { containers: [{ name: 'web', securityContext: { privileged: false } }], serviceAccountName: 'default' },
    }));
    const big: KubernetesFolder = {
      folder: original.folder,
      lists: {
        ...original.lists,
        namespaces: { body: { kind: 'NamespaceList', apiVersion: 'v1', items: namespaces }, source: 'generated' },
        serviceaccounts: { body: { kind: 'ServiceAccountList', apiVersion: 'v1', items: accounts }, source: 'generated' },
        pods: { body: { kind: 'PodList', apiVersion: 'v1', items: pods }, source: 'generated' },
      },
    };
    snapshot.kubernetes!.set(key, big);
    try {
      const read = await reader('private-only').read(cluster('payments-prod'));
      expect(read).toMatchObject({ state: 'checked', via: 'runCommand' });
      if (read.state !== 'checked') return;
      expect(read.unread).toEqual({ pods: expect.stringContaining('larger than runCommand') });
      expect(objectsOf(read).namespaces).toHaveLength(100);
      expect(objectsOf(read).serviceaccounts).toHaveLength(100);
      expect(objectsOf(read).clusterrolebindings?.length).toBeGreaterThan(0);
      // One command for all, then one per resource it cut off (service accounts, pods).
      expect(local.runCommand!.commands.map((entry) => entry.command.match(/kubectl get (\w+)/g)?.length)).toEqual([8, 1, 1]);
    } finally {
      snapshot.kubernetes!.set(key, original);
      local.runCommand!.outputLimitBytes = SIMULATED_OUTPUT_LIMIT_BYTES;
    }
  });
});

describe('the simulated runCommand refuses what AKS refuses (real SDK)', () => {
  const client = () => new RunCommandClient(createCredential(local.config.azure), local.config.azure, { maxRetries: 0 }, 10);

  it('an Entra cluster without clusterToken: 400 MissingAADClusterToken (Azure/azure-sdk-for-python#28414)', async () => {
    const error = await client()
      .run(cluster('payments-prod'), 'kubectl get namespaces -A -o json', '', AbortSignal.timeout(5000))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ statusCode: 400, code: 'MissingAADClusterToken' });
  });

  it('a cluster with disableRunCommand is refused (400)', async () => {
    const body = local.simulator.fleet.findCluster(SUBSCRIPTION, 'payments', 'payments-prod')!;
    const properties = body['properties'] as Record<string, Record<string, unknown>>;
    const before = { ...properties['apiServerAccessProfile'] };
    properties['apiServerAccessProfile'] = { ...before, disableRunCommand: true };
    try {
      const token = (await createCredential(local.config.azure).getToken(AKS_ENTRA_SCOPE))!.token;
      const error = await client()
        .run(cluster('payments-prod'), 'kubectl get namespaces -A -o json', token, AbortSignal.timeout(5000))
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ statusCode: 400 });
    } finally {
      properties['apiServerAccessProfile'] = before;
    }
  });

  it('runs no shell: a command outside the forms the app sends exits non-zero with a shell-like error', async () => {
    const token = (await createCredential(local.config.azure).getToken(AKS_ENTRA_SCOPE))!.token;
    const deletion = await client().run(cluster('payments-prod'), 'kubectl delete namespace payments', token, AbortSignal.timeout(5000));
    expect(deletion).toMatchObject({ provisioningState: 'Succeeded', exitCode: 1 });
    const other = await client().run(cluster('payments-prod'), 'curl https://example.com', token, AbortSignal.timeout(5000));
    expect(other).toMatchObject({ exitCode: 127, logs: expect.stringContaining('curl: command not found') });
    const secrets = await client().run(cluster('payments-prod'), 'kubectl get secrets -A -o json', token, AbortSignal.timeout(5000));
    expect(secrets).toMatchObject({ exitCode: 1, logs: expect.stringContaining('Error from server (Forbidden): secrets is forbidden') });
  });
});

describe('the unreachable mode (last: it closes the shared stand-in)', () => {
  it('an API server that refuses connections is read again through runCommand within the same budget', async () => {
    await local.kubernetes!.close();
    const read = await reader('unreachable').read(cluster('web-dev'));
    expect(read).toMatchObject({ state: 'checked', via: 'runCommand' });
    expect(local.runCommand!.commands).toHaveLength(1);
  });
});
