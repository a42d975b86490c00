/**
 * One entity mapping for every store (issue 13): each reads its rows with a zod schema. A corrupt
 * row (written by hand, by an older version, or half-written) is handled the way that store always
 * handled it, but never as a TypeError: findings, sweep records and rollout cluster statuses fail
 * the read with a FleetGuardError naming the table, the row's keys and the field; notices, the
 * notification log and silences skip it; the outbox and rollout records read missing fields as
 * empty. Real Azurite, real stores.
 */
import type { TableClient } from '@azure/data-tables';
import { beforeEach, describe, expect, it } from 'vitest';

import { AlertStore } from '../../lib/alerts/alertStore.js';
import { FleetGuardError } from '../../lib/errors.js';
import { NoticeStore } from '../../lib/events/noticeStore.js';
import { toFindingEntity } from '../../lib/findings/findingEntity.js';
import { FindingsStore } from '../../lib/findings/findingsStore.js';
import { SweepRecordStore } from '../../lib/sweep/sweepRecordStore.js';
import { RolloutStore } from '../../lib/upgrades/rolloutStore.js';
import { storedFinding } from '../harness/alerts.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const CLUSTER = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/web-dev';

let table: TableClient;
beforeEach(async () => {
  table = azuriteTable(uniqueTableName('entities'));
  await table.createTable();
});

async function rejection(promise: Promise<unknown>): Promise<FleetGuardError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FleetGuardError);
  return error as FleetGuardError;
}

describe('a corrupt row is a FleetGuardError naming table, keys and field', () => {
  it('findings: an unknown severity fails the listing', async () => {
    const store = new FindingsStore(table);
    const good = storedFinding({ subscriptionId: '11111111-1111-1111-1111-111111111111' });
    await table.createEntity(toFindingEntity(good));
    expect((await store.listFindings()).map((finding) => finding.fingerprint)).toEqual([good.fingerprint]);
    await table.createEntity({
      ...toFindingEntity(storedFinding({ ruleId: 'AKS-ENTRA', subscriptionId: '11111111-1111-1111-1111-111111111111' })),
      severity: 'bogus',
    });
    const error = await rejection(store.listFindings());
    expect(error.reason).toBe('badInput');
    expect(error.message).toMatch(new RegExp(`^table ${table.tableName} row 11111111-1111-1111-1111-111111111111/[0-9a-f]{64}: severity: `));
  });

  it('findings: optional and defaulted columns read as before (empty subject is none, unreadable tags are {}, no timesOpened is 1)', async () => {
    const finding = storedFinding({ subscriptionId: '11111111-1111-1111-1111-111111111111' });
    const entity: Record<string, unknown> = { ...toFindingEntity(finding), subject: '', clusterTags: 'not json', resolution: 'whatever' };
    delete entity['timesOpened'];
    await table.createEntity(entity as { partitionKey: string; rowKey: string });
    const [read] = await new FindingsStore(table).listFindings();
    expect(read).toEqual({ ...finding, subject: undefined, clusterTags: {}, resolution: undefined, timesOpened: 1 });
  });

  it('sweep records: a summary row without its id fails the read; a cluster row from before the newer columns reads them as unknown', async () => {
    const store = new SweepRecordStore(table);
    await table.createEntity({
      partitionKey: 'clusters-s1',
      rowKey: 'a',
      resourceId: CLUSTER,
      name: 'web-dev',
      subscriptionId: '1111',
      findings: 2,
      worstSeverity: 'high',
      policyCompliancePercent: 50,
    });
    expect(await store.clusters('s1')).toEqual([
      {
        resourceId: CLUSTER,
        name: 'web-dev',
        subscriptionId: '1111',
        location: '',
        kubernetesVersion: '',
        tags: {},
        findings: 2,
        worstSeverity: 'high',
        policyCompliancePercent: 50,
      },
    ]);
    await table.createEntity({ partitionKey: 'clusters-s1', rowKey: 'b', name: 'no-id' });
    expect((await rejection(store.clusters('s1'))).message).toBe(`table ${table.tableName} row clusters-s1/b: resourceId: is required`);
    await table.createEntity({ partitionKey: 'sweep', rowKey: '1', startedAt: '2026-11-30T00:00:00Z' });
    expect((await rejection(store.latest(5))).message).toBe(`table ${table.tableName} row sweep/1: sweepId: is required`);
  });

  it('rollouts: a cluster status without its wave fails the read instead of a TypeError; a bare rollout row reads as empty', async () => {
    const store = new RolloutStore(table);
    await store.recordClusterStatuses(
      'r1',
      'Running',
      [{ resourceId: CLUSTER, wave: '0', status: 'Upgraded', fromVersion: '1.30.4', toVersion: '1.31.3', reason: '' }],
      '2026-11-30T00:00:00Z',
    );
    expect(await store.clusterStatuses('r1')).toEqual([
      { resourceId: CLUSTER, wave: '0', status: 'Upgraded', fromVersion: '1.30.4', toVersion: '1.31.3', reason: '' },
    ]);
    await table.createEntity({ partitionKey: 'clusters-r1', rowKey: 'broken', resourceId: `${CLUSTER}2`, status: 'Upgraded' });
    const error = await rejection(store.clusterStatuses('r1'));
    expect(error.message).toBe(`table ${table.tableName} row clusters-r1/broken: wave: is required`);
    // The status lands before (or without) the start record: lenient, as before.
    expect(await store.get('r1')).toBeUndefined();
    await table.upsertEntity(
      { partitionKey: 'rollout', rowKey: 'r2', target: '1.31', waves: 'three', distinctApproverWaves: '{not json', status: '' },
      'Merge',
    );
    expect(await store.get('r2')).toStrictEqual({ rolloutId: 'r2', target: '1.31', upgradeType: '', requestedBy: '', createdAt: '', waves: 0, clusters: 0 });
  });
});

