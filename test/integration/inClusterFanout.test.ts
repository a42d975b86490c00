/**
 * The in-cluster stage on its own schedule (issue 16, "Fleet scale on the distributed engine"): the
 * registered `inClusterSweep` timer, orchestration and activities invoked the way the host invokes
 * them (test/harness, tooling/local/functionsHost.ts), the orchestrator run through the real
 * durable-functions replay code (tooling/local/durableHost.ts), the live Kubernetes adapter over
 * HTTPS to the simulator's Kubernetes API stand-in, findings and records in Azurite.
 *
 * 12 generated clusters in batches of 5 (3 batches, at most 2 in flight): one cluster does not
 * answer within the run, against a per-cluster deadline of at least 2 s, one has not granted the app
 * a role (403), two have no Entra integration (the generator's every 11th cluster).
 *
 * The deadline is measured, not guessed: 3 times what reading a batch of clusters at once took in
 * beforeAll, at least 2 s. A fixed 2 s deadline made a healthy cluster time out when the machine
 * was loaded (its reads then took longer than 2 s), and the slow cluster's fixed 5 s delay could
 * not be told from a deadline stretched to fit the load.
 */
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { resetRuntimeForLocalHost } from '../../lib/app/runtime.js';
import { parseConfig } from '../../lib/config.js';
import { resourceKey } from '../../lib/model/cluster.js';
import { gatherReportData } from '../../lib/report/reportData.js';
import { IN_CLUSTER_ACTIVITIES, IN_CLUSTER_INSTANCE_ID, type InClusterRunSummary } from '../../lib/sweep/inClusterOrchestrator.js';
import { type DurableClientShim, startDurableClientShim } from '../../tooling/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../tooling/local/durableHost.js';
import { LocalFunctionsHost } from '../../tooling/local/functionsHost.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import type { SnapshotKubernetes } from '../../tooling/simulator/snapshotKubernetes.js';
import { projectRoot } from '../harness/fixtures.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const K8S_SAMPLE = path.join(projectRoot, 'test', 'fixtures', 'fleet-sample-k8s');
const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/web/providers/microsoft.containerservice/managedclusters/web-dev';

let local: LocalAzure;
let host: LocalFunctionsHost;
let durable: LocalDurableHost;
let shim: DurableClientShim;
let clusterIds: Map<string, string>;
/** The per-cluster deadline of the run (FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS), measured in beforeAll. */
let deadlineSeconds: number;

function id(name: string): string {
  const found = clusterIds.get(name);
  if (found === undefined) throw new Error(`no cluster ${name}`);
  return found;
}

/** Cluster names by batch: ids in lower-case order, 5 at a time (as the orchestrator batches them). */
function batchNames(): string[][] {
  const names = [...clusterIds.entries()].sort(([, left], [, right]) => left.toLowerCase().localeCompare(right.toLowerCase())).map(([name]) => name);
  return [names.slice(0, 5), names.slice(5, 10), names.slice(10)];
}

/** What the run should record for a cluster, when `failedBatch` failed. */
function expectedState(name: string, failedBatch?: number): string {
  if (failedBatch !== undefined && batchNames()[failedBatch]?.includes(name)) return 'unreachable';
  if (name === 'aks-00000' || name === 'aks-00011') return 'notEntraIntegrated';
  return name === 'aks-00007' ? 'unauthorized' : 'checked';
}

function stores() {
  const clients = createAzureClients(parseConfig(local.settings));
  return { findings: clients.findings!, sweeps: clients.sweeps! };
}

/** One tick of the timer, then the task hub until it settles; the most batch activities queued at once. */
async function tick(): Promise<{ summary: InClusterRunSummary; peakQueued: number }> {
  await host.invokeTimer('inClusterSweep');
  let peakQueued = 0;
  await durable.run({ onStep: () => (peakQueued = Math.max(peakQueued, durable.pendingActivities(IN_CLUSTER_ACTIVITIES.batch))) });
  const status = durable.getStatus(IN_CLUSTER_INSTANCE_ID);
  expect(status?.runtimeStatus, status?.error).toBe('Completed');
  return { summary: status?.output as InClusterRunSummary, peakQueued };
}

