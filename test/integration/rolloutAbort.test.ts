/**
 * Abort, as an operator uses it: `POST /api/rollouts/{id}/abort` through the registered HTTP
 * function, at every point of a run, on the local durable host with its virtual clock. After the
 * 202 no upgrade write reaches ARM (counted at the simulator: its upgrade bookkeeping and its request
 * log), no new cluster or wave starts, and the rollout ends `Aborted` with each cluster's status.
 *
 * Sample fleet, target 1.32, waves by `ring`, one cluster at a time: wave 0 upgrades web-dev (two
 * hops), wave 1 has nothing to upgrade, wave 2 upgrades checkout-prod, search-prod (its spot pool)
 * and payments-prod one after the other.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { encodePrincipal } from '../../lib/auth/principal.js';
import type { ClusterOutcome, RolloutOutcome } from '../../lib/upgrades/orchestrators.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';

const manager = encodePrincipal({ name: 'max@contoso.com', roles: ['Rollouts.Manage'] });
const reader = encodePrincipal({ name: 'rita@contoso.com', roles: ['Rollouts.Read'] });
const UPGRADE_WRITES = new Set(['arm.putManagedCluster', 'arm.putAgentPool', 'arm.upgradeNodeImageVersion']);
const START = {
  target: '1.32',
  waves: { byTag: 'ring' },
  waveSettings: { maxParallel: 1, soakMinutes: 10, requireApproval: false },
  allowMultiMinorHops: true,
};

let app: AppHost | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Upgrade writes after the abort, per abort point: the closing note's table. */
const counts: Array<{ point: string; before: number; after: number; requestLogAfter: number; statuses: string }> = [];
afterAll(() => {
  console.log(
    [
      '| abort point | upgrade writes before the abort | new upgrade writes after the 202 (simulator) | new write requests after the 202 (request log) | cluster statuses |',
      '| --- | --- | --- | --- | --- |',
      ...counts.map((row) => `| ${row.point} | ${row.before} | ${row.after} | ${row.requestLogAfter} | ${row.statuses} |`),
    ].join('\n'),
  );
});

interface Scenario {
  point: string;
  body?: Record<string, unknown>;
  /** Sets the simulator up before the rollout starts. */
  prepare?: (app: AppHost) => void;
  /** The host runs until this holds, then the operator aborts (undefined: abort before the host ever ran). */
  until?: (app: AppHost, id: string) => boolean;
}

interface Aborted {
  id: string;
  output: RolloutOutcome;
  clusters: Record<string, ClusterOutcome>;
  writesBefore: Map<string, number>;
  app: AppHost;
}

/** Puts a cluster of the sample fleet on an older version, so the rollout has work for it. */
function setVersion(host: AppHost, name: string, version: string): void {
  const { fleet } = host.local.simulator;
  const id = fleet
    .listSubscriptions()
    .flatMap((subscription) => fleet.clustersOf(subscription.subscriptionId))
    .map((cluster) => String(cluster['id']))
    .find((candidate) => candidate.toLowerCase().endsWith(`/${name}`));
  if (id === undefined) throw new Error(`no cluster ${name} in the sample fleet`);
  fleet.updateClusterProperties(id, (properties) => {
    properties['kubernetesVersion'] = properties['currentKubernetesVersion'] = version;
    for (const pool of properties['agentPoolProfiles'] as Array<Record<string, unknown>>)
      pool['orchestratorVersion'] = pool['currentOrchestratorVersion'] = version;
  });
}

const clusterName = (resourceId: string) => resourceId.split('/').at(-1) ?? '';
const customStatus = (host: AppHost, instanceId: string) => (host.durable.getStatus(instanceId)?.customStatus ?? {}) as Record<string, unknown>;
const writesOf = (host: AppHost) => new Map([...host.local.simulator.upgrades.writesByCluster].map(([id, count]) => [clusterName(id), count]));
const total = (writes: Map<string, number>) => [...writes.values()].reduce((sum, count) => sum + count, 0);
const writeRequests = (host: AppHost) => host.local.simulator.requests.entries.filter((entry) => UPGRADE_WRITES.has(entry.route)).length;

