import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AlertingConfig, parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore, outboxPartition } from '../../lib/alerts/alertStore.js';
import { DEFAULT_DRAIN_OPTIONS, type DrainOptions, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import type { LifecycleChange } from '../../lib/findings/lifecycle.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { routingDocument, SECRETS, storedFinding } from '../harness/alerts.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const ROUTES = routingDocument(`
- { name: cjk, receiver: teams, match: { rulePrefixes: [CJK-] }, groupBy: [subscription] }
- { name: page, receiver: pager, match: { minSeverity: high }, continue: true }
- { name: audit, receiver: hook, groupBy: [cluster], continue: true }
- { name: teams, receiver: teams, match: { ruleIds: [TEAMS-ONLY] } }
- { name: opsgenie, receiver: opsgenie, match: { ruleIds: [OPSGENIE-ONLY] } }
- { name: digest, receiver: slack, groupBy: [cluster] }
`);

let sink: RunningSink;
const config: AlertingConfig = parseAlertingDocument(ROUTES, 'test', SECRETS);

beforeAll(async () => {
  sink = await startWebhookSink();
});
afterAll(() => sink.close());

function opened(index: number, ruleId = `AKS-RULE-${index}`): LifecycleChange {
  const next = storedFinding({ ruleId, cluster: `cluster-${index % 5}`, severity: index % 2 === 0 ? 'high' : 'medium' });
  return { kind: 'opened', previous: undefined, next };
}

class Clock {
  constructor(public time = Date.parse('2026-11-20T12:00:00.000Z')) {}
  now = () => new Date(this.time);
  advance(ms: number) {
    this.time += ms;
  }
}

function drainOptions(clock: Clock, overrides: Partial<DrainOptions> = {}): DrainOptions {
  return {
    ...DEFAULT_DRAIN_OPTIONS,
    now: clock.now,
    random: () => 0.5,
    endpointOverride: sink.url,
    caPem: sink.caPem,
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    ...overrides,
  };
}

async function newStore(table: TableClient = azuriteTable(uniqueTableName('alerts'))): Promise<AlertStore> {
  const store = new AlertStore(table);
  await store.ensureTable();
  return store;
}

/** Drains until nothing is left to send, moving the clock past each back-off. */
async function drainUntilEmpty(store: AlertStore, clock: Clock, options: Partial<DrainOptions> = {}) {
  for (let round = 0; round < 200; round += 1) {
    await drainOutbox(store, config, httpsPost, drainOptions(clock, options));
    const left = await Promise.all([...config.receivers.keys()].map((receiver) => store.activeCount(receiver)));
    if (left.every((count) => count === 0)) return round;
    clock.advance(61_000);
  }
  throw new Error('the outbox never emptied');
}

describe('alert delivery through the outbox to the local sink', () => {
  const table: Array<[string, string, number, 'sent' | 'retrying' | 'failed']> = [];
  for (const kind of ['pagerduty', 'slack', 'teams', 'webhook', 'opsgenie']) {
    for (const status of [400, 401, 403, 404, 413, 429, 500, 502, 503]) {
      table.push([kind, kind === 'pagerduty' ? 'pager' : kind === 'webhook' ? 'hook' : kind, status, status === 429 || status >= 500 ? 'retrying' : 'failed']);
    }
  }

  it.each(table)('%s answering %i: %s', async (kind, receiver, status, expected) => {
    const store = await newStore();
    const clock = new Clock();
    const change = opened(0, kind === 'teams' ? 'TEAMS-ONLY' : kind === 'opsgenie' ? 'OPSGENIE-ONLY' : 'AKS-X');
    await new AlertPipeline(config, store).enqueue([change], clock.now());
    sink.failNext(kind, 1, { status, ...(status === 429 ? { retryAfterSeconds: 120 } : {}) });
    await drainOutbox(store, config, httpsPost, drainOptions(clock));
    const [entry] = await store.allEntries(receiver);
    expect(entry?.status).toBe(expected);
    expect(entry?.lastStatus).toBe(status);
    if (status === 429) expect(Date.parse(entry?.nextAttemptAt ?? '')).toBeGreaterThanOrEqual(clock.time + 120_000);
    if (expected === 'failed') expect(entry?.lastError).toMatch(/^permanent: simulated failure/);
    if (expected === 'retrying') {
      clock.advance(3_600_000);
      await drainOutbox(store, config, httpsPost, drainOptions(clock));
      expect((await store.allEntries(receiver))[0]?.status).toBe('sent');
    }
  });

  it('an outage (500s then 429s) loses nothing, doubles nothing, and keeps creation order per route', async () => {
    const store = await newStore();
    const clock = new Clock();
    const pipeline = new AlertPipeline(config, store);
    const start = sink.deliveries.length;
    // Three sweeps' worth of changes, enqueued in order.
    for (let batch = 0; batch < 3; batch += 1) {
      await pipeline.enqueue(
        Array.from({ length: 40 }, (_unused, index) => opened(batch * 40 + index)),
        clock.now(),
      );
      clock.advance(1_000);
    }
    sink.failNext('*', 25, { status: 500 });
    sink.failNext('*', 15, { status: 429, retryAfterSeconds: 2 });
    // The outage is shorter than the give-up horizon (the head of a queue takes most failures).
    await drainUntilEmpty(store, clock, { maxAttempts: 50 });
    const delivered = sink.deliveries.slice(start);
    // PagerDuty: one trigger per high finding (60), each dedup key exactly once.
    const keys = delivered.filter((delivery) => delivery.kind === 'pagerduty').map((delivery) => (delivery.body as { dedup_key: string }).dedup_key);
    const pagerEntries = await store.allEntries('pager');
    expect(pagerEntries.filter((entry) => entry.status !== 'sent').map((entry) => [entry.status, entry.lastStatus, entry.lastError, entry.attempts])).toEqual(
      [],
    );
    expect(keys).toHaveLength(60);
    expect(new Set(keys).size).toBe(60);
    // Every outbox message of every receiver was delivered exactly once.
    for (const receiver of config.receivers.keys()) {
      const entries = await store.allEntries(receiver);
      expect(
        entries.every((entry) => entry.status === 'sent'),
        receiver,
      ).toBe(true);
    }
    const hookIds = delivered.filter((delivery) => delivery.kind === 'webhook').map((delivery) => delivery.headers['x-fleetguard-delivery']);
    expect(new Set(hookIds).size).toBe(hookIds.length);
    // Creation order per route.
    const pagerOrder = (await store.allEntries('pager')).map((entry) => (JSON.parse(entry.body) as { dedup_key: string }).dedup_key);
    expect(keys).toEqual(pagerOrder);
    expect(hookIds).toEqual((await store.allEntries('hook')).map((entry) => entry.deliveryId));
    expect(delivered.filter((delivery) => delivery.kind === 'slack')).toHaveLength(5 * 3);
  });

  it('a drain interrupted between send and record: PagerDuty is resent (deduplicated by key), Slack is not resent', async () => {
    const real = azuriteTable(uniqueTableName('alerts'));
    // The drain "dies" right after sending to PagerDuty and Slack: its record of the result never
    // reaches the table. (Chosen by receiver, not by order: the receivers drain concurrently.)
    const dyingPartitions = new Set([outboxPartition('pager'), outboxPartition('slack')]);
    const dying = new Proxy(real, {
      get(target, property, receiver) {
        if (property !== 'updateEntity') return Reflect.get(target, property, receiver) as unknown;
        return (entity: { status?: string; partitionKey?: string }, ...rest: unknown[]) => {
          if (entity.status === 'sent' && dyingPartitions.delete(entity.partitionKey ?? '')) {
            return Promise.reject(Object.assign(new Error('the drain stopped'), { code: 'ECONNRESET' }));
          }
          return (target.updateEntity as (...args: unknown[]) => Promise<unknown>).call(target, entity, ...rest);
        };
      },
    });
    const store = await newStore(dying);
    const clock = new Clock();
    await new AlertPipeline(config, store).enqueue([opened(0)], clock.now());
    const start = sink.deliveries.length;
    const first = await drainOutbox(store, config, httpsPost, drainOptions(clock));
    expect(first.errors).toHaveLength(2);
    const sentOnce = sink.deliveries.slice(start);
    expect(sentOnce.map((delivery) => delivery.kind).sort()).toEqual(['pagerduty', 'slack', 'webhook']);

    // Within the lease nothing is touched; after it, recovery by guarantee.
    await drainOutbox(store, config, httpsPost, drainOptions(clock));
    expect(sink.deliveries.length - start).toBe(3);
    clock.advance(DEFAULT_DRAIN_OPTIONS.leaseMs + 1);
    const recovery = await drainOutbox(store, config, httpsPost, drainOptions(clock));
    expect(recovery).toMatchObject({ resent: 1, uncertain: 1 });
    const all = sink.deliveries.slice(start);
    const pd = all.filter((delivery) => delivery.kind === 'pagerduty').map((delivery) => (delivery.body as { dedup_key: string }).dedup_key);
    expect(pd).toHaveLength(2);
    expect(new Set(pd).size).toBe(1);
    expect(all.filter((delivery) => delivery.kind === 'slack')).toHaveLength(1);
    expect((await store.allEntries('slack'))[0]).toMatchObject({ status: 'uncertain' });
    expect((await store.allEntries('pager'))[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('the sink refuses a Teams body over 28,672 bytes with 413, as Teams does (msteams-docs#11274; learn.microsoft.com/connectors/teams)', async () => {
    const post = (text: string) =>
      httpsPost(`${sink.url}/teams/limit`, JSON.stringify({ type: 'message', text }), {
        headers: {},
        timeoutMs: 5_000,
        ca: sink.caPem,
        allowPrivateAddresses: true,
      });
    // 9,000 CJK characters are 27,000 bytes (9,000 characters, which a character count would pass).
    expect((await post('漢'.repeat(9_000))).status).toBe(202);
    const refused = await post('漢'.repeat(9_600));
    expect(refused.status).toBe(413);
    expect(refused.body).toMatch(/^Request Entity Too Large: message size \d+ bytes, whereas max allowed size is 28672 bytes$/);
  });

  it('the sink refuses Slack blocks past the Block Kit limits with 400 invalid_blocks, as Slack does (docs.slack.dev/reference/block-kit/blocks)', async () => {
    const post = (text: string) =>
      httpsPost(`${sink.url}/slack/limit`, JSON.stringify({ text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }), {
        headers: {},
        timeoutMs: 5_000,
        ca: sink.caPem,
        allowPrivateAddresses: true,
      });
    expect((await post('a'.repeat(3000))).status).toBe(200);
    const refused = await post('a'.repeat(3001));
    expect(refused.status).toBe(400);
    expect(refused.body).toBe('invalid_blocks');
  });

  it('a group of 40 Teams alerts with long CJK policy names: every one reaches Teams, none refused for its size', async () => {
    const store = await newStore();
    const clock = new Clock();
    const policy = 'Kubernetes クラスターのコンテナーは許可されたイメージのみを使用する必要があります'.repeat(8);
    const changes: LifecycleChange[] = Array.from({ length: 40 }, (_unused, index) => ({
      kind: 'opened',
      previous: undefined,
      next: storedFinding({
        ruleId: `CJK-${String(index).padStart(2, '0')}`,
        severity: 'medium',
        title: policy,
        detail: `${policy}: ${'名前空間'.repeat(60)}`,
      }),
    }));
    await new AlertPipeline(config, store).enqueue(changes, clock.now());
    const start = sink.deliveries.length;
    await drainUntilEmpty(store, clock);
    const entries = await store.allEntries('teams');
    expect(entries.map((entry) => [entry.status, entry.lastStatus])).toEqual(entries.map(() => ['sent', 202]));
    const cards = sink.deliveries.slice(start).filter((delivery) => delivery.kind === 'teams');
    expect(cards.length).toBe(entries.length);
    // One group (by subscription) of about 60 KB: several cards, each alert in exactly one.
    expect(cards.length).toBeGreaterThan(1);
    for (let index = 0; index < 40; index += 1) {
      const ruleId = `CJK-${String(index).padStart(2, '0')}`;
      expect(
        cards.filter((card) => card.rawBody.includes(ruleId)),
        ruleId,
      ).toHaveLength(1);
    }
  });

  it('signs generic webhooks so the receiver can verify them', async () => {
    const store = await newStore();
    const clock = new Clock(Date.now());
    await new AlertPipeline(config, store).enqueue([opened(3)], clock.now());
    const start = sink.deliveries.length;
    await drainOutbox(store, config, httpsPost, drainOptions(clock));
    const hook = sink.deliveries.slice(start).find((delivery) => delivery.kind === 'webhook');
    const { verifyWebhookSignature } = await import('../../lib/alerts/vendors/webhook/render.js');
    expect(
      verifyWebhookSignature(
        SECRETS.HOOK_KEY,
        { timestamp: hook?.headers['x-fleetguard-timestamp'], signature: hook?.headers['x-fleetguard-signature'] },
        hook?.rawBody ?? '',
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
  });

  it('Opsgenie: a finding opens one alert by alias (a resend merges into it) and its resolve closes it by alias', async () => {
    const store = await newStore();
    const clock = new Clock();
    const pipeline = new AlertPipeline(config, store);
    const change = opened(1, 'OPSGENIE-ONLY');
    const start = sink.deliveries.length;
    await pipeline.enqueue([change], clock.now());
    await drainOutbox(store, config, httpsPost, drainOptions(clock));
    clock.advance(5 * 3_600_000);
    // Past the repeat interval the finding is notified again: same alias, no second alert.
    await pipeline.enqueue([change], clock.now());
    await drainOutbox(store, config, httpsPost, drainOptions(clock));
    await pipeline.enqueue([{ kind: 'resolved', previous: change.next, next: { ...change.next, status: 'resolved', resolution: 'notObserved' } }], clock.now());
    await drainOutbox(store, config, httpsPost, drainOptions(clock));
    const entries = await store.allEntries('opsgenie');
    expect(entries.map((entry) => [entry.status, entry.lastStatus])).toEqual([
      ['sent', 202],
      ['sent', 202],
      ['sent', 202],
    ]);
    const delivered = sink.deliveries.slice(start).filter((delivery) => delivery.kind === 'opsgenie');
    expect(delivered.map((delivery) => delivery.headers['authorization'])).toEqual(delivered.map(() => `GenieKey ${SECRETS.OG_KEY}`));
    const alias = (delivered[0]?.body as { alias: string }).alias;
    expect(alias).toBe(`aks-fleet-guard-${change.next.fingerprint}`);
    expect(delivered[2]?.body).toEqual({ source: 'aks-fleet-guard', note: 'Resolved: OPSGENIE-ONLY on cluster-1 (notObserved)' });
    expect(sink.incidents.get('opsgenie')?.get(alias)).toEqual({ open: false, triggers: 2, resolves: 1, incidents: 1 });
    // The outbox never holds the key.
    expect(JSON.stringify(entries)).not.toContain(SECRETS.OG_KEY);
  });

  it('the sink answers as Opsgenie does: 202 with a requestId, 422 past a documented limit, 401 without a GenieKey, 404 elsewhere (docs.opsgenie.com/docs/alert-api, /docs/response)', async () => {
    const post = (path: string, body: unknown, key: string | null = 'k3y') =>
      httpsPost(`${sink.url}/opsgenie/limits${path}`, JSON.stringify(body), {
        headers: key === null ? {} : { authorization: `GenieKey ${key}` },
        timeoutMs: 5_000,
        ca: sink.caPem,
        allowPrivateAddresses: true,
      });
    const accepted = await post('/v2/alerts', { message: 'm'.repeat(130), alias: 'a' });
    expect(accepted.status).toBe(202);
    expect(JSON.parse(accepted.body)).toMatchObject({ result: 'Request will be processed', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await post('/v2/alerts', { message: 'm'.repeat(131) })).status).toBe(422);
    expect((await post('/v2/alerts', { message: 'm', tags: Array.from({ length: 21 }, () => 't') })).status).toBe(422);
    expect((await post('/v2/alerts', { message: 'm', details: { d: 'x'.repeat(8_000) } })).status).toBe(422);
    expect((await post('/v2/alerts', { message: 'm' }, null)).status).toBe(401);
    expect((await post('/v2/alerts/a/close?identifierType=alias', { note: 'n' })).status).toBe(202);
    expect((await post('/v2/alerts/a/close', { note: 'n' })).status).toBe(404);
  });
});
