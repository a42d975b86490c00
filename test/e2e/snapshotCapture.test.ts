/**
 * `fleetguard snapshot capture` round trips: the simulator serving a snapshot is captured through
 * the real SDK clients, and sweeping the capture gives the same findings as sweeping the original
 * (CONTRACTS.md §2, §5). Kubernetes objects come through the in-cluster port from the simulator's
 * Kubernetes API stand-in (typed `List` bodies as kube-apiserver returns them), and are written as
 * `kubectl get -A -o json` writes them.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { snapshotCaptureCommand } from '../../lib/cli/snapshotCommand.js';
import type { Cluster } from '../../lib/model/cluster.js';
import { type InClusterReader, KUBERNETES_RESOURCES, type KubernetesResource } from '../../lib/model/inCluster.js';
import { mergeLogBodies, withoutSecrets } from '../../lib/snapshot/capture.js';
import { type KubernetesStandIn, startKubernetesStandIn } from '../../tooling/simulator/kubernetesApi.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { runCli } from '../harness/cli.js';
import { conformanceSample, projectRoot } from '../harness/fixtures.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';
const K8S_SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
const K8S_EXPECTED = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s.expected.json');
const TOKEN = 'capture-test-token';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** The CLI's own main in this process, with the settings of the local Azure as its environment. */
async function fleetguard(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const { main } = await import('../../lib/cli/main.js');
  let stdout = '';
  let stderr = '';
  const status = await main([process.execPath, 'fleetguard', ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    width: undefined,
    env,
  });
  return { status, stdout, stderr };
}

interface FindingKey {
  ruleId: string;
  resourceId: string;
  subject?: string;
  severity: string;
}

/** Time-dependent fields of a sweep's output, left out of the comparison. */
const VOLATILE = /(At|Seen|Time|durationMs|sweepId)$/;

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !VOLATILE.test(key))
      .map(([key, entry]) => [key, stable(entry)]),
  );
}

/** The sweep of a snapshot: every finding whole (details, evidence), every cluster (compliance, coverage), the stats. */
async function sweepOf(snapshot: string): Promise<{ findings: string[]; clusters: string[]; stats: unknown }> {
  const run = await fleetguard(['sweep', '--snapshot', snapshot, '--json'], {});
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const doc = JSON.parse(run.stdout) as { findings: unknown[]; clusters: unknown[]; stats: unknown };
  return {
    findings: doc.findings.map((finding) => JSON.stringify(stable(finding))).sort(),
    clusters: doc.clusters.map((cluster) => JSON.stringify(stable(cluster))).sort(),
    stats: stable(doc.stats),
  };
}

const API_PREFIX: Record<KubernetesResource, string> = {
  namespaces: '/api/v1',
  pods: '/api/v1',
  serviceaccounts: '/api/v1',
  clusterrolebindings: '/apis/rbac.authorization.k8s.io/v1',
  clusterroles: '/apis/rbac.authorization.k8s.io/v1',
  rolebindings: '/apis/rbac.authorization.k8s.io/v1',
  roles: '/apis/rbac.authorization.k8s.io/v1',
  networkpolicies: '/apis/networking.k8s.io/v1',
};

function get(url: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ca, headers: { authorization: `Bearer ${TOKEN}` } }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/**
 * A reader of the stand-in over HTTPS through the port (the live adapter is another module): one
 * GET per resource, the typed List as the API server returns it. `web-dev` is left out to show an
 * unreachable cluster is reported, not fatal.
 */
function standInReader(standIn: KubernetesStandIn, unreachable: string): InClusterReader {
  return {
    async read(cluster: Cluster) {
      if (cluster.name === unreachable) return { state: 'unreachable', reason: 'private API server: no line of sight from here' };
      const lists: Partial<Record<KubernetesResource, { body: unknown; source: string }>> = {};
      for (const resource of KUBERNETES_RESOURCES) {
        const url = `${standIn.serverFor(cluster.id)}${API_PREFIX[resource]}/${resource}`;
        const response = await get(url, standIn.caPem);
        if (response.status === 200) lists[resource] = { body: response.body, source: url };
      }
      return { state: 'checked', lists };
    },
  };
}

