import type { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';

import { FindingsStore } from '../../lib/findings/findingsStore.js';
import type { SweepScope } from '../../lib/findings/lifecycle.js';
import { MARK_ROW_KEY } from '../../lib/findings/partitionMark.js';
import { resourceKey } from '../../lib/model/cluster.js';
import type { Finding } from '../../lib/model/finding.js';
import { generateFleet, subscriptionIdFor } from '../../tooling/simulator/fleetGenerator.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { observedFinding } from '../harness/findings.js';
import { conformanceSample } from '../harness/fixtures.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';
const SUB2 = '22222222-2222-2222-2222-222222222222';
const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
const BATCH = '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/batch/providers/Microsoft.ContainerService/managedClusters/batch-staging';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function openKeys(store: FindingsStore): Promise<string[]> {
  return (await store.listFindings({ status: 'open' })).map((finding) => `${finding.clusterName}:${finding.ruleId}`).sort();
}

describe('findings lifecycle in Azure Tables (Azurite)', () => {
  it('open → still open → resolved → reopened across sweeps, with firstSeen kept', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), withStore: true });
    const store = fleet.clients.findings!;
    const first = await fleet.sweep();
    // The §1 findings of the sample and AKS-SYSTEM-POOL-ZONES on its three zoneless system pools (northeurope has zones).
    expect(first.stats.store).toMatchObject({ opened: 15, updated: 0, resolved: 0, subscriptions: 2 });
    const opened = await store.listFindings();
    expect(opened.every((finding) => finding.status === 'open' && finding.firstSeen === first.startedAt && finding.lastSeen === first.startedAt)).toBe(true);

    const second = await fleet.sweep();
    expect(second.stats.store).toMatchObject({ opened: 0, updated: 15, resolved: 0 });

    fleet.local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => (properties['disableLocalAccounts'] = true));
    const third = await fleet.sweep();
    expect(third.stats.store).toMatchObject({ opened: 0, updated: 14, resolved: 1 });
    const resolved = await store.listFindings({ status: 'resolved' });
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ ruleId: 'AKS-LOCAL-ACCOUNTS', resolvedAt: third.startedAt, resolution: 'notObserved', lastSeen: second.startedAt });

    fleet.local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => (properties['disableLocalAccounts'] = false));
    const fourth = await fleet.sweep();
    expect(fourth.stats.store).toMatchObject({ reopened: 1, resolved: 0 });
    const reopened = (await store.listFindings()).find((finding) => finding.ruleId === 'AKS-LOCAL-ACCOUNTS');
    expect(reopened).toMatchObject({ status: 'open', firstSeen: first.startedAt, lastSeen: fourth.startedAt, timesOpened: 2 });
  });

  it('a deleted cluster resolves its findings as gone', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), withStore: true });
    await fleet.sweep();
    fleet.local.simulator.fleet.removeCluster(BATCH);
    const result = await fleet.sweep();
    expect(result.stats.store?.resolved).toBe(6);
    const gone = await fleet.clients.findings!.listFindings({ status: 'resolved' });
    expect(gone.every((finding) => finding.clusterName === 'batch-staging' && finding.resolution === 'clusterGone')).toBe(true);
  });

  it('a listing with an unreadable cluster reports it and resolves nothing as gone in that subscription', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), withStore: true });
    await fleet.sweep();
    fleet.local.simulator.fleet.removeCluster(BATCH);
    // ARM answers with a cluster that has no id: it might be batch-staging, so its findings must stay.
    fleet.local.simulator.fleet.clustersOf(SUB2).push({ name: 'ghost', location: 'northeurope', properties: {} });
    const result = await fleet.sweep();
    expect(result.errors).toEqual([{ scope: 'cluster', target: 'ghost', reason: 'badInput', message: expect.stringContaining('field: id') }]);
    expect(result.stats.store?.resolved).toBe(0);
    expect((await fleet.clients.findings!.listFindings({ subscriptionId: SUB2, status: 'open' })).length).toBe(6);
  });

  it('a subscription that failed in this sweep does not resolve (or touch) its findings', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), withStore: true });
    const first = await fleet.sweep();
    // The cluster is fixed, but its subscription cannot be read this time.
    fleet.local.simulator.fleet.updateClusterProperties(BATCH, (properties) => (properties['aadProfile'] = { managed: true, enableAzureRBAC: true }));
    fleet.local.simulator.faults.configure({ forbiddenSubscriptions: [SUB2] });
    const second = await fleet.sweep();
    expect(second.status).toBe('partial');
    const batch = await fleet.clients.findings!.listFindings({ subscriptionId: SUB2 });
    expect(batch).toHaveLength(6);
    expect(batch.every((finding) => finding.status === 'open' && finding.lastSeen === first.startedAt && finding.sweepId === first.sweepId)).toBe(true);
    // The other subscription was reconciled as usual.
    const web = await fleet.clients.findings!.listFindings({ subscriptionId: SUB1 });
    expect(web.every((finding) => finding.lastSeen === second.startedAt)).toBe(true);

    fleet.local.simulator.faults.configure({});
    await fleet.sweep();
    expect((await openKeys(fleet.clients.findings!)).filter((key) => key.startsWith('batch-staging'))).toEqual([
      'batch-staging:AKS-DEFENDER',
      'batch-staging:AKS-POOL-VERSION-SKEW',
      'batch-staging:AKS-SYSTEM-POOL-ZONES',
      'batch-staging:AKS-VERSION-UNSUPPORTED',
    ]);
  });

  it('findings whose rules could not be evaluated stay open', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), withStore: true, maxRetries: 0 });
    await fleet.sweep();
    fleet.local.simulator.faults.configure({ routes: { 'arm.listKubernetesVersions': { serverError: { rate: 1 } } } });
    const second = await fleet.sweep();
    expect(second.stats.store?.resolved).toBe(0);
    expect(await openKeys(fleet.clients.findings!)).toContain('batch-staging:AKS-VERSION-UNSUPPORTED');
  });

  it('writes a sweep record per run, newest first', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), withStore: true, faults: { forbiddenSubscriptions: [SUB2] } });
    const first = await fleet.sweep();
    const second = await fleet.sweep();
    const records = await fleet.clients.sweeps!.latest(5);
    expect(records.map((record) => record.sweepId)).toEqual([second.sweepId, first.sweepId]);
    expect(records[1]).toMatchObject({
      status: 'partial',
      trigger: 'test',
      subscriptions: 2,
      subscriptionsFailed: 1,
      clusters: 2,
      findings: 9,
      opened: 9,
      policyCompliancePercent: 50,
    });
    expect(JSON.parse(records[1]!.errors)).toEqual([expect.objectContaining({ scope: 'subscription', target: SUB2, reason: 'authError' })]);
  });

  it('batches more than 100 changes of one subscription into several transactions', async () => {
    fleet = await startTestFleet({ snapshot: generateFleet({ clusters: 80, subscriptions: 1, locations: 1 }), withStore: true });
    const result = await fleet.sweep();
    expect(result.stats.findings.total).toBeGreaterThan(100);
    expect(result.stats.store?.opened).toBe(result.stats.findings.total);
    expect(await fleet.clients.findings!.listFindings({ subscriptionId: subscriptionIdFor(0) })).toHaveLength(result.stats.findings.total);
  });
});

