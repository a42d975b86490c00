/**
 * The findings store writes only what changed (lib/findings/partitionMark.ts): an open finding seen
 * again unchanged is not rewritten, its lastSeen is derived from the partition mark, and every
 * reader answers as if the row had been rewritten. Requests are counted by the loopback proxy in
 * front of Azurite (tooling/simulator/tablesLatencyProxy.ts, no added latency here) and rows are
 * checked by their ETags read straight from Azurite, not through the store.
 */
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AlertingConfig, parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { sweepDependencies } from '../../lib/app/clients.js';
import { FindingsStore, MAX_CONFLICT_ATTEMPTS } from '../../lib/findings/findingsStore.js';
import type { SweepScope } from '../../lib/findings/lifecycle.js';
import { MARK_ROW_KEY } from '../../lib/findings/partitionMark.js';
import { resourceKey } from '../../lib/model/cluster.js';
import type { Finding } from '../../lib/model/finding.js';
import { runSweep } from '../../lib/sweep/runSweep.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { type RunningLatencyProxy, startTablesLatencyProxy } from '../../tooling/simulator/tablesLatencyProxy.js';
import { routingDocument, SECRETS } from '../harness/alerts.js';
import { observedFinding } from '../harness/findings.js';
import { conformanceSample } from '../harness/fixtures.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';
const WEB_DEV = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.ContainerService/managedClusters/web-dev';
const T1 = '2026-11-20T10:00:00.000Z';
const T2 = '2026-11-20T10:15:00.000Z';
const T3 = '2026-11-20T10:30:00.000Z';

let proxy: RunningLatencyProxy;
let connectionString: string;
/** One fleet for the file (its tests run in order): sweeps of the conformance sample, 15 findings in 2 subscriptions. */
let fleet: TestFleet;

beforeAll(async () => {
  const direct = azuriteConnectionString();
  proxy = await startTablesLatencyProxy({ tableEndpoint: /TableEndpoint=([^;]+)/.exec(direct)![1]!, minMs: 0, maxMs: 0 });
  connectionString = proxy.connectionStringFor(direct);
  fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), tablesConnectionString: connectionString });
});
afterAll(async () => {
  await fleet.close();
  await proxy.close();
});

function table(name: string): TableClient {
  return TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
}

/** Each finding row's ETag, read straight from Azurite (not through the store): a rewritten row has a new one. */
async function etags(name: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for await (const entity of table(name).listEntities()) if (entity.rowKey !== MARK_ROW_KEY) result.set(entity.rowKey ?? '', entity.etag);
  return result;
}

function observed(ruleId: string, overrides: Partial<Finding> = {}): Finding {
  return observedFinding(ruleId, WEB_DEV, SUB1, overrides);
}

function scopeAt(observedAt: string, rules: string[]): SweepScope {
  return {
    subscriptionId: SUB1,
    sweepId: `sweep-${observedAt}`,
    observedAt,
    coverage: new Map([[resourceKey(WEB_DEV), new Set(rules)]]),
    listingComplete: true,
  };
}

async function newStore(prefix: string): Promise<{ store: FindingsStore; name: string }> {
  const name = uniqueTableName(prefix);
  const store = new FindingsStore(table(name));
  await store.ensureTable();
  return { store, name };
}

describe('a sweep writes only the findings that changed', () => {
  it('a second sweep with no change writes no finding row (one mark per subscription), and every reader sees it as seen by that sweep', async () => {
    const store = fleet.clients.findings!;
    const name = fleet.local.config.tables.findings;
    const first = await fleet.sweep();
    expect(first.stats.store).toMatchObject({ opened: 15, rowsWritten: 15, transactions: 2 });
    const before = await etags(name);

    proxy.reset();
    const second = await fleet.sweep();
    // The alert pipeline still gets every open finding as `updated`; no row is rewritten.
    expect(second.stats.store).toMatchObject({ opened: 0, updated: 15, resolved: 0, rowsWritten: 0, transactions: 2 });
    expect(await etags(name)).toEqual(before);
    // Findings table: one partition read and one mark transaction per subscription (2); the sweep record adds its own rows.
    expect(proxy.counts().write).toBe(1); // the sweep record's summary row
    expect(proxy.counts().batch).toBe(2 + 1); // two marks + the sweep record's cluster rows (one batch per 100 clusters)

    // Readers: list (every filter), the CLI's fingerprint lookup, the report's open/resolved lists.
    for (const rows of [await store.listFindings(), await store.listFindings({ status: 'open' }), await store.listFindings({ subscriptionId: SUB1 })]) {
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows)
        expect(row).toMatchObject({ lastSeen: second.startedAt, observedAt: second.startedAt, sweepId: second.sweepId, firstSeen: first.startedAt });
    }
    const [any] = await store.listFindings({ severities: ['high', 'critical'] });
    expect(any).toMatchObject({ lastSeen: second.startedAt });
    const shown = await store.findByFingerprint(any!.fingerprint.slice(0, 8));
    expect(shown.map((row) => row.lastSeen)).toEqual([second.startedAt]);
  });
});