describe('stores that skip or default a corrupt row keep doing so', () => {
  it('notices: a support notice with an unknown state is skipped, the others are read', async () => {
    const store = new NoticeStore(table);
    await store.putSupport({ clusterId: CLUSTER, state: 'ending', kubernetesVersion: '1.30.4', eventTime: '2026-11-30T00:00:00Z' });
    await table.createEntity({
      partitionKey: 'support',
      rowKey: 'odd',
      clusterId: `${CLUSTER}-2`,
      state: 'maybe',
      kubernetesVersion: '1.30.4',
      eventTime: '2026-11-30T00:00:00Z',
    });
    expect((await store.listClusterNotices()).support).toEqual([
      { clusterId: CLUSTER, state: 'ending', kubernetesVersion: '1.30.4', eventTime: '2026-11-30T00:00:00Z' },
    ]);
  });

  it('alerts: a log row without a state and a silence whose matchers are not JSON are skipped; an outbox row missing fields reads them as empty', async () => {
    const store = new AlertStore(table);
    await store.writeLog([{ receiver: 'ops', fingerprint: 'abc', state: 'firing', lastNotifiedAt: '2026-11-30T00:00:00Z' }]);
    let logPartition = '';
    for await (const row of table.listEntities()) logPartition = row.partitionKey ?? '';
    await table.createEntity({ partitionKey: logPartition, rowKey: 'abd', receiver: 'ops', state: 'snoozed' });
    expect([...(await store.readLog(['ops'])).keys()]).toEqual(['ops|abc']);

    const silence = await store.createSilence(
      { ruleId: 'AKS-ENTRA' },
      { startsAt: new Date('2026-11-30T00:00:00Z'), endsAt: new Date('2026-12-01T00:00:00Z'), createdBy: 'me', comment: 'why' },
    );
    await table.createEntity({ partitionKey: 'silence', rowKey: 'bad', matchers: '{', startsAt: '2026-11-29T00:00:00Z' });
    expect(await store.listSilences()).toEqual([silence]);

    await store.enqueue(
      [{ receiver: 'ops', route: 'r', message: { kind: 'webhook', body: { a: 1 }, alertCount: 1, summary: 's' } }],
      new Date('2026-11-30T00:00:00Z'),
    );
    const [entry] = await store.allEntries('ops');
    await table.updateEntity({ partitionKey: entry!.partitionKey, rowKey: entry!.rowKey, status: 'pending' }, 'Replace');
    const [bare] = await store.allEntries('ops');
    expect(bare).toMatchObject({ status: 'pending', receiver: '', body: '', attempts: 0, alertCount: 0, lastStatus: 0 });
  });
});