function observed(ruleId: string): Finding {
  return observedFinding(ruleId, WEB_DEV, SUB1, { clusterTags: { ring: '0', team: 'web' } });
}

function scopeAt(observedAt: string, rules: string[]): SweepScope {
  return { subscriptionId: SUB1, sweepId: observedAt, observedAt, coverage: new Map([[resourceKey(WEB_DEV), new Set(rules)]]), listingComplete: true };
}

/** A TableClient whose first partition read is followed by another writer changing a row. */
function racingTable(table: TableClient, raceWith: () => Promise<void>): TableClient {
  let raced = false;
  return new Proxy(table, {
    get(target, property, receiver) {
      if (property !== 'listEntities') return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<TableClient['listEntities']>) => {
        const rows = target.listEntities(...args);
        return (async function* () {
          yield* rows;
          if (!raced) {
            raced = true;
            await raceWith();
          }
        })();
      };
    },
  });
}

describe('concurrent writers on the findings table', () => {
  it('a stale ETag makes the loser re-read and recompute instead of overwriting', async () => {
    const tableName = uniqueTableName('race');
    const plain = new FindingsStore(azuriteTable(tableName));
    await plain.ensureTable();
    const T1 = '2026-11-20T10:00:00.000Z';
    const T2 = '2026-11-20T10:15:00.000Z';
    await plain.reconcileSubscription([observed('AKS-ENTRA'), observed('AKS-DEFENDER')], scopeAt(T1, ['AKS-ENTRA', 'AKS-DEFENDER']));

    // Between our read and our write, another writer changes the AKS-ENTRA row as the store writes:
    // in one transaction with the partition mark (lib/findings/partitionMark.ts), so the mark's ETag changes too.
    const other = azuriteTable(tableName);
    const racing = new FindingsStore(
      racingTable(azuriteTable(tableName), async () => {
        const fingerprint = observed('AKS-ENTRA').fingerprint;
        const row = await other.getEntity(SUB1, fingerprint);
        const mark = await other.getEntity(SUB1, MARK_ROW_KEY);
        await other.submitTransaction([
          ['update', { ...row, partitionKey: SUB1, rowKey: fingerprint, detail: 'written by the other sweep' }, 'Replace', { etag: row.etag }],
          ['update', { partitionKey: SUB1, rowKey: MARK_ROW_KEY }, 'Merge', { etag: mark.etag }],
        ]);
      }),
    );
    const counts = await racing.reconcileSubscription([observed('AKS-ENTRA')], scopeAt(T2, ['AKS-ENTRA', 'AKS-DEFENDER']));
    // One conflict: the whole partition is re-read and recomputed once (rows were re-read one by one before the mark).
    expect(counts.conflicts).toBe(1);
    expect(counts).toMatchObject({ updated: 1, resolved: 1 });
    const rows = Object.fromEntries((await plain.listFindings()).map((finding) => [finding.ruleId, finding]));
    expect(rows['AKS-ENTRA']).toMatchObject({ status: 'open', lastSeen: T2, detail: 'AKS-ENTRA detail', firstSeen: T1 });
    expect(rows['AKS-DEFENDER']).toMatchObject({ status: 'resolved', resolvedAt: T2 });
  });

  it('an older sweep that writes late does not undo a newer one', async () => {
    const store = new FindingsStore(azuriteTable(uniqueTableName('order')));
    await store.ensureTable();
    const T1 = '2026-11-20T10:00:00.000Z';
    const T2 = '2026-11-20T10:15:00.000Z';
    await store.reconcileSubscription([observed('AKS-ENTRA')], scopeAt(T2, ['AKS-ENTRA']));
    // The sweep that started at T1 finishes after T2's and saw nothing: it must not resolve.
    const counts = await store.reconcileSubscription([], scopeAt(T1, ['AKS-ENTRA']));
    expect(counts).toMatchObject({ resolved: 0, updated: 0 });
    expect((await store.listFindings())[0]).toMatchObject({ status: 'open', lastSeen: T2 });
  });
});