function subscriptionsOf(snapshot: string): string[] {
  return [...new Set(loadSnapshot(snapshot).clusters.map((cluster) => String(cluster['id']).split('/')[2] ?? ''))];
}

const folders: string[] = [];
function freshFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'fleetguard-capture-'));
  folders.push(folder);
  return path.join(folder, 'snapshot');
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('fleetguard snapshot capture over the sample fleet', () => {
  let local: LocalAzure;
  beforeAll(async () => {
    local = await startLocalAzure({ snapshot: loadSnapshot(conformanceSample), pageSize: 2 });
  });
  afterAll(() => local.close());
  afterEach(() => local.simulator.faults.configure({}));

  it('writes the ARM bodies as returned, and sweeping the capture gives the findings of the original', async () => {
    const out = freshFolder();
    // The built CLI in its own process, pointed at the simulator by its settings (as a user would run it).
    const run = await runCli(['snapshot', 'capture', '--out', out], local.settings);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Snapshot complete');
    expect(run.status).toBe(0);

    // The cluster bodies are what ARM returns (with `properties` and the eTags ARM adds), every page
    // of every subscription, read here with a plain HTTPS client.
    const served: unknown[] = [];
    for (const subscriptionId of subscriptionsOf(conformanceSample)) {
      let next: string | undefined =
        `${local.simulator.url}/subscriptions/${subscriptionId}/providers/Microsoft.ContainerService/managedClusters?api-version=2026-04-01`;
      while (next !== undefined) {
        const page = (await get(next, local.simulator.caPem)).body as { value: unknown[]; nextLink?: string };
        served.push(...page.value);
        next = page.nextLink;
      }
    }
    const captured = JSON.parse(readFileSync(path.join(out, 'managedClusters.json'), 'utf8')) as { value: unknown[] };
    expect(served.length).toBeGreaterThan(2);
    expect(captured.value).toEqual(served);
    for (const file of readdirSync(path.join(conformanceSample, 'kubernetesVersions'))) {
      expect(JSON.parse(readFileSync(path.join(out, 'kubernetesVersions', file), 'utf8'))).toEqual(
        JSON.parse(readFileSync(path.join(conformanceSample, 'kubernetesVersions', file), 'utf8')),
      );
    }
    expect(existsSync(path.join(out, 'policyStates.json'))).toBe(true);
    const report = JSON.parse(readFileSync(path.join(out, 'capture-report.json'), 'utf8')) as { status: string; kubernetes: Array<{ state: string }> };
    expect(report.status).toBe('complete');
    // No Kubernetes API reader in this build's composition root: every cluster is named, none fails the capture.
    expect(report.kubernetes.every((entry) => entry.state === 'notCaptured')).toBe(true);

    const originalSweep = await sweepOf(conformanceSample);
    // Posture, policy and log findings all take part in the comparison.
    for (const family of ['"AKS-', '"POLICY-', '"LOG-']) expect(originalSweep.findings.some((finding) => finding.includes(family))).toBe(true);
    expect(await sweepOf(out)).toEqual(originalSweep);
  });

  it('refuses a non-empty --out unless --force, and --force replaces only the snapshot files', async () => {
    const out = freshFolder();
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'notes.txt'), 'mine');
    writeFileSync(path.join(out, 'policyStates.json'), '{"value": []}');
    const refused = await fleetguard(['snapshot', 'capture', '--out', out], local.settings);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('is not empty');
    expect(readdirSync(out).sort()).toEqual(['notes.txt', 'policyStates.json']);

    const forced = await fleetguard(['snapshot', 'capture', '--out', out, '--force'], local.settings);
    expect(forced.status).toBe(0);
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(JSON.parse(readFileSync(path.join(out, 'policyStates.json'), 'utf8'))).not.toEqual({ value: [] });
  });

  it('reports a failing subscription, captures the rest and exits 3 (partial)', async () => {
    local.simulator.faults.configure({ forbiddenSubscriptions: [SUB1] });
    const out = freshFolder();
    const args = subscriptionsOf(conformanceSample).flatMap((id) => ['--subscription', id]);
    const run = await fleetguard(['snapshot', 'capture', '--out', out, ...args], local.settings);
    expect(run.status).toBe(3);
    expect(run.stdout).toContain(`! subscription ${SUB1}:`);
    const report = JSON.parse(readFileSync(path.join(out, 'capture-report.json'), 'utf8')) as {
      status: string;
      subscriptions: Array<{ subscriptionId: string; state: string; reason?: string }>;
    };
    expect(report.status).toBe('partial');
    expect(report.subscriptions.find((entry) => entry.subscriptionId === SUB1)).toMatchObject({ state: 'failed', reason: 'authError' });
    const captured = loadSnapshot(out);
    expect(captured.clusters.length).toBeGreaterThan(0);
    expect(captured.clusters.every((cluster) => !String(cluster['id']).includes(SUB1))).toBe(true);
  });
});