describe('the store decides per finding', () => {
  it('a changed severity or detail is written, an unchanged finding is carried; lastSeen and the history read the same', async () => {
    const { store, name } = await newStore('writes');
    await store.reconcileSubscription([observed('AKS-ENTRA'), observed('AKS-DEFENDER')], scopeAt(T1, ['AKS-ENTRA', 'AKS-DEFENDER']));
    const first = await etags(name);
    const entra = observed('AKS-ENTRA').fingerprint;
    const defender = observed('AKS-DEFENDER').fingerprint;

    const second = await store.reconcileSubscription(
      [observed('AKS-ENTRA'), observed('AKS-DEFENDER', { severity: 'critical' })],
      scopeAt(T2, ['AKS-ENTRA', 'AKS-DEFENDER']),
    );
    expect(second).toMatchObject({ updated: 2, rowsWritten: 1, transactions: 1 });
    const afterSecond = await etags(name);
    expect(afterSecond.get(entra)).toBe(first.get(entra));
    expect(afterSecond.get(defender)).not.toBe(first.get(defender));

    const third = await store.reconcileSubscription(
      [observed('AKS-ENTRA', { detail: 'another detail' }), observed('AKS-DEFENDER', { severity: 'critical' })],
      scopeAt(T3, ['AKS-ENTRA', 'AKS-DEFENDER']),
    );
    expect(third).toMatchObject({ updated: 2, rowsWritten: 1 });
    const afterThird = await etags(name);
    expect(afterThird.get(entra)).not.toBe(afterSecond.get(entra));
    expect(afterThird.get(defender)).toBe(afterSecond.get(defender));

    const rows = Object.fromEntries((await store.listFindings()).map((row) => [row.ruleId, row]));
    expect(rows['AKS-ENTRA']).toMatchObject({ detail: 'another detail', lastSeen: T3, observedAt: T3, sweepId: `sweep-${T3}`, firstSeen: T1 });
    expect(rows['AKS-DEFENDER']).toMatchObject({ severity: 'critical', lastSeen: T3, observedAt: T3, sweepId: `sweep-${T3}`, firstSeen: T1 });
    expect(rows['AKS-DEFENDER']?.history).toEqual([{ kind: 'opened', at: T1, sweepId: `sweep-${T1}` }]);
  });

  it('resolution reads the carried lastSeen, and an older sweep that writes late does not undo a newer one that only carried', async () => {
    const { store } = await newStore('carried');
    await store.reconcileSubscription([observed('AKS-ENTRA'), observed('AKS-DEFENDER')], scopeAt(T1, ['AKS-ENTRA', 'AKS-DEFENDER']));
    // T3 sees both unchanged: nothing written, both carried.
    expect(await store.reconcileSubscription([observed('AKS-ENTRA'), observed('AKS-DEFENDER')], scopeAt(T3, ['AKS-ENTRA', 'AKS-DEFENDER']))).toMatchObject({
      rowsWritten: 0,
    });
    // A sweep that started at T2 finishes late and saw neither: the rows are newer (T3) than it, nothing resolves.
    expect(await store.reconcileSubscription([], scopeAt(T2, ['AKS-ENTRA', 'AKS-DEFENDER']))).toMatchObject({ resolved: 0, rowsWritten: 0 });
    expect((await store.listFindings()).map((row) => [row.status, row.lastSeen])).toEqual([
      ['open', T3],
      ['open', T3],
    ]);
    // A later sweep resolves one: it keeps the lastSeen the mark gave it.
    const later = '2026-11-20T10:45:00.000Z';
    await store.reconcileSubscription([observed('AKS-ENTRA')], scopeAt(later, ['AKS-ENTRA', 'AKS-DEFENDER']));
    const resolved = (await store.listFindings({ status: 'resolved' }))[0];
    expect(resolved).toMatchObject({ ruleId: 'AKS-DEFENDER', lastSeen: T3, resolvedAt: later });
  });
});

/** A TableClient whose every partition read is followed by another writer changing a row, as the store writes (row and mark in one transaction). */
function alwaysRacingTable(name: string, rowKey: string): { client: TableClient; races: () => number } {
  const other = table(name);
  let races = 0;
  const client = new Proxy(table(name), {
    get(target, property, receiver) {
      if (property !== 'listEntities') return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<TableClient['listEntities']>) => {
        const rows = target.listEntities(...args);
        return (async function* () {
          yield* rows;
          races += 1;
          const row = await other.getEntity(SUB1, rowKey);
          const mark = await other.getEntity(SUB1, MARK_ROW_KEY);
          await other.submitTransaction([
            ['update', { ...row, partitionKey: SUB1, rowKey, detail: `written by the other writer (${races})` }, 'Replace', { etag: row.etag }],
            ['update', { partitionKey: SUB1, rowKey: MARK_ROW_KEY }, 'Merge', { etag: mark.etag }],
          ]);
        })();
      };
    },
  });
  return { client, races: () => races };
}

