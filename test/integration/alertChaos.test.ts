/**
 * Outbox chaos at scale: 1,000 alerts (800 opened, then 200 of them resolved while the first wave
 * is still draining) through the real pipeline, Azurite and HTTPS to the local sink, while the
 * sink answers 500/503/429, hangs past the timeout or drops the connection, and drain instances are
 * killed mid-flight (before a request leaves, or after it reached the service and before its
 * answer), sometimes while a second drain runs beside them.
 *
 * What the README promises, checked at the sink: no alert lost; PagerDuty pages once per dedup
 * key (a resent trigger only lands on the open incident) and resolves what was resolved; webhooks
 * get every delivery id and every alert, repeats only from killed instances; Slack and Teams never
 * get a message twice, and a message is missing only when a kill left it `uncertain`; every
 * receiver sees its messages first arrive in creation order.
 */
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore, type OutboxEntry } from '../../lib/alerts/alertStore.js';
import { DEFAULT_DRAIN_OPTIONS, type DrainOptions, drainOutbox, type DrainResult } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import { dedupKeyOf } from '../../lib/alerts/vendors/pagerduty/render.js';
import type { LifecycleChange } from '../../lib/findings/lifecycle.js';
import { SEVERITIES } from '../../lib/model/finding.js';
import { seededRandom } from '../../tooling/simulator/faults.js';
import { type Delivery, type RunningSink, type SinkFailure, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { routingDocument, SECRETS, storedFinding } from '../harness/alerts.js';
import { KillableInstance, type KillPlan } from '../harness/killableInstance.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const ROUTES = routingDocument(`
- { name: page, receiver: pager, match: { minSeverity: high }, continue: true }
- { name: audit, receiver: hook, groupBy: [cluster], continue: true }
- { name: leads, receiver: teams, match: { minSeverity: critical }, groupBy: [subscription], continue: true }
- { name: digest, receiver: slack, groupBy: [cluster] }
`);
const config = parseAlertingDocument(ROUTES, 'test', SECRETS);
const CLUSTERS = 40;
const OPENED = 800;
const RESOLVE_AT_ROUND = 4;
/** Rounds with outages and kills; after them the receivers recover and the outbox must empty. */
const CHAOS_ROUNDS = 30;
const RECEIVERS = ['pager', 'hook', 'teams', 'slack'] as const;

let sink: RunningSink;
beforeAll(async () => {
  sink = await startWebhookSink();
});
afterAll(() => sink.close());

function finding(index: number) {
  const cluster = index % CLUSTERS;
  const subscriptionId = `0000000${cluster % 4}-0000-4000-8000-000000000000`;
  const rule = Math.floor(index / CLUSTERS);
  return storedFinding({
    ruleId: `AKS-CHAOS-${rule}`,
    cluster: `chaos-${cluster}`,
    subscriptionId,
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/chaos-${cluster}`,
    severity: SEVERITIES[rule % 4] ?? 'low',
  });
}

const openedChanges: LifecycleChange[] = Array.from({ length: OPENED }, (_unused, index) => ({ kind: 'opened', previous: undefined, next: finding(index) }));
/** Every fourth finding resolves: 200 more alerts, 1,000 in all. */
const resolvedChanges: LifecycleChange[] = openedChanges
  .filter((_change, index) => index % 4 === 0)
  .map((change) => ({
    kind: 'resolved',
    previous: change.next,
    next: { ...change.next, status: 'resolved', resolvedAt: '2026-11-20T13:00:00.000Z', resolution: 'notObserved' },
  }));

class Clock {
  time = Date.parse('2026-11-20T12:00:00.000Z');
  now = () => new Date(this.time);
}

const FAILURES: Array<(random: () => number) => SinkFailure> = [
  () => ({ status: 500 }),
  () => ({ status: 503 }),
  (random) => ({ status: 429, retryAfterSeconds: 1 + Math.floor(random() * 5) }),
  // Hangs past the drain's 500 ms deadline; the receiver never processes it.
  () => ({ status: 503, latencyMs: 800 }),
  () => ({ status: 0, reset: true }),
];
/**
 * The first rounds kill in each window and for each kind of receiver: Slack after sending (must
 * not be resent), Teams before sending, PagerDuty and a webhook after sending (resent), and table
 * writes on both sides. Later kills are drawn at random.
 */
const FIRST_KILLS: KillPlan[] = [
  { on: 'post', urlContains: '/teams/', at: 1, afterSending: false },
  { on: 'post', urlContains: '/slack/', at: 2, afterSending: true },
  { on: 'post', urlContains: '/pagerduty/', at: 3, afterSending: true },
  { on: 'table', at: 9, afterSending: false },
  { on: 'post', urlContains: '/webhook/', at: 2, afterSending: true },
  { on: 'table', at: 14, afterSending: true },
];