describe('fleetguard snapshot capture of Kubernetes objects (fleet-sample-k8s)', () => {
  let local: LocalAzure;
  let standIn: KubernetesStandIn;
  beforeAll(async () => {
    const snapshot = loadSnapshot(K8S_SAMPLE);
    local = await startLocalAzure({ snapshot });
    standIn = await startKubernetesStandIn({ kubernetes: snapshot.kubernetes!, token: TOKEN });
  });
  afterAll(async () => {
    await standIn.close();
    await local.close();
  });

  it("writes kubectl's List form; the captured folders load and give the expected K8S findings", async () => {
    const out = freshFolder();
    let stdout = '';
    const status = await snapshotCaptureCommand(
      { out },
      { stdout: (text) => (stdout += text), width: undefined },
      local.settings,
      standInReader(standIn, 'no-such-cluster'),
    );
    expect(stdout).toContain('Snapshot complete');
    expect(status).toBe(0);

    // Items carry kind and apiVersion again, in a `List`, as `kubectl get -A -o json` writes them.
    const folder = path.join(out, 'kubernetes', SUB1, 'payments', 'payments-prod');
    const namespaces = JSON.parse(readFileSync(path.join(folder, 'namespaces.json'), 'utf8')) as {
      kind: string;
      items: Array<{ kind: string; apiVersion: string }>;
    };
    expect(namespaces.kind).toBe('List');
    expect(namespaces.items.every((item) => item.kind === 'Namespace' && item.apiVersion === 'v1')).toBe(true);
    const originalItems = (
      JSON.parse(readFileSync(path.join(K8S_SAMPLE, 'kubernetes', SUB1, 'payments', 'payments-prod', 'pods.json'), 'utf8')) as { items: unknown[] }
    ).items;
    const capturedItems = (JSON.parse(readFileSync(path.join(folder, 'pods.json'), 'utf8')) as { items: unknown[] }).items;
    expect(capturedItems).toEqual(expect.arrayContaining(originalItems));
    expect(capturedItems).toHaveLength(originalItems.length);

    const expected = (JSON.parse(readFileSync(K8S_EXPECTED, 'utf8')) as string[][]).map(([id, rule, subject, severity]) =>
      [id?.toLowerCase(), rule, subject?.toLowerCase(), severity].join(' '),
    );
    const run = await fleetguard(['sweep', '--snapshot', out, '--json'], {});
    expect(run.status).toBe(0);
    const k8s = (JSON.parse(run.stdout) as { findings: FindingKey[] }).findings
      .filter((finding) => finding.ruleId.startsWith('K8S-'))
      .map((finding) => [finding.resourceId.toLowerCase(), finding.ruleId, (finding.subject ?? '').toLowerCase(), finding.severity].join(' '));
    expect(k8s.sort()).toEqual(expected.sort());
    expect(await sweepOf(out)).toEqual(await sweepOf(K8S_SAMPLE));
  });

  it('names a cluster it cannot reach in capture-report.json and captures the others; progress counts every call', async () => {
    const out = freshFolder();
    const progress: Array<{ stage: string; done: number; total: number }> = [];
    const status = await snapshotCaptureCommand(
      { out },
      { stdout: () => undefined, width: undefined },
      local.settings,
      standInReader(standIn, 'web-dev'),
      (step) => progress.push(step),
    );
    expect(status).toBe(0);
    // Every call queued is counted once as it is queued and once as it settles, never past the total.
    const last = progress.at(-1);
    expect(last?.total).toBeGreaterThan(5);
    expect(last?.done).toBe(last?.total);
    expect(progress.filter((step) => step.done > step.total)).toEqual([]);
    expect(progress).toHaveLength(2 * (last?.total ?? 0));
    const report = JSON.parse(readFileSync(path.join(out, 'capture-report.json'), 'utf8')) as {
      kubernetes: Array<{ clusterId: string; state: string; reason?: string }>;
    };
    expect(report.kubernetes.find((entry) => entry.clusterId.endsWith('/web-dev'))).toMatchObject({ state: 'unreachable' });
    expect(existsSync(path.join(out, 'kubernetes', SUB1, 'web'))).toBe(false);
    expect(existsSync(path.join(out, 'kubernetes', SUB1, 'payments', 'payments-prod', 'roles.json'))).toBe(true);
    // Nothing secret: no kubeconfig, no token anywhere in the folder.
    const everything = readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
      .join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toMatch(/certificate-authority-data|client-key-data|"token"/);
  });
});

