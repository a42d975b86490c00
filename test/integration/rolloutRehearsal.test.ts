import { afterEach, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { EVENTS, type RolloutOutcome } from '../../lib/upgrades/orchestrators.js';
import type { RolloutRequest } from '../../lib/upgrades/plan.js';
import { prepareRehearsal, type Rehearsal, rehearsalResult, rehearseRollout } from '../../tooling/local/rehearsal.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { routingDocument, SECRETS } from '../harness/alerts.js';
import { rolloutRequest } from '../harness/rolloutRequests.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

/** 12 clusters in 4 rings (waves 0-3): 1.29.9-1.32.4, one Failed (excluded), one user pool each 15th. */
const FLEET = () => generateFleet({ clusters: 12, subscriptions: 2, locations: 1 });

const request = rolloutRequest;

function settings(): Record<string, string> {
  return {
    FLEETGUARD_ALERTS_TABLE: uniqueTableName('ralerts'),
    FLEETGUARD_FINDINGS_TABLE: uniqueTableName('rfind'),
    // Its own notices table: the health gate reads node-pool failures back, and other rehearsals inject them on the same clusters.
    FLEETGUARD_EVENTS_TABLE: uniqueTableName('revents'),
    FLEETGUARD_ALERT_ROUTES: routingDocument('- { name: digest, receiver: slack }'),
    ...SECRETS,
  };
}

function statuses(outcome: RolloutOutcome): Record<string, string> {
  return Object.fromEntries(outcome.waves.flatMap((wave) => wave.clusters.map((cluster) => [cluster.resourceId.split('/').at(-1) ?? '', cluster.status])));
}

let rehearsal: Rehearsal | undefined;
afterEach(async () => {
  await rehearsal?.local.close();
  rehearsal = undefined;
});

/**
 * Upgrades are polled once per simulated operation (10 minutes) rather than every minute: a tenth of
 * the advance activities and replays, the same decisions. The happy path and the crash test keep
 * the default gates (`gates: {}`), so polling every minute is rehearsed too.
 */
const ONE_POLL_PER_OPERATION = { pollMinutes: 10 };

async function rehearse(overrides: Partial<RolloutRequest> = {}, extra: Partial<Parameters<typeof rehearseRollout>[0]> = {}): Promise<Rehearsal> {
  rehearsal = await rehearseRollout(
    {
      snapshot: FLEET(),
      request: request(overrides),
      tablesConnectionString: azuriteConnectionString(),
      settings: settings(),
      gates: ONE_POLL_PER_OPERATION,
      ...extra,
    },
    process.env,
  );
  return rehearsal;
}

/** Writes a Full upgrade needs: per hop, the control plane and each pool. */
const EXPECTED_WRITES: Record<string, number> = {
  'aks-00001': 1 * 2, // 1.31.4 → 1.32.4
  'aks-00004': 3 * 2, // 1.29.9 → 1.30, 1.31, 1.32
  'aks-00005': 2 * 2, // 1.30.7 → 1.31, 1.32
  'aks-00006': 1 * 2,
  'aks-00009': 3 * 2,
  'aks-00010': 2 * 2,
  'aks-00011': 1 * 2,
};

describe('progressive rollouts on the local durable host', () => {
  it('happy path: four waves, every eligible cluster upgraded through consecutive minors, each step written once', async () => {
    const { outcome, writesByCluster, local } = await rehearse({}, { gates: {} });
    expect(outcome.status).toBe('Completed');
    expect(outcome.waves.map((wave) => [wave.name, wave.status])).toEqual([
      ['0', 'Completed'],
      ['1', 'Completed'],
      ['2', 'Completed'],
      ['3', 'Completed'],
    ]);
    expect(statuses(outcome)).toMatchObject({ 'aks-00000': 'Excluded', 'aks-00002': 'Skipped', 'aks-00004': 'Upgraded', 'aks-00005': 'Upgraded' });
    expect(writesByCluster).toEqual(EXPECTED_WRITES);
    // Planning asked each cluster that moves for its upgrade profile, and nobody else.
    expect(local.simulator.requests.count('arm.getManagedClusterUpgradeProfile', 200)).toBe(Object.keys(EXPECTED_WRITES).length);
    const versions = (await createAzureClients(local.config).fleet.listClusters('00000000-0000-4000-8000-000000000000')).clusters.map((cluster) => [
      cluster.name,
      cluster.kubernetesVersion,
    ]);
    expect(Object.fromEntries(versions)).toMatchObject({ 'aks-00004': '1.32.4', 'aks-00010': '1.32.4' });
  });

  it('an anomaly in wave 2 halts it: wave 3 and later never start, and exactly one halt alert is queued', async () => {
    const { outcome, writesByCluster, local } = await rehearse({}, { injectAnomaly: ['aks-00005'] });
    expect(outcome.status).toBe('Halted');
    expect(outcome.haltReason).toMatch(/^wave 1: aks-00005: health gate failed: failed-api-auth rose from 0 to 50/);
    expect(outcome.waves.map((wave) => wave.status)).toEqual(['Completed', 'Halted', 'NotStarted', 'NotStarted']);
    // Waves 2 and 3 (rings 2, 3) were never touched.
    for (const name of ['aks-00006', 'aks-00010', 'aks-00011']) expect(writesByCluster[name]).toBeUndefined();
    expect(statuses(outcome)['aks-00006']).toBe('NotStarted');
    const entries = await createAzureClients(local.config).alertStore!.allEntries('slack');
    const haltAlerts = entries.filter((entry) => entry.body.includes('ROLLOUT-HALTED'));
    expect(haltAlerts).toHaveLength(1);
    expect(haltAlerts[0]?.body).toContain('Rollout rehearsal halted');
    // The alert says what to do next, as commands: resume, abort then retry, and where rollback shows.
    for (const verb of ['resume', 'abort', 'retry', 'status']) expect(haltAlerts[0]?.body).toContain(`fleetguard rollouts ${verb} rehearsal`);
  });

  it('a failed cluster with maxFailedClusters 0 halts the rollout', async () => {
    const { outcome } = await rehearse({}, { injectFailure: ['aks-00001'] });
    expect(outcome.status).toBe('Halted');
    expect(statuses(outcome)['aks-00001']).toBe('Failed');
    expect(outcome.haltReason).toContain('1 failed clusters exceed maxFailedClusters 0');
    expect(outcome.waves.slice(2).every((wave) => wave.status === 'NotStarted')).toBe(true);
  });

  it('tolerates failures up to maxFailedClusters', async () => {
    const { outcome } = await rehearse({ maxFailedClusters: 1 }, { injectFailure: ['aks-00001'] });
    expect(outcome.status).toBe('Completed');
    expect(statuses(outcome)['aks-00001']).toBe('Failed');
  });

  // 12 s on a quiet machine; the timeout only guards against a hang (it ran past 30 s at load 4).
  it('survives the host crashing at 20 random points: every upgrade step is written exactly once, the outcome is the same', { timeout: 90_000 }, async () => {
    let seed = 20261123;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const crashes = new Set<number>();
    while (crashes.size < 20) crashes.add(Math.floor(random() * 400));
    let crashed = 0;
    const clean = await rehearse({}, { gates: {} });
    const cleanActivities = clean.stats.activities;
    await clean.local.close();
    const { outcome, writesByCluster, stats } = await rehearse(
      {},
      {
        gates: {},
        onStep: (step, host) => {
          if (crashes.has(step)) {
            crashed += 1;
            host.crash();
          }
        },
      },
    );
    expect(crashed).toBe(20);
    // The crashes did throw work away: activities ran again...
    expect(stats.activities).toBeGreaterThan(cleanActivities);
    // ...and yet nothing was upgraded twice.
    expect(outcome.status).toBe('Completed');
    expect(writesByCluster).toEqual(EXPECTED_WRITES);
  });

  it('a wave that requires approval waits for it, and runs once approved', async () => {
    const prepared = await prepareRehearsal(
      {
        snapshot: FLEET(),
        request: request({ waveOverrides: { '1': { requireApproval: true } } }),
        tablesConnectionString: azuriteConnectionString(),
        gates: ONE_POLL_PER_OPERATION,
        settings: settings(),
      },
      process.env,
    );
    const started = prepared.clock.now();
    await prepared.host.run({
      until: () => (prepared.host.getStatus(prepared.instanceId)?.customStatus as { status?: string } | null)?.status === 'WaitingForApproval',
    });
    expect(prepared.host.getStatus(prepared.instanceId)?.customStatus).toMatchObject({ status: 'WaitingForApproval', wave: '1' });
    prepared.host.raiseEvent(prepared.instanceId, EVENTS.approve, { by: 'max@contoso.com' });
    await prepared.host.run();
    rehearsal = rehearsalResult(prepared, started);
    expect(rehearsal.outcome.status).toBe('Completed');
  });

  it('an approval that does not come in time halts the rollout', async () => {
    const { outcome } = await rehearse(
      { waveOverrides: { '1': { requireApproval: true } } },
      { gates: { ...ONE_POLL_PER_OPERATION, approvalTimeoutMinutes: 60 } },
    );
    expect(outcome.status).toBe('Halted');
    expect(outcome.haltReason).toBe('wave 1 was not approved within 60 minutes');
    expect(outcome.waves.map((wave) => wave.status)).toEqual(['Completed', 'Skipped', 'NotStarted', 'NotStarted']);
  });

  it('a drop in policy compliance after the upgrade halts the rollout', async () => {
    const prepared = await prepareRehearsal(
      { snapshot: FLEET(), request: request(), tablesConnectionString: azuriteConnectionString(), gates: ONE_POLL_PER_OPERATION, settings: settings() },
      process.env,
    );
    const started = prepared.clock.now();
    const target = '/subscriptions/00000001-0000-4000-8000-000000010000/resourceGroups/rg-5/providers/Microsoft.ContainerService/managedClusters/aks-00005';
    const upgraded = () => prepared.local.simulator.upgrades.upgradedAt.has(target.toLowerCase());
    await prepared.host.run({ until: upgraded });
    // A policy starts denying the upgraded cluster.
    (prepared.local.simulator.fleet.policyStates!['value'] as Array<Record<string, unknown>>).push({
      resourceId: target,
      resourceType: 'Microsoft.ContainerService/managedClusters',
      subscriptionId: '00000001-0000-4000-8000-000000010000',
      policyAssignmentId: '/x/assignment',
      policyAssignmentName: 'a',
      policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/new',
      policyDefinitionName: 'new',
      policyDefinitionAction: 'deny',
      complianceState: 'NonCompliant',
      timestamp: '2026-11-23T09:00:00Z',
    });
    await prepared.host.run();
    rehearsal = rehearsalResult(prepared, started);
    expect(rehearsal.outcome.status).toBe('Halted');
    expect(rehearsal.outcome.haltReason).toMatch(/aks-00005: health gate failed: policy-noncompliant-states rose from \d+ to \d+/);
  });

  it('a NodePoolRollingFailed event during the upgrade halts the rollout', async () => {
    const prepared = await prepareRehearsal(
      { snapshot: FLEET(), request: request(), tablesConnectionString: azuriteConnectionString(), gates: ONE_POLL_PER_OPERATION, settings: settings() },
      process.env,
    );
    const started = prepared.clock.now();
    const target = '/subscriptions/00000001-0000-4000-8000-000000010000/resourceGroups/rg-1/providers/Microsoft.ContainerService/managedClusters/aks-00001';
    await prepared.host.run({ until: () => prepared.local.simulator.upgrades.upgradedAt.has(target.toLowerCase()) });
    const notices = createAzureClients(prepared.local.config).notices!;
    await notices.ensureTable();
    await notices.putRolling({ clusterId: target, nodePool: 'system', state: 'failed', eventTime: new Date(prepared.clock.now()).toISOString() });
    await prepared.host.run();
    rehearsal = rehearsalResult(prepared, started);
    expect(rehearsal.outcome.status).toBe('Halted');
    expect(rehearsal.outcome.haltReason).toMatch(/aks-00001: health gate failed: nodepool-rolling-failed rose from 0 to 1/);
  });

  it('the wave gate measures the wave again after its soak, before the next wave', async () => {
    const prepared = await prepareRehearsal(
      {
        snapshot: FLEET(),
        request: request({ waveSettings: { maxParallel: 2, soakMinutes: 5, requireApproval: false } }),
        tablesConnectionString: azuriteConnectionString(),
        gates: ONE_POLL_PER_OPERATION,
        settings: settings(),
      },
      process.env,
    );
    const started = prepared.clock.now();
    // Wave 0 completes its own per-cluster gates; then aks-00004 degrades during the wave's soak.
    await prepared.host.run({ until: () => (prepared.host.getStatus('rehearsal:wave-0')?.customStatus as { phase?: string } | null)?.phase === 'wave gate' });
    prepared.local.simulator.upgrades.anomalousClusters.add('aks-00004');
    await prepared.host.run();
    rehearsal = rehearsalResult(prepared, started);
    expect(rehearsal.outcome.status).toBe('Halted');
    expect(rehearsal.outcome.haltReason).toMatch(/^wave 0: aks-00004: wave gate failed: (failed-api-auth|crashloop|node-not-ready) rose from 0 to 50/);
    expect(rehearsal.outcome.waves.slice(1).every((wave) => wave.status === 'NotStarted')).toBe(true);
  });

  it('respectMaintenanceWindows: a cluster waits with a durable timer until its window opens, skipping one inside a blackout', async () => {
    const prepared = await prepareRehearsal(
      {
        snapshot: FLEET(),
        request: request({ respectMaintenanceWindows: true }),
        tablesConnectionString: azuriteConnectionString(),
        gates: ONE_POLL_PER_OPERATION,
        settings: settings(),
      },
      process.env,
    );
    const started = prepared.clock.now();
    const target = '/subscriptions/00000001-0000-4000-8000-000000010000/resourceGroups/rg-1/providers/Microsoft.ContainerService/managedClusters/aks-00001';
    // The rehearsal clock starts on Monday 2026-11-23 08:00 UTC; the window opens Wednesdays 02:00, but
    // Wednesday 2026-11-25 is frozen (notAllowedDates, as in MaintenanceConfigurationsGet_MaintenanceWindow.json): the next is 2026-12-02.
    prepared.local.simulator.upgrades.maintenanceWindows.set(target.toLowerCase(), {
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } },
      durationHours: 4,
      startTime: '02:00',
      utcOffset: '+00:00',
      notAllowedDates: [{ start: '2026-11-25', end: '2026-11-25' }],
    });
    await prepared.host.run();
    rehearsal = rehearsalResult(prepared, started);
    expect(rehearsal.outcome.status).toBe('Completed');
    const operations = [...prepared.local.simulator.upgrades.operations.values()];
    const first = Math.min(
      ...operations.filter((operation) => operation.clusterId.toLowerCase() === target.toLowerCase()).map((operation) => operation.startedAt),
    );
    expect(new Date(first).toISOString() >= '2026-12-02T02:00:00.000Z').toBe(true);
    // Clusters without a window did not wait for it.
    const other = Math.min(...operations.filter((operation) => operation.clusterId.endsWith('aks-00004')).map((operation) => operation.startedAt));
    expect(new Date(other).toISOString() < '2026-11-24T00:00:00.000Z').toBe(true);
  });

  it('NodeImageOnly: one node-image upgrade per pool, versions unchanged', async () => {
    const { outcome, writesByCluster } = await rehearse({ upgradeType: 'NodeImageOnly', target: '1.32' });
    expect(outcome.status).toBe('Completed');
    expect(statuses(outcome)['aks-00004']).toBe('Upgraded');
    // aks-00000 is Failed (excluded); every other cluster has one pool (system).
    expect(Object.values(writesByCluster).every((count) => count === 1)).toBe(true);
    expect(Object.keys(writesByCluster)).toHaveLength(11);
  });

  it('the sample fleet: refuses what cannot be upgraded, each with its reason', async () => {
    rehearsal = await rehearseRollout(
      {
        snapshot: loadSnapshot(sampleFleetDirectory()),
        request: request({ allowMultiMinorHops: false }),
        tablesConnectionString: azuriteConnectionString(),
        gates: ONE_POLL_PER_OPERATION,
        settings: settings(),
      },
      process.env,
    );
    expect(rehearsal.outcome.excluded.map((entry) => [entry.resourceId.split('/').at(-1), entry.reason])).toEqual([
      ['batch-staging', '1.28.9 → 1.32.3 crosses 4 minors; AKS upgrades one minor at a time (set allowMultiMinorHops to plan consecutive hops)'],
      ['legacy-reporting', 'provisioningState is Failed, not Succeeded'],
      ['web-dev', '1.30.4 → 1.32.3 crosses 2 minors; AKS upgrades one minor at a time (set allowMultiMinorHops to plan consecutive hops)'],
    ]);
    expect(rehearsal.writesByCluster).toEqual({ 'checkout-prod': 2 });
  });

  it('a Full rollout passes its pool step against the strict simulator, and the pool keeps every setting (PUT is create-or-replace)', async () => {
    rehearsal = await rehearseRollout(
      {
        snapshot: loadSnapshot(sampleFleetDirectory()),
        request: request({ allowMultiMinorHops: false }),
        tablesConnectionString: azuriteConnectionString(),
        gates: ONE_POLL_PER_OPERATION,
        settings: settings(),
      },
      process.env,
    );
    expect(statuses(rehearsal.outcome)['checkout-prod']).toBe('Upgraded');
    expect(rehearsal.outcome.status).toBe('Completed');
    // The pool PUT had to carry count (AKS refuses a pool without it) and everything else it had.
    expect(rehearsal.local.simulator.requests.count('arm.putAgentPool', 400)).toBe(0);
    const checkout = rehearsal.local.simulator.fleet
      .listSubscriptions()
      .flatMap((subscription) => subscription.clusters)
      .find((cluster) => cluster['name'] === 'checkout-prod')!;
    const [pool] = (checkout['properties'] as { agentPoolProfiles: Array<Record<string, unknown>> }).agentPoolProfiles;
    expect(pool).toMatchObject({
      name: 'system',
      count: 3,
      mode: 'System',
      osType: 'Linux',
      orchestratorVersion: '1.32.3',
      currentOrchestratorVersion: '1.32.3',
    });
    expect(pool?.['vmSize']).toEqual(expect.any(String));
  });

  it("AKS's deprecated-API pre-flight refusal excludes the cluster with the reason and the bypass; the rollout goes on (Learn: stop-cluster-upgrade-api-breaking-changes)", async () => {
    rehearsal = await rehearseRollout(
      {
        snapshot: loadSnapshot(sampleFleetDirectory()),
        request: request({ allowMultiMinorHops: false }),
        tablesConnectionString: azuriteConnectionString(),
        gates: ONE_POLL_PER_OPERATION,
        settings: settings(),
        deprecatedApiUsage: [{ cluster: 'checkout-prod', api: 'flowcontrol.apiserver.k8s.io.flowschemas.v1beta3', removedIn: '1.32' }],
      },
      process.env,
    );
    const { outcome } = rehearsal;
    // Not a failure: nothing halts, nothing counts against maxFailedClusters 0.
    expect(outcome.status).toBe('Completed');
    expect(statuses(outcome)['checkout-prod']).toBe('Excluded');
    const entry = outcome.excluded.find((excluded) => excluded.resourceId.endsWith('/checkout-prod'));
    expect(entry?.reason).toMatch(
      /^AKS refused the minor upgrade to 1\.32\.3 \(UpgradeBlockedOnDeprecatedAPIUsage\): deprecated Kubernetes APIs were used in the last 12 hours \(usage has been detected on API flowcontrol\.apiserver\.k8s\.io\.flowschemas\.v1beta3/,
    );
    expect(entry?.reason).toContain('az aks update --subscription');
    expect(entry?.reason).toContain('--name checkout-prod --enable-force-upgrade --upgrade-override-until');
    const waveEntry = outcome.waves.flatMap((wave) => wave.clusters).find((cluster) => cluster.resourceId.endsWith('/checkout-prod'));
    expect(waveEntry?.reason).toBe(entry?.reason);
    // One write, refused: the cluster is where it was.
    expect(rehearsal.writesByCluster).toEqual({ 'checkout-prod': 1 });
    expect(rehearsal.local.simulator.requests.count('arm.putManagedCluster', 400)).toBe(1);
  });
});