async function abortAt(scenario: Scenario): Promise<Aborted> {
  app = await startAppHost();
  const current = app;
  scenario.prepare?.(current);
  const call = (name: string, principal: string, options: { body?: unknown; id?: string } = {}) =>
    current.host.invokeHttp(name, {
      method: name === 'rolloutsGet' ? 'GET' : 'POST',
      path: `/api/rollouts${options.id ? `/${options.id}` : ''}`,
      headers: { 'x-ms-client-principal': principal },
      params: options.id === undefined ? {} : { id: options.id },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  const started = await call('rolloutsCreate', manager, { body: { ...START, ...scenario.body } });
  expect(started.status).toBe(202);
  const { id } = started.body as { id: string };
  if (scenario.until !== undefined) {
    const until = scenario.until;
    await current.durable.run({ until: () => until(current, id) });
    expect(until(current, id), `${scenario.point}: the run reached the abort point`).toBe(true);
  }
  const writesBefore = writesOf(current);
  const requestsBefore = writeRequests(current);
  const aborted = await call('rolloutsAbort', manager, { id });
  expect(aborted.status, JSON.stringify(aborted.body)).toBe(202);
  await current.durable.run();

  const after = total(writesOf(current)) - total(writesBefore);
  const requestLogAfter = writeRequests(current) - requestsBefore;
  const done = (await call('rolloutsGet', reader, { id })).body as {
    runtimeStatus: string;
    output: RolloutOutcome | null;
    clusters: Array<{ resourceId: string; status: string }>;
    actions: Array<{ action: string; by: string }>;
  };
  const outputClusters = (done.output?.waves ?? []).flatMap((wave) => wave.clusters);
  counts.push({
    point: scenario.point,
    before: total(writesBefore),
    after,
    requestLogAfter,
    statuses: outputClusters.map((cluster) => `${clusterName(cluster.resourceId)} ${cluster.status}`).join(', ') || `(${done.runtimeStatus})`,
  });
  expect(after, `${scenario.point}: upgrade writes after the abort`).toBe(0);
  expect(requestLogAfter, `${scenario.point}: write requests after the abort`).toBe(0);
  expect(done.runtimeStatus, scenario.point).toBe('Completed');
  expect(done.output?.status, scenario.point).toBe('Aborted');
  // The rollout history in Tables holds every cluster's final status, as the output does.
  expect(done.clusters.map((cluster) => [clusterName(cluster.resourceId), cluster.status]).sort(), scenario.point).toEqual(
    outputClusters.map((cluster) => [clusterName(cluster.resourceId), cluster.status]).sort(),
  );
  expect(done.actions.map((action) => [action.action, action.by])).toContainEqual(['abort', 'max@contoso.com']);
  // Every orchestration of the rollout ended: nothing is left running to write later.
  expect(
    current.durable.listInstances().filter((instance) => instance.instanceId.startsWith(id) && instance.runtimeStatus !== 'Completed'),
    scenario.point,
  ).toEqual([]);
  return {
    id,
    output: done.output as RolloutOutcome,
    clusters: Object.fromEntries(outputClusters.map((cluster) => [clusterName(cluster.resourceId), cluster])),
    writesBefore,
    app: current,
  };
}

describe('abort through the HTTP function stops every orchestration of the rollout', () => {
  it('before the first wave: nothing starts', async () => {
    const { output, clusters, app: host, id } = await abortAt({ point: 'before the first wave' });
    expect(output.waves.map((wave) => wave.status)).toEqual(['NotStarted', 'NotStarted', 'NotStarted']);
    expect(clusters['web-dev']).toMatchObject({ status: 'NotStarted', reason: 'the rollout was aborted' });
    expect(host.durable.getStatus(`${id}:wave-0`)).toBeUndefined();
  });

  it('during a wave: the cluster mid-upgrade starts no further step (its operation in flight is reported), the next cluster of the wave never starts', async () => {
    let first: string | undefined;
    const {
      output,
      clusters,
      writesBefore,
      app: host,
      id,
    } = await abortAt({
      point: 'during a wave (a cluster mid-upgrade; a not-yet-started cluster of the same wave)',
      // search-prod back on 1.31, so wave 2 has two clusters to upgrade, one after the other.
      prepare: (current) => setVersion(current, 'search-prod', '1.31.4'),
      until: (current, rolloutId) => {
        const running = customStatus(current, `${rolloutId}:wave-2`)['running'];
        first = Array.isArray(running) ? String(running[0]) : undefined;
        return first !== undefined && (writesOf(current).get(first) ?? 0) >= 1;
      },
    });
    expect(first).toBeDefined();
    const name = first ?? '';
    expect(writesBefore.get(name)).toBeGreaterThanOrEqual(1);
    expect(clusters[name]).toMatchObject({
      status: 'Aborted',
      inFlight: expect.stringMatching(/provisioningState|→/),
      reason: expect.stringMatching(
        /was left to finish \(a rollout abort does not abort AKS operations; 'az aks operation-abort' can, Learn: manage-abort-operations\); no further step was started/,
      ),
    });
    expect(output.waves.find((wave) => wave.name === '2')?.status).toBe('Aborted');
    // The other clusters of wave 2 never started: no orchestration, no write.
    const others =
      output.waves
        .find((wave) => wave.name === '2')
        ?.clusters.filter((cluster) => clusterName(cluster.resourceId) !== name && cluster.status !== 'Excluded' && cluster.status !== 'Skipped') ?? [];
    expect(others.length).toBeGreaterThan(0);
    for (const cluster of others) {
      expect(cluster).toMatchObject({ status: 'NotStarted', reason: 'the rollout was aborted' });
      expect(host.durable.getStatus(`${id}:wave-2:${clusterName(cluster.resourceId)}`)).toBeUndefined();
      expect(writesOf(host).get(clusterName(cluster.resourceId))).toBeUndefined();
    }
  });

  it('between waves: the next wave never starts', async () => {
    const {
      output,
      app: host,
      id,
    } = await abortAt({
      point: 'between waves',
      until: (current, rolloutId) => current.durable.getStatus(`${rolloutId}:wave-0`)?.runtimeStatus === 'Completed',
    });
    expect(output.waves.map((wave) => wave.status)).toEqual(['Completed', 'NotStarted', 'NotStarted']);
    expect(host.durable.getStatus(`${id}:wave-1`)).toBeUndefined();
  });

  it('during a soak: the soak ends, the cluster is reported upgraded without its gate, nothing else starts', async () => {
    const { clusters, output } = await abortAt({
      point: 'during a soak',
      until: (current, rolloutId) => customStatus(current, `${rolloutId}:wave-0:web-dev`)['phase'] === 'soaking',
    });
    expect(clusters['web-dev']).toMatchObject({ status: 'Upgraded', reason: 'the rollout was aborted during the soak: the health gate did not finish' });
    expect(output.waves.map((wave) => wave.status)).toEqual(['Aborted', 'NotStarted', 'NotStarted']);
  });

  it('while waiting for approval: the wave never starts', async () => {
    const {
      output,
      app: host,
      id,
    } = await abortAt({
      point: 'while waiting for approval',
      body: { waveOverrides: { '2': { requireApproval: true } } },
      until: (current, rolloutId) => customStatus(current, rolloutId)['status'] === 'WaitingForApproval',
    });
    expect(output.haltReason).toBe('aborted while wave 2 waited for approval');
    expect(output.waves.map((wave) => wave.status)).toEqual(['Completed', 'Completed', 'NotStarted']);
    expect(host.durable.getStatus(`${id}:wave-2`)).toBeUndefined();
  });

  it('while waiting for a maintenance window: the wait ends now, not when the window opens', async () => {
    const webDev = '/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/web/providers/microsoft.containerservice/managedclusters/web-dev';
    let opensAt = '';
    let waitReason = '';
    const { clusters, app: host } = await abortAt({
      point: 'while waiting for a maintenance window',
      body: { respectMaintenanceWindows: true },
      prepare: (current) => {
        const id =
          current.local.simulator.fleet
            .listSubscriptions()
            .flatMap((subscription) => current.local.simulator.fleet.clustersOf(subscription.subscriptionId))
            .map((cluster) => String(cluster['id']))
            .find((candidate) => candidate.toLowerCase().endsWith('/web-dev')) ?? webDev;
        // Wednesdays 02:00-06:00 UTC; the virtual clock starts on Monday 2026-11-23 08:00, and
        // Wednesday 2026-11-25 is a blackout, so the window waited for is 2026-12-02.
        current.local.simulator.upgrades.maintenanceWindows.set(id.toLowerCase(), {
          schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } },
          durationHours: 4,
          startTime: '02:00',
          utcOffset: '+00:00',
          notAllowedDates: [{ start: '2026-11-25', end: '2026-11-25' }],
        });
      },
      until: (current, rolloutId) => {
        const status = customStatus(current, `${rolloutId}:wave-0:web-dev`);
        opensAt = typeof status['opensAt'] === 'string' ? status['opensAt'] : '';
        waitReason = typeof status['reason'] === 'string' ? status['reason'] : '';
        return status['phase'] === 'waiting for the maintenance window';
      },
    });
    expect(clusters['web-dev']).toMatchObject({
      status: 'NotStarted',
      reason: "the rollout was aborted before this cluster's upgrade started (it was waiting for its maintenance window)",
    });
    expect(Date.parse(opensAt)).toBeGreaterThan(host.clock.now());
    // The operator sees why it waits a week longer: the blackout, in the orchestration's status.
    expect(opensAt).toBe('2026-12-02T02:00:00.000Z');
    expect(waitReason).toContain('notAllowedDates 2026-11-25..2026-11-25');
  });
});