describe('the conflict-retry path raced past its attempt limit', () => {
  it('gives up after the limit without throwing: the other writer keeps its rows, the give-up is counted and reported, the next sweep converges', async () => {
    const { store, name } = await newStore('race');
    await store.reconcileSubscription([observed('AKS-ENTRA'), observed('AKS-DEFENDER')], scopeAt(T1, ['AKS-ENTRA', 'AKS-DEFENDER']));
    const entra = observed('AKS-ENTRA').fingerprint;
    const racing = alwaysRacingTable(name, entra);

    // This sweep would resolve AKS-DEFENDER; another writer changes AKS-ENTRA after each of its reads.
    const result = await new FindingsStore(racing.client).reconcileSubscription([observed('AKS-ENTRA')], scopeAt(T2, ['AKS-ENTRA', 'AKS-DEFENDER']));
    expect(racing.races()).toBe(MAX_CONFLICT_ATTEMPTS);
    expect(result).toMatchObject({ conflicts: MAX_CONFLICT_ATTEMPTS, rowsWritten: 0, transactions: 0, resolved: 0, changes: [] });
    expect(result.gaveUp?.reason).toBe('serverError');
    expect(result.gaveUp?.message).toMatch(new RegExp(`kept changing under ${MAX_CONFLICT_ATTEMPTS} attempts`));
    // No lost update: the other writer's last write stands, nothing of ours half-applied.
    const rows = Object.fromEntries((await store.listFindings()).map((row) => [row.ruleId, row]));
    expect(rows['AKS-ENTRA']).toMatchObject({ status: 'open', detail: `written by the other writer (${MAX_CONFLICT_ATTEMPTS})` });
    expect(rows['AKS-DEFENDER']).toMatchObject({ status: 'open', lastSeen: T1 });

    // The race over, the next sweep converges.
    const next = await store.reconcileSubscription([observed('AKS-ENTRA')], scopeAt(T3, ['AKS-ENTRA', 'AKS-DEFENDER']));
    expect(next).toMatchObject({ conflicts: 0, resolved: 1, updated: 1 });
    expect(next.gaveUp).toBeUndefined();
    const converged = Object.fromEntries((await store.listFindings()).map((row) => [row.ruleId, row]));
    expect(converged['AKS-ENTRA']).toMatchObject({ detail: 'AKS-ENTRA detail', lastSeen: T3 });
    expect(converged['AKS-DEFENDER']).toMatchObject({ status: 'resolved', resolvedAt: T3 });
  });
});

describe('alerts repeat on findings whose rows are not written', () => {
  it('every open finding reaches the pipeline each sweep: none re-sent within repeatInterval, all re-sent after it', async () => {
    const config: AlertingConfig = parseAlertingDocument(routingDocument('- { name: all, receiver: hook, repeatInterval: 1h }'), 'test', SECRETS);
    const alertStore = new AlertStore(table(uniqueTableName('alerts')));
    await alertStore.ensureTable();
    // Ahead of the sweeps before (real time): a sweep older than the rows would change nothing.
    let time = Date.now() + 24 * 3_600_000;
    const sweep = () =>
      runSweep(
        { ...sweepDependencies(fleet.clients), alerts: new AlertPipeline(config, alertStore), now: () => new Date(time) },
        { subscriptions: [], concurrency: 2, trigger: 'test' },
      );
    const first = await sweep();
    expect(first.stats.alerts).toMatchObject({ alerts: 15 });
    const firstMessages = first.stats.alerts!.messages;
    expect(firstMessages).toBeGreaterThan(0);

    time += 30 * 60_000;
    const second = await sweep();
    expect(second.stats.store).toMatchObject({ updated: 15, rowsWritten: 0 });
    expect(second.stats.alerts).toMatchObject({ alerts: 15, messages: 0 });

    time += 31 * 60_000;
    const third = await sweep();
    expect(third.stats.store).toMatchObject({ updated: 15, rowsWritten: 0 });
    expect(third.stats.alerts).toMatchObject({ alerts: 15, messages: firstMessages });
  });
});

describe('a sweep that loses the race', () => {
  it('a sweep whose subscription loses the race reports it as a store error and stays partial; the other subscription is written', async () => {
    const first = await fleet.sweep();
    const victim = first.findings.find((finding) => finding.subscriptionId === SUB1)!;
    const racing = alwaysRacingTable(fleet.local.config.tables.findings, victim.fingerprint);
    // Later than every sweep before (the alert test's clock is a day ahead), so it has something to write.
    const later = new Date(Date.now() + 3 * 24 * 3_600_000);
    const result = await runSweep(
      { ...sweepDependencies(fleet.clients), findings: new FindingsStore(racing.client), now: () => later },
      { subscriptions: [], concurrency: 1, trigger: 'test' },
    );
    expect(result.status).toBe('partial');
    expect(result.errors).toEqual([expect.objectContaining({ scope: 'store', target: SUB1, reason: 'serverError' })]);
    expect(result.stats.store).toMatchObject({ subscriptions: 1, conflicts: MAX_CONFLICT_ATTEMPTS });
  });
});