describe('what a capture writes', () => {
  const table = (rows: unknown[][]) => ({
    name: 'PrimaryResult',
    columns: [
      { name: '_ResourceId', type: 'string' },
      { name: 'Failures', type: 'long' },
    ],
    rows,
  });

  it("one detection's answers from several workspaces: a row two workspaces return is kept once; a failed workspace leaves an error", () => {
    const merged = mergeLogBodies(
      [
        { tables: [table([['/a', 5]])] },
        {
          tables: [
            table([
              ['/a', 5],
              ['/b', 7],
            ]),
          ],
        },
      ],
      [],
    );
    expect(merged).toEqual({
      tables: [
        table([
          ['/a', 5],
          ['/b', 7],
        ]),
      ],
    });
    const failed = mergeLogBodies([{ tables: [table([['/a', 5]])] }], ['query of workspace w2: HTTP 500']);
    expect(failed['error']).toMatchObject({ code: 'PartialError' });
  });

  it('drops the write-only secret fields of a cluster body should ARM ever return them', () => {
    const body = {
      id: '/x',
      properties: { servicePrincipalProfile: { clientId: 'msi', secret: 's3cret' }, windowsProfile: { adminUsername: 'u', adminPassword: 'p' } },
    };
    const { body: clean, removed } = withoutSecrets(body);
    expect(JSON.stringify(clean)).not.toMatch(/s3cret|"p"/);
    expect(removed).toEqual(['properties.servicePrincipalProfile.secret', 'properties.windowsProfile.adminPassword']);
    expect(body.properties.servicePrincipalProfile.secret).toBe('s3cret');
  });
});

describe('fleetguard snapshot capture: policy definition names (issue 17)', () => {
  it('writes policyDefinitions.json with the display names of the definitions the non-compliant states name, which a sweep of the capture shows', async () => {
    const local = await startLocalAzure({ snapshot: loadSnapshot(sampleFleetDirectory()), settings: { FLEETGUARD_INVENTORY_SOURCE: 'arm' } });
    try {
      const out = freshFolder();
      const run = await fleetguard(['snapshot', 'capture', '--out', out], local.settings);
      expect([run.status, run.stderr]).toEqual([0, '']);
      const written = JSON.parse(readFileSync(path.join(out, 'policyDefinitions.json'), 'utf8')) as { value: Array<Record<string, unknown>> };
      const sample = loadSnapshot(sampleFleetDirectory()).policyDefinitions?.['value'] as Array<{ id: string; properties: { displayName: string } }>;
      // Every built-in a non-compliant state names (the initiative is named by none), by the name the snapshot served.
      expect(written.value.map((body) => [body['id'], (body['properties'] as { displayName: string }).displayName]).sort()).toEqual(
        sample
          .filter((body) => body.id.includes('/policyDefinitions/'))
          .map((body) => [body.id, body.properties.displayName])
          .sort(),
      );
      const report = JSON.parse(readFileSync(path.join(out, 'capture-report.json'), 'utf8')) as { policyDefinitions?: unknown };
      expect(report.policyDefinitions).toEqual({ definitions: 4, state: 'captured' });
      expect(loadSnapshot(out).policyDefinitions).toEqual(written);
    } finally {
      await local.close();
    }
  });
});