/** Somewhere in a drain's table writes (about three per message) or its notifications. */
function randomKill(random: () => number): KillPlan {
  const afterSending = random() < 0.5;
  return random() < 0.5 ? { on: 'table', at: 1 + Math.floor(random() * 250), afterSending } : { on: 'post', at: 1 + Math.floor(random() * 80), afterSending };
}

/** What tells one message from another at the receiver (a resend has the same identity). */
function identityOf(kind: string, rawBody: string, deliveryHeader: string | undefined): string {
  if (kind === 'pagerduty') {
    const body = JSON.parse(rawBody) as { dedup_key: string; event_action: string };
    return `${body.event_action}|${body.dedup_key}`;
  }
  return kind === 'webhook' ? (deliveryHeader ?? '') : rawBody;
}

const identity = (delivery: Delivery): string => identityOf(delivery.kind, delivery.rawBody, delivery.headers['x-fleetguard-delivery']);

function entryIdentity(entry: OutboxEntry): string {
  return identityOf(entry.kind, entry.body, entry.deliveryId);
}

describe('alert outbox chaos: 1,000 alerts, receiver outages and killed drains', () => {
  it('loses no alert, pages once per dedup key, and repeats only what the guarantee allows', async () => {
    const table = uniqueTableName('alertchaos');
    const store = new AlertStore(TableClient.fromConnectionString(azuriteConnectionString(), table, { allowInsecureConnection: true }));
    await store.ensureTable();
    const clock = new Clock();
    const random = seededRandom(7);
    const sinkRandom = seededRandom(11);
    const pipeline = new AlertPipeline(config, store);
    const options: DrainOptions = {
      ...DEFAULT_DRAIN_OPTIONS,
      now: clock.now,
      random,
      endpointOverride: sink.url,
      caPem: sink.caPem,
      // A total deadline per send (transport.ts): loose enough that a healthy send on a loaded
      // runner never misses it (a missed one would be resent: a duplicate Slack or Teams post).
      timeoutMs: 500,
      backoff: { baseMs: 500, maxMs: 8_000 },
      // Outages here are short; giving up would be a loss the test cannot tell from a bug.
      maxAttempts: 1_000,
    };
    /** A drain on its own instance: its table client and its sends die with it. */
    const drainOn = (instance: KillableInstance): Promise<DrainResult> => {
      const client = TableClient.fromConnectionString(azuriteConnectionString(), table, {
        allowInsecureConnection: true,
        additionalPolicies: [{ policy: instance.tablePolicy, position: 'perCall' }],
      });
      return drainOutbox(new AlertStore(client), config, instance.post(httpsPost), options);
    };

    const queued = await pipeline.enqueue(openedChanges, clock.now());
    const kills: KillableInstance[] = [];
    const results: DrainResult[] = [];
    let resolvedMessages = 0;
    let round = 0;
    let firstKills = 0;
    let failuresServed = 0;
    for (; round < 60; round += 1) {
      if (round === RESOLVE_AT_ROUND) resolvedMessages = (await pipeline.enqueue(resolvedChanges, clock.now())).messages;
      const chaos = round < CHAOS_ROUNDS || firstKills < FIRST_KILLS.length;
      // An unreliable receiver (5 % of requests fail) throughout the chaos, and two short outages of every receiver.
      sink.failShare(
        chaos ? 0.05 : 0,
        () => {
          failuresServed += 1;
          return FAILURES[Math.floor(sinkRandom() * FAILURES.length)]?.(sinkRandom) ?? { status: 500 };
        },
        sinkRandom,
      );
      if (round === 8 || round === 14) {
        sink.failNext('*', 2, { status: 503 });
        sink.failNext('*', 1, { status: 429, retryAfterSeconds: 3 });
      }
      // Each planned kill is tried again until the drain reaches it (a failure may stop it sooner).
      const plan = FIRST_KILLS[firstKills] ?? (chaos && random() < 0.4 ? randomKill(random) : undefined);
      const instance = new KillableInstance(plan);
      // Now and then the next timer fires while this drain still runs.
      const beside = chaos && firstKills >= FIRST_KILLS.length && random() < 0.25 ? drainOn(new KillableInstance(undefined)) : undefined;
      const outcome = await Promise.race([drainOn(instance), instance.died.then(() => undefined)]);
      if (outcome === undefined) {
        kills.push(instance);
        if (plan === FIRST_KILLS[firstKills]) firstKills += 1;
        await instance.settled();
      } else {
        results.push(outcome);
      }
      if (beside !== undefined) results.push(await beside);
      // After a kill the claim's lease must run out before another drain retries that message;
      // sometimes the next drain comes before it has (and must leave the claimed message alone).
      clock.time += (outcome === undefined && random() < 0.7) || !chaos ? options.leaseMs + 1 : 40_000;
      const left = await Promise.all(RECEIVERS.map((receiver) => store.activeCount(receiver)));
      if (round > RESOLVE_AT_ROUND && left.every((count) => count === 0)) break;
    }
    expect(round, 'the outbox never emptied').toBeLessThan(60);
    expect(results.flatMap((result) => result.errors)).toEqual([]);
    // The chaos happened: kills in both windows, retries, resends of interrupted sends.
    expect(firstKills).toBe(FIRST_KILLS.length);
    expect(failuresServed).toBeGreaterThan(5);
    expect(results.reduce((sum, result) => sum + result.retried, 0)).toBeGreaterThan(0);

    const entries = new Map<string, OutboxEntry[]>();
    for (const receiver of RECEIVERS) entries.set(receiver, await store.allEntries(receiver));
    const all = [...entries.values()].flat();
    expect(all).toHaveLength(queued.messages + resolvedMessages);
    // Nothing failed or is still waiting; only Slack and Teams may be uncertain, one per receiver per kill at most.
    expect(all.filter((entry) => entry.status !== 'sent' && !(entry.status === 'uncertain' && (entry.kind === 'slack' || entry.kind === 'teams')))).toEqual([]);
    const uncertain = all.filter((entry) => entry.status === 'uncertain');
    expect(uncertain.length).toBeLessThanOrEqual(2 * kills.length);

    const deliveries = sink.deliveries;
    // PagerDuty, from the findings (not the outbox): a trigger for every high or critical finding,
    // a resolve for those resolved, one incident per key, repeats only from killed instances.
    const paged = new Set(
      openedChanges.filter((change) => ['critical', 'high'].includes(change.next.severity)).map((change) => dedupKeyOf(change.next.fingerprint)),
    );
    const resolvedKeys = new Set(resolvedChanges.map((change) => dedupKeyOf(change.next.fingerprint)).filter((key) => paged.has(key)));
    expect(paged.size).toBe(400);
    expect(resolvedKeys.size).toBe(100);
    expect(new Set(sink.pagerDuty.keys())).toEqual(paged);
    for (const [key, state] of sink.pagerDuty) {
      expect({ key, incidents: state.incidents, open: state.open, resolves: state.resolves > 0 }).toEqual({
        key,
        incidents: 1,
        open: !resolvedKeys.has(key),
        resolves: resolvedKeys.has(key),
      });
    }
    // A message arrives more than once only if killed instances sent it: once, plus once per such
    // instance. For PagerDuty that bounds the trigger events per dedup key; the incidents are one.
    const arrivals = new Map<string, number>();
    for (const delivery of deliveries) arrivals.set(identity(delivery), (arrivals.get(identity(delivery)) ?? 0) + 1);
    const killedSends = new Map<string, number>();
    for (const instance of kills) {
      for (const id of new Set(
        instance.posts.map((post) => identityOf(new URL(post.url).pathname.split('/')[1] ?? '', post.body, post.headers['x-fleetguard-delivery'])),
      ))
        killedSends.set(id, (killedSends.get(id) ?? 0) + 1);
    }
    const repeated = [...arrivals].filter(([, count]) => count > 1);
    expect(repeated.filter(([id, count]) => count > 1 + (killedSends.get(id) ?? 0))).toEqual([]);
    expect(repeated.length).toBeGreaterThan(0);
    // Slack and Teams have no idempotency key: never twice.
    expect(sink.tallies.get('slack')?.repeats).toBe(0);
    expect(sink.tallies.get('teams')?.repeats ?? 0).toBe(0);

    for (const receiver of RECEIVERS) {
      const receiverEntries = entries.get(receiver) ?? [];
      const arrived = deliveries.filter((delivery) => delivery.receiver === receiver).map(identity);
      const firstArrivals = [...new Set(arrived)];
      const expected = receiverEntries.filter((entry) => entry.status === 'sent').map(entryIdentity);
      const mayBeMissing = new Set(receiverEntries.filter((entry) => entry.status === 'uncertain').map(entryIdentity));
      // Every sent message arrived, in creation order; nothing arrived that the outbox does not hold.
      expect(
        firstArrivals.filter((id) => !mayBeMissing.has(id)),
        receiver,
      ).toEqual(expected);
      expect(
        firstArrivals.every((id) => expected.includes(id) || mayBeMissing.has(id)),
        receiver,
      ).toBe(true);
    }

    // Webhooks carry every alert, each in exactly one delivery (by id).
    const documents = new Map<string, { alerts: Array<{ fingerprint: string; status: string }> }>();
    for (const delivery of deliveries.filter((item) => item.kind === 'webhook'))
      documents.set(identity(delivery), delivery.body as { alerts: Array<{ fingerprint: string; status: string }> });
    const carried = [...documents.values()].flatMap((document) => document.alerts.map((alert) => `${alert.status}|${alert.fingerprint}`));
    expect(carried).toHaveLength(OPENED + resolvedChanges.length);
    expect(new Set(carried)).toEqual(
      new Set([
        ...openedChanges.map((change) => `firing|${change.next.fingerprint}`),
        ...resolvedChanges.map((change) => `resolved|${change.next.fingerprint}`),
      ]),
    );
  }, 60_000);
});
