/**
 * The timer's streaming sweep (lib/sweep/streamingSweep.ts) against the simulator and Azurite, on a
 * small generated fleet cut into 3 shards: the same findings land in the store as with the
 * whole-fleet sweep, what shards share is read once (simulator requests counted), the sweep record
 * is complete, and a failing subscription degrades its shard only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { parseConfig } from '../../lib/config.js';
import { FleetGuardError } from '../../lib/errors.js';
import type { SweepDependencies } from '../../lib/sweep/runSweep.js';
import { runStreamingSweep } from '../../lib/sweep/streamingSweep.js';
import type { ShardOutcome } from '../../lib/sweep/sweepShard.js';
import { generateFleet, subscriptionIdFor } from '../../tooling/simulator/fleetGenerator.js';
import { FAST_RETRY, startTestFleet, type TestFleet } from '../harness/localFleet.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

/** 6 subscriptions of 3 clusters, 2 locations, 2 workspaces: shards of at most 6 clusters are 3 shards of 2 subscriptions. */
const FLEET = { clusters: 18, subscriptions: 6, locations: 2, workspaces: 2 };
const SHARD_CLUSTERS = 6;

let fleet: TestFleet;
/** Open findings of the whole-fleet sweep (runSweep, as the CLI runs it), as `ruleId|resource`. */
let unsharded: string[];
let unshardedCalls: { versions: number; logs: number };

/** Clients on tables of their own, so each sweep starts from an empty store. */
function freshClients() {
  const settings = { ...fleet.local.settings, FLEETGUARD_FINDINGS_TABLE: uniqueTableName('stfindings'), FLEETGUARD_SWEEPS_TABLE: uniqueTableName('stsweeps') };
  return createAzureClients(parseConfig(settings), { retry: FAST_RETRY });
}

async function openFindings(clients: ReturnType<typeof freshClients>): Promise<string[]> {
  return (await clients.findings!.listFindings({ status: 'open' })).map((finding) => `${finding.ruleId}|${finding.resourceId.toLowerCase()}`).sort();
}

/** The timer's dependencies (no in-cluster stage), with the notice reads counted. */
function timerDeps(clients: ReturnType<typeof freshClients>): { deps: SweepDependencies; noticeReads: () => number } {
  const { inCluster: _ownSchedule, ...deps } = sweepDependencies(clients);
  void _ownSchedule;
  let reads = 0;
  const notices = deps.notices!;
  deps.notices = { listClusterNotices: () => ((reads += 1), notices.listClusterNotices()) };
  return { deps, noticeReads: () => reads };
}

function callCounts() {
  return { versions: fleet.local.simulator.requests.count('arm.listKubernetesVersions'), logs: fleet.local.simulator.requests.count('logs.query') };
}

beforeAll(async () => {
  fleet = await startTestFleet({ snapshot: generateFleet(FLEET), tablesConnectionString: azuriteConnectionString() });
  const clients = freshClients();
  fleet.local.simulator.requests.clear();
  const { deps } = timerDeps(clients);
  const { runSweep } = await import('../../lib/sweep/runSweep.js');
  const result = await runSweep(deps, { subscriptions: [], concurrency: 4, trigger: 'test' });
  expect(result.status).toBe('succeeded');
  unshardedCalls = callCounts();
  unsharded = await openFindings(clients);
});
afterAll(() => fleet.close());

