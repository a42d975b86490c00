/**
 * Digests and held resolves on Azurite: what a digest route would send is buffered and goes to
 * the outbox once per scheduled local occurrence (09:00 Europe/Berlin on weekdays: 07:00Z in
 * summer time, 08:00Z in winter time), even with two flushes racing, and nothing is lost when the
 * enqueue fails; a resolve a muted route held back goes out once the mute has ended.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { Alert } from '../../lib/alerts/alert.js';
import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import { beforeDrain, DIGEST_CLAIM_LEASE_MS, flushDigests } from '../../lib/alerts/digests.js';
import { firing, resolved, routingDocument, SECRETS } from '../harness/alerts.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const config = parseAlertingDocument(
  `${routingDocument(`
- { name: daily, receiver: slack, match: { rulePrefixes: [DIGEST-] }, digest: { at: ['09:00'], weekdays: ['monday:friday'], location: Europe/Berlin } }
- { name: office, receiver: teams, match: { rulePrefixes: [OFFICE-] }, muteTimeIntervals: [weekends] }
`)}timeIntervals:
  - name: weekends
    timeIntervals: [{ weekdays: [saturday, sunday], location: Europe/Berlin }]
`,
  'test',
  SECRETS,
);

async function newStore(name = uniqueTableName('digests')): Promise<AlertStore> {
  const store = new AlertStore(azuriteTable(name));
  await store.ensureTable();
  return store;
}

const digestAlerts: Alert[] = [firing({ ruleId: 'DIGEST-ONE' }), firing({ ruleId: 'DIGEST-TWO', cluster: 'web-prod', severity: 'critical' })];

/** A store whose outbox writes fail the first `failures` times (a Tables outage). */
class FailingOutboxStore extends AlertStore {
  failures = 1;
  override async enqueue(...args: Parameters<AlertStore['enqueue']>): ReturnType<AlertStore['enqueue']> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('the outbox write failed');
    }
    return super.enqueue(...args);
  }
}

describe('digests', () => {
  let store: AlertStore;
  beforeAll(async () => {
    store = await newStore();
  });

  it('buffers instead of sending, and sends one digest at the first flush after 09:00 Berlin summer time (07:00Z)', async () => {
    // Friday 2026-03-27 12:00Z (13:00 CET): after Friday's digest, so it waits for Monday's.
    await new AlertPipeline(config, store).enqueueAlerts(digestAlerts, new Date('2026-03-27T12:00:00Z'));
    expect(await store.allEntries('slack')).toEqual([]);
    const byRule = (alerts: readonly Alert[]) => [...alerts].sort((left, right) => left.finding.ruleId.localeCompare(right.finding.ruleId));
    // Kept whole: the finding reads back as it was (its fields stored as the findings table stores them).
    expect(byRule((await store.digests.buffered('daily')).rows.map((row) => row.alert))).toEqual(byRule(digestAlerts));
    expect((await flushDigests(config, store, new Date('2026-03-27T23:00:00Z'))).sent).toEqual([]);
    // Monday 2026-03-30, CEST since Sunday: 06:59Z is 08:59 local.
    expect((await flushDigests(config, store, new Date('2026-03-30T06:59:00Z'))).sent).toEqual([]);
    const sent = await flushDigests(config, store, new Date('2026-03-30T07:00:30Z'));
    expect(sent.sent).toEqual([{ route: 'daily', occurrence: '2026-03-30T09:00', alerts: 2, messages: 1 }]);
    const [message, ...others] = await store.allEntries('slack');
    expect(others).toEqual([]);
    expect(message?.alertCount).toBe(2);
    expect(message?.body).toContain('DIGEST-TWO');
    expect((await store.digests.buffered('daily')).rows).toEqual([]);
    // The same occurrence again: nothing more.
    await new AlertPipeline(config, store).enqueueAlerts([resolved({ ruleId: 'DIGEST-ONE' })], new Date('2026-03-30T07:10:00Z'));
    expect((await flushDigests(config, store, new Date('2026-03-30T07:20:00Z'))).sent).toEqual([]);
    // Winter time: Monday 2026-10-26 09:00 local is 08:00Z, not 07:00Z.
    expect((await flushDigests(config, store, new Date('2026-10-26T07:30:00Z'))).sent.map((digest) => digest.occurrence)).toEqual(['2026-10-23T09:00']);
  });

  it('two flushes racing send one digest', async () => {
    const name = uniqueTableName('digests');
    const raced = await newStore(name);
    await new AlertPipeline(config, raced).enqueueAlerts(digestAlerts, new Date('2026-11-19T12:00:00Z'));
    // Two drains: two stores with their own table clients on the same table.
    const twin = new AlertStore(azuriteTable(name));
    const at = new Date('2026-11-20T08:00:00Z');
    const results = await Promise.all([flushDigests(config, raced, at), flushDigests(config, twin, at)]);
    expect(results.flatMap((result) => result.sent).map((digest) => digest.occurrence)).toEqual(['2026-11-20T09:00']);
    expect(await raced.allEntries('slack')).toHaveLength(1);
  });

  it('loses nothing when the enqueue fails: the buffer stays and the claim is taken over after its lease', async () => {
    const failing = new FailingOutboxStore(azuriteTable(uniqueTableName('digests')));
    await failing.ensureTable();
    await new AlertPipeline(config, failing).enqueueAlerts(digestAlerts, new Date('2026-11-19T12:00:00Z'));
    const due = new Date('2026-11-20T08:00:00Z');
    // The drain's step before sending reports the failure instead of failing the drain.
    const before = await beforeDrain(new AlertPipeline(config, failing), config, failing, due);
    expect(before.sent).toEqual([]);
    expect(before.errors).toEqual([expect.stringMatching(/sending the digest of route daily/)]);
    expect((await failing.digests.buffered('daily')).rows).toHaveLength(2);
    expect((await flushDigests(config, failing, new Date(due.getTime() + 60_000))).sent).toEqual([]);
    const retried = await flushDigests(config, failing, new Date(due.getTime() + DIGEST_CLAIM_LEASE_MS));
    expect(retried.sent).toEqual([{ route: 'daily', occurrence: '2026-11-20T09:00', alerts: 2, messages: 1 }]);
    expect(await failing.allEntries('slack')).toHaveLength(1);
  });

  it('keeps a state buffered after the flush read it (deletes only under the ETag read)', async () => {
    const kept = await newStore();
    const pipeline = new AlertPipeline(config, kept);
    await pipeline.enqueueAlerts([digestAlerts[0] as Alert], new Date('2026-11-19T12:00:00Z'));
    const read = (await kept.digests.buffered('daily')).rows;
    await kept.digests.buffer([{ route: 'daily', alert: resolved({ ruleId: 'DIGEST-ONE' }), after: '2026-11-19T09:00' }]);
    await kept.digests.remove(read);
    expect((await kept.digests.buffered('daily')).rows.map((row) => row.alert.status)).toEqual(['resolved']);
  });
});