describe('hostile fleet data in Azure Tables (Azurite)', () => {
  it('round-trips crafted tags and odd resource-group names, and a crafted filter value cannot widen a query', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), withStore: true });
    const template = fleet.local.simulator.fleet.findCluster(SUB1, 'web', 'web-dev')!;
    const resourceGroup = 'rg.(team)_x-1';
    const name = 'hostile_cluster-1';
    const hostileTags = { owner: "x' or PartitionKey ne '", note: '"; .drop table x //', ring: '0', 'odd key': 'a\nb\u0000c' };
    fleet.local.simulator.fleet.putCluster({
      ...structuredClone(template),
      id: `/subscriptions/${SUB1}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      name,
      tags: hostileTags,
    });
    const result = await fleet.sweep();
    expect(result.clusters.map((cluster) => cluster.name)).toContain(name);
    const store = fleet.clients.findings!;
    const mine = (await store.listFindings()).filter((finding) => finding.clusterName === name);
    expect(mine.length).toBeGreaterThan(0);
    for (const finding of mine) expect(finding.clusterTags).toEqual(hostileTags);

    const all = await store.listFindings();
    expect(all.some((finding) => finding.subscriptionId !== SUB1)).toBe(true);
    expect(await store.listFindings({ subscriptionId: `${SUB1}' or PartitionKey ne '` })).toEqual([]);
    expect(await store.listFindings({ subscriptionId: "' or true or '" })).toEqual([]);
    expect((await store.listFindings({ subscriptionId: SUB1 })).every((finding) => finding.subscriptionId === SUB1)).toBe(true);
  });
});