describe('streaming sweep (timer path)', () => {
  it('sweeps 3 shards into the same findings as the whole-fleet sweep, asking versions, workspaces and notices once, and records every cluster row and the summary', async () => {
    const clients = freshClients();
    const { deps, noticeReads } = timerDeps(clients);
    const shards: ShardOutcome[] = [];
    fleet.local.simulator.requests.clear();
    const result = await runStreamingSweep(deps, {
      subscriptions: [],
      concurrency: 4,
      trigger: 'test-stream',
      shardClusters: SHARD_CLUSTERS,
      onShard: (shard) => shards.push(shard),
    });

    expect(result.status).toBe('succeeded');
    expect(shards.map((shard) => [shard.subscriptions.length, shard.stats.clusters, shard.clusterRowsWritten])).toEqual([
      [2, 6, true],
      [2, 6, true],
      [2, 6, true],
    ]);
    expect(unsharded.length).toBeGreaterThan(FLEET.clusters);
    expect(await openFindings(clients)).toEqual(unsharded);
    // Each location's versions and each workspace's query once per sweep, as unsharded; not once per shard.
    expect(callCounts()).toEqual(unshardedCalls);
    expect(unshardedCalls).toEqual({ versions: FLEET.locations, logs: FLEET.workspaces });
    expect(noticeReads()).toBe(1);
    expect(result.stats).toMatchObject({ clusters: 18, subscriptions: { total: 6, succeeded: 6, failed: 0 }, locations: { total: 2, failed: 0 } });
    expect(result.stats.logs).toEqual({ workspaces: 2, failedWorkspaces: 0, queries: 2 });
    expect(result.stats.findings.total).toBe(unsharded.length);

    const [summary] = await clients.sweeps!.latest(1);
    expect(summary).toMatchObject({ sweepId: result.sweepId, trigger: 'test-stream', status: 'succeeded', clusters: 18, findings: unsharded.length });
    const rows = await clients.sweeps!.clusters(result.sweepId);
    expect(rows).toHaveLength(18);
    expect(rows.reduce((sum, row) => sum + row.findings, 0)).toBe(unsharded.length);
  });

  it('a subscription that fails degrades its shard only: reported, and every other subscription’s findings land', async () => {
    const failing = subscriptionIdFor(3);
    const clients = freshClients();
    const { deps } = timerDeps(clients);
    const shards: ShardOutcome[] = [];
    fleet.local.simulator.faults.configure({ forbiddenSubscriptions: [failing] });
    try {
      const result = await runStreamingSweep(deps, {
        subscriptions: [],
        concurrency: 4,
        trigger: 'test-stream',
        shardClusters: SHARD_CLUSTERS,
        onShard: (shard) => shards.push(shard),
      });
      expect(result.status).toBe('partial');
      expect(result.stats.subscriptions).toEqual({ total: 6, succeeded: 5, failed: 1 });
      expect(result.errors).toEqual([expect.objectContaining({ scope: 'subscription', target: failing.toLowerCase(), reason: 'authError' })]);
      const degraded = shards.filter((shard) => shard.errors.length > 0);
      expect(degraded).toHaveLength(1);
      expect(degraded[0]!.subscriptions).toContain(failing.toLowerCase());
      expect(shards.length).toBeGreaterThan(1);
      expect(await openFindings(clients)).toEqual(unsharded.filter((key) => !key.includes(`/subscriptions/${failing.toLowerCase()}/`)));
      expect(await clients.sweeps!.clusters(result.sweepId)).toHaveLength(15);
    } finally {
      fleet.local.simulator.faults.configure({});
    }
  });

  it('the store failing for one subscription, and for one shard’s cluster rows, degrades those only: reported, the summary row still written', async () => {
    const clients = freshClients();
    const { deps } = timerDeps(clients);
    const storeFails = subscriptionIdFor(1).toLowerCase();
    const findings = clients.findings!;
    const sweeps = clients.sweeps!;
    // Faults injected in front of the real stores (Azurite), for one subscription and one shard.
    deps.findings = Object.assign(Object.create(findings) as typeof findings, {
      reconcileSubscription: (...args: Parameters<typeof findings.reconcileSubscription>) =>
        args[1].subscriptionId === storeFails
          ? Promise.reject(new FleetGuardError('serverError', 'table unavailable'))
          : findings.reconcileSubscription(...args),
    });
    const rowsFail = subscriptionIdFor(4).toLowerCase();
    deps.sweeps = Object.assign(Object.create(sweeps) as typeof sweeps, {
      recordClusterRows: (...args: Parameters<typeof sweeps.recordClusterRows>) =>
        args[1].some((cluster) => cluster.subscriptionId.toLowerCase() === rowsFail)
          ? Promise.reject(new FleetGuardError('serverError', 'rows refused'))
          : sweeps.recordClusterRows(...args),
    });
    const shards: ShardOutcome[] = [];
    const result = await runStreamingSweep(deps, {
      subscriptions: [],
      concurrency: 4,
      trigger: 'test-stream',
      shardClusters: SHARD_CLUSTERS,
      onShard: (shard) => shards.push(shard),
    });
    const rowsShard = shards.find((shard) => shard.subscriptions.includes(rowsFail))!;
    expect(rowsShard.clusterRowsWritten).toBe(false);
    expect(result.status).toBe('partial');
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'store', target: storeFails, reason: 'serverError' }),
        expect.objectContaining({ scope: 'store', target: 'sweeps', message: expect.stringContaining(`cluster rows of shard ${rowsShard.index}`) as string }),
      ]),
    );
    expect(result.errors).toHaveLength(2);
    expect(await openFindings(clients)).toEqual(unsharded.filter((key) => !key.includes(`/subscriptions/${storeFails}/`)));
    expect(await sweeps.clusters(result.sweepId)).toHaveLength(12);
    expect((await sweeps.latest(1))[0]).toMatchObject({ sweepId: result.sweepId, status: 'partial', clusters: 18 });
  });
});