describe('resolves held back by a mute', () => {
  it('go out once the mute has ended; nothing is logged while muted', async () => {
    const store = await newStore();
    const pipeline = new AlertPipeline(config, store);
    const office = firing({ ruleId: 'OFFICE-RULE' });
    // Friday 2026-11-20 12:00Z: not muted, told firing.
    await pipeline.enqueueAlerts([office], new Date('2026-11-20T12:00:00Z'));
    expect((await store.allEntries('teams')).map((entry) => entry.alertCount)).toEqual([1]);
    // Saturday: resolved while muted; nothing sent, the log still says firing, the resolve is held.
    const saturday = new Date('2026-11-21T12:00:00Z');
    await pipeline.enqueueAlerts([resolved({ ruleId: 'OFFICE-RULE' })], saturday);
    expect(await store.allEntries('teams')).toHaveLength(1);
    expect([...(await store.readLog(['teams'])).values()].map((entry) => entry.state)).toEqual(['firing']);
    expect((await store.digests.held()).map((row) => `${row.route}:${row.alert.status}`)).toEqual(['office:resolved']);
    await pipeline.releaseHeld(new Date('2026-11-22T22:00:00Z'));
    expect(await store.allEntries('teams')).toHaveLength(1);
    // Monday 00:00 Berlin is Sunday 23:00Z: the mute has ended.
    await pipeline.releaseHeld(new Date('2026-11-22T23:00:00Z'));
    const entries = await store.allEntries('teams');
    expect(entries).toHaveLength(2);
    expect(entries[1]?.summary).toMatch(/resolved/i);
    expect(await store.digests.held()).toEqual([]);
    expect([...(await store.readLog(['teams'])).values()].map((entry) => entry.state)).toEqual(['resolved']);
    await pipeline.releaseHeld(new Date('2026-11-23T08:00:00Z'));
    expect(await store.allEntries('teams')).toHaveLength(2);
  });

  it('a finding that fires again while muted drops its held resolve', async () => {
    const store = await newStore();
    const pipeline = new AlertPipeline(config, store);
    await pipeline.enqueueAlerts([firing({ ruleId: 'OFFICE-RULE' })], new Date('2026-11-20T12:00:00Z'));
    await pipeline.enqueueAlerts([resolved({ ruleId: 'OFFICE-RULE' })], new Date('2026-11-21T12:00:00Z'));
    await pipeline.enqueueAlerts([firing({ ruleId: 'OFFICE-RULE' })], new Date('2026-11-21T13:00:00Z'));
    expect(await store.digests.held()).toEqual([]);
    await pipeline.releaseHeld(new Date('2026-11-23T08:00:00Z'));
    expect(await store.allEntries('teams')).toHaveLength(1);
  });
});