beforeAll(async () => {
  const snapshot = generateFleet({ clusters: 12, subscriptions: 2, locations: 1 });
  // Every cluster serves the sample's web-dev objects (a cluster-admin binding, a privileged pod, ...).
  const webDev = loadSnapshot(K8S_SAMPLE).kubernetes?.get(WEB_DEV);
  if (webDev === undefined) throw new Error('the k8s sample has no web-dev folder');
  const kubernetes: SnapshotKubernetes = new Map(snapshot.clusters.map((cluster) => [resourceKey(String(cluster['id'])), webDev]));
  clusterIds = new Map(snapshot.clusters.map((cluster) => [String(cluster['name']), String(cluster['id'])]));
  local = await startLocalAzure({
    snapshot: { ...snapshot, kubernetes },
    tablesConnectionString: azuriteConnectionString(),
    settings: {
      FLEETGUARD_FINDINGS_TABLE: uniqueTableName('findings'),
      FLEETGUARD_SWEEPS_TABLE: uniqueTableName('sweeps'),
      FLEETGUARD_EVENTS_TABLE: uniqueTableName('events'),
      FLEETGUARD_ALERTS_TABLE: uniqueTableName('alerts'),
      FLEETGUARD_ROLLOUTS_TABLE: uniqueTableName('rollouts'),
      FLEETGUARD_IN_CLUSTER_BATCH_SIZE: '5',
      FLEETGUARD_IN_CLUSTER_MAX_BATCHES: '2',
      FLEETGUARD_IN_CLUSTER_CONCURRENCY: '5',
      FLEETGUARD_HTTP_MAX_RETRIES: '0',
    },
  });
  // Answers after the run has ended (the simulator drops it at close): never within any deadline.
  local.kubernetes!.faults.delays.set(resourceKey(id('aks-00003')), 10 * 60_000);
  local.kubernetes!.forbidden.add(resourceKey(id('aks-00007')));
  // Warm the Kubernetes client's import once, so the first clusters' deadline measures their reads, not a cold module load.
  const warm = createAzureClients(local.config);
  const subscriptions = [...new Set([...clusterIds.values()].map((clusterId) => clusterId.split('/')[2] ?? ''))];
  const listed = (await Promise.all(subscriptions.map((subscriptionId) => warm.fleet.listClusters(subscriptionId)))).flatMap((page) => page.clusters);
  const warmCluster = listed.find((cluster) => cluster.name === 'aks-00001');
  if (warmCluster !== undefined) await warm.inCluster!.read(warmCluster);
  // Then time a batch's worth of healthy clusters read at once, as an activity reads them, on this machine now.
  const healthy = listed.filter((cluster) => ['aks-00001', 'aks-00002', 'aks-00004', 'aks-00005', 'aks-00006'].includes(cluster.name));
  if (healthy.length !== 5) throw new Error(`expected 5 healthy clusters to time, found ${healthy.length}`);
  const started = performance.now();
  await Promise.all(healthy.map((cluster) => warm.inCluster!.read(cluster)));
  deadlineSeconds = Math.max(2, Math.ceil((3 * (performance.now() - started)) / 1000));
  console.log(`in-cluster deadline: ${deadlineSeconds} s (a batch of 5 reads took ${Math.round(performance.now() - started)} ms)`);
  local.settings['FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS'] = String(deadlineSeconds);
  Object.assign(process.env, local.settings);
  resetRuntimeForLocalHost();
  host = await LocalFunctionsHost.load(path.join(projectRoot, 'functions', 'index.ts'));
  durable = new LocalDurableHost(host, new VirtualClock());
  shim = await startDurableClientShim(durable);
  host.bindingInputs.set('durableClient', { string: JSON.stringify(shim.clientData) });
});

afterAll(async () => {
  await shim?.close();
  await local?.close();
});

describe('the in-cluster fan-out on its own schedule', () => {
  it('registers the timer hourly and the orchestration with its activities', () => {
    expect(host.triggerBinding('inClusterSweep')[1]).toMatchObject({ type: 'timerTrigger', schedule: '0 5 * * * *', runOnStartup: false });
    expect(host.triggerBinding('inClusterOrchestrator')[1]).toMatchObject({ type: 'orchestrationTrigger' });
    for (const name of Object.values(IN_CLUSTER_ACTIVITIES)) expect(host.triggerBinding(name)[1]).toMatchObject({ type: 'activityTrigger' });
  });

  it('runs every batch within the bound; the slow cluster costs one timeout; findings, coverage and the record land', async () => {
    const { summary, peakQueued } = await tick();
    expect(durable.activitiesByName.get(IN_CLUSTER_ACTIVITIES.batch)).toBe(3);
    expect(peakQueued).toBe(2);
    expect(summary).toMatchObject({
      status: 'succeeded',
      batches: 3,
      failedBatches: [],
      counts: { checked: 8, unreachable: 1, unauthorized: 1, notEntraIntegrated: 2 },
    });

    const { findings, sweeps } = stores();
    const coverage = await sweeps.latestInClusterCoverage();
    expect(coverage.size).toBe(12);
    expect(coverage.get(resourceKey(id('aks-00003')))).toEqual({ state: 'unreachable', reason: `timed out after ${deadlineSeconds} s` });
    expect(coverage.get(resourceKey(id('aks-00007')))?.state).toBe('unauthorized');
    // The slow cluster's batch neighbours were read in the same activity, past its timeout.
    const neighbours = batchNames()
      .find((names) => names.includes('aks-00003'))!
      .filter((name) => name !== 'aks-00003');
    for (const name of neighbours) expect(coverage.get(resourceKey(id(name)))?.state, name).toBe(expectedState(name));

    const open = (await findings.listFindings({ status: 'open' })).filter((finding) => finding.ruleId.startsWith('K8S-'));
    const withFindings = new Set(open.map((finding) => resourceKey(finding.resourceId)));
    expect(withFindings.size).toBe(8);
    expect(withFindings.has(resourceKey(id('aks-00003')))).toBe(false);
    expect(new Set(open.map((finding) => finding.ruleId)).size).toBeGreaterThan(1);
    expect(open.map((finding) => finding.ruleId)).toContain('K8S-PRIVILEGED-POD');

    const [record] = await sweeps.latestInCluster(1);
    // The audit-log rule reads each cluster's diagnostic settings from ARM, reachable API server or not:
    // the generated fleet has none, so every cluster has AKS-AUDIT-LOGS open.
    const audit = (await findings.listFindings({ status: 'open' })).filter((finding) => finding.ruleId === 'AKS-AUDIT-LOGS');
    expect(audit).toHaveLength(12);
    expect(record).toMatchObject({ trigger: 'inCluster', clusters: 12, inClusterChecked: 8, inClusterNotChecked: 4, opened: open.length + audit.length });
  });

  it("the fleet sweep timer leaves the stage to its schedule, keeps the K8S findings, and the report reads the run's coverage", async () => {
    const requests = local.kubernetes!.requests.length;
    const { findings, sweeps } = stores();
    const openBefore = (await findings.listFindings({ status: 'open' })).filter((finding) => finding.ruleId.startsWith('K8S-')).length;
    await host.invokeTimer('fleetSweep');
    expect(local.kubernetes!.requests.length).toBe(requests);
    const openAfter = (await findings.listFindings({ status: 'open' })).filter((finding) => finding.ruleId.startsWith('K8S-')).length;
    expect(openAfter).toBe(openBefore);
    const report = await gatherReportData({ findings, sweeps, rollouts: undefined }, new Date());
    expect(report.clusters).toHaveLength(12);
    expect(report.clusters.find((cluster) => cluster.name === 'aks-00003')?.inCluster).toEqual({
      state: 'unreachable',
      reason: `timed out after ${deadlineSeconds} s`,
    });
    expect(report.clusters.filter((cluster) => cluster.inCluster?.state === 'checked')).toHaveLength(8);
  });

  it('a batch that fails after its retries costs its own clusters, which keep their findings; a crash loses no batch', async () => {
    local.kubernetes!.faults.delays.clear();
    // The next hourly tick.
    durable.clock.advanceTo(durable.clock.now() + 60 * 60_000);
    const { findings } = stores();
    const openBefore = (await findings.listFindings({ status: 'open' })).filter((finding) => finding.ruleId.startsWith('K8S-'));
    // The middle batch's activity fails every attempt (as a worker whose table writes keep failing would).
    const batch = host.get(IN_CLUSTER_ACTIVITIES.batch);
    const original = batch.handler;
    host.functions.set(IN_CLUSTER_ACTIVITIES.batch, {
      ...batch,
      handler: (input: unknown, ...rest: unknown[]) =>
        (input as { batch: number }).batch === 1 ? Promise.reject(new Error('table write failed (503)')) : original(input, ...rest),
    });
    const failuresBefore = durable.activityFailures;
    const executedBefore = durable.activitiesByName.get(IN_CLUSTER_ACTIVITIES.batch) ?? 0;
    let lost: number | undefined;
    try {
      await host.invokeTimer('inClusterSweep');
      await durable.run({
        onStep: () => {
          // Once the first batch has run and before its result is replayed, lose it, as a restarted worker would.
          if (lost === undefined && (durable.activitiesByName.get(IN_CLUSTER_ACTIVITIES.batch) ?? 0) > executedBefore) lost = durable.crash();
        },
      });
    } finally {
      host.functions.set(IN_CLUSTER_ACTIVITIES.batch, batch);
    }
    expect(lost).toBe(1);
    const status = durable.getStatus(IN_CLUSTER_INSTANCE_ID);
    expect(status?.runtimeStatus, status?.error).toBe('Completed');
    const summary = status?.output as InClusterRunSummary;
    // 3 attempts of batch 1 (more when the crash lost a failed attempt's result, which then ran again).
    expect(durable.activityFailures - failuresBefore).toBeGreaterThanOrEqual(3);
    expect(summary.failedBatches).toEqual([{ batch: 1, clusters: 5, reason: expect.stringMatching(/after 3 attempts: table write failed \(503\)/) }]);
    // Every other batch ran (the one whose result was lost ran again): each cluster's state as expected.
    const coverage = await stores().sweeps.latestInClusterCoverage();
    for (const name of clusterIds.keys()) expect(coverage.get(resourceKey(id(name)))?.state, name).toBe(expectedState(name, 1));
    expect(summary.status).toBe('partial');
    const failed = [...coverage.entries()].filter(([, value]) => value.reason.includes('table write failed'));
    expect(failed).toHaveLength(5);
    // Coverage, never silence: the failed batch's clusters keep their open findings.
    const openAfter = (await findings.listFindings({ status: 'open' })).filter((finding) => finding.ruleId.startsWith('K8S-'));
    for (const [key] of failed) {
      expect(openAfter.filter((finding) => resourceKey(finding.resourceId) === key).length).toBe(
        openBefore.filter((finding) => resourceKey(finding.resourceId) === key).length,
      );
    }
  });
});
