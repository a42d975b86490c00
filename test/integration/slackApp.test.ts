/**
 * The Slack app receiver end to end: the pipeline writes the outbox (Azurite), the real drain sends
 * over HTTPS to the local sink's Slack Web API (tooling/simulator/slackWebApi.ts), and the test reads
 * Slack's side from the sink's workspace model: one message per group, updated in place, repeats
 * in its thread, an outage in the middle of an update, Retry-After, and refreshes through
 * `SlackMessagePort` showing silences and acknowledgements.
 * Sources: docs.slack.dev/reference/methods/chat.postMessage, chat.update, docs.slack.dev/apis/web-api/rate-limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Alert } from '../../lib/alerts/alert.js';
import { type AlertingConfig, parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import type { Acknowledgement, AcknowledgementPort } from '../../lib/alerts/interactionContract.js';
import { DEFAULT_DRAIN_OPTIONS, type DrainOptions, drainOutbox } from '../../lib/alerts/outboxDrain.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import type { LifecycleChange } from '../../lib/findings/lifecycle.js';
import type { SlackChannel } from '../../tooling/simulator/slackWebApi.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { firing, resolved } from '../harness/alerts.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const TOKEN = 'xoxb-111111111111-2222222222222-slackAppTestToken01';
const SETTINGS = { SLACK_BOT: TOKEN, SLACK_SIGNING: 'slackSigningSecretForTests0123456' };

/** One receiver per test (its own channel), so tests share the sink and the table. */
function configFor(receiver: string, channel: string): AlertingConfig {
  return parseAlertingDocument(
    JSON.stringify({
      receivers: [{ name: receiver, type: 'slackApp', botTokenSetting: 'SLACK_BOT', channel, signingSecretSetting: 'SLACK_SIGNING' }],
      routes: [{ name: `to-${receiver}`, receiver, groupBy: ['cluster'], repeatInterval: '4h' }],
    }),
    'test',
    SETTINGS,
  );
}

class Clock {
  time = Date.parse('2026-11-20T12:00:00.000Z');
  now = () => new Date(this.time);
  advance(ms: number) {
    this.time += ms;
  }
}

/** An in-memory acknowledgement store (the real one is the PagerDuty engineer's); the Slack side only reads it. */
class MemoryAcknowledgements implements AcknowledgementPort {
  readonly latest = new Map<string, Acknowledgement>();
  record(acknowledgements: readonly Acknowledgement[]): Promise<void> {
    for (const ack of acknowledgements) this.latest.set(ack.fingerprint, ack);
    return Promise.resolve();
  }
  current(fingerprints: readonly string[]): Promise<Map<string, Acknowledgement>> {
    return Promise.resolve(
      new Map(fingerprints.flatMap((fingerprint) => (this.latest.has(fingerprint) ? [[fingerprint, this.latest.get(fingerprint)!]] : []))),
    );
  }
}

let sink: RunningSink;
let store: AlertStore;
const clock = new Clock();
const acknowledgements = new MemoryAcknowledgements();

beforeAll(async () => {
  sink = await startWebhookSink();
  sink.slack.tokens.add(TOKEN);
  sink.slack.now = () => clock.time;
  store = new AlertStore(azuriteTable(uniqueTableName('slackapp')), { acknowledgements });
  await store.ensureTable();
});
afterAll(() => sink.close());

function options(overrides: Partial<DrainOptions> = {}): DrainOptions {
  return {
    ...DEFAULT_DRAIN_OPTIONS,
    now: clock.now,
    random: () => 0.5,
    endpointOverride: sink.url,
    caPem: sink.caPem,
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    // The drain's pacing waits on the test's clock, which the sink's rate limiter reads too.
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
    ...overrides,
  };
}

function changes(alerts: readonly Alert[]): LifecycleChange[] {
  return alerts.map((alert) =>
    alert.status === 'firing'
      ? { kind: 'updated', previous: alert.finding, next: alert.finding }
      : { kind: 'resolved', previous: alert.finding, next: alert.finding },
  );
}

async function send(config: AlertingConfig, alerts: readonly Alert[], drainOverrides: Partial<DrainOptions> = {}) {
  await new AlertPipeline(config, store).enqueue(changes(alerts), clock.now());
  return drainOutbox(store, config, httpsPost, options(drainOverrides));
}

function channel(id: string): SlackChannel {
  return sink.slack.channels.get(id) ?? sink.slack.addChannel(id);
}

/** What the channel shows: per top-level message, its text, edits and thread replies. */
function view(id: string) {
  return channel(id).messages.map((message) => ({ text: message.text, edits: message.edits.length, replies: message.replies.map((reply) => reply.text) }));
}

const HOUR = 3_600_000;

describe('Slack app receiver through the drain, Azurite and the sink', () => {
  it('posts one message per group, updates it in place on a resolve, and sends a repeat to its thread', async () => {
    const config = configFor('flow', 'C0FLOW0001');
    channel('C0FLOW0001');
    const a = firing({ ruleId: 'AKS-A', cluster: 'web-prod' });
    const b = firing({ ruleId: 'AKS-B', cluster: 'web-prod', severity: 'critical' });

    expect(await send(config, [a, b])).toMatchObject({ sent: 1, failed: 0 });
    expect(view('C0FLOW0001')).toEqual([{ text: 'aks-fleet-guard: 2 firing on web-prod', edits: 0, replies: [] }]);
    const posted = channel('C0FLOW0001').messages[0]!;
    const buttons = JSON.stringify(posted.blocks);
    expect(buttons).toContain('fleetguard_silence_4h');
    expect(buttons).toContain('fleetguard_acknowledge');

    clock.advance(10 * 60_000);
    expect(await send(config, [resolved({ ruleId: 'AKS-A', cluster: 'web-prod' })])).toMatchObject({ sent: 1 });
    expect(view('C0FLOW0001')).toEqual([{ text: 'aks-fleet-guard: 1 firing, 1 resolved on web-prod', edits: 1, replies: [] }]);
    expect(JSON.stringify(posted.blocks)).toContain('*Resolved*');

    // B is still firing after its repeat interval: a reply in the thread, not a message in the channel.
    clock.advance(4 * HOUR);
    expect(await send(config, [b])).toMatchObject({ sent: 1 });
    expect(view('C0FLOW0001')).toEqual([{ text: 'aks-fleet-guard: 1 firing, 1 resolved on web-prod', edits: 1, replies: ['Still firing: 1 finding'] }]);

    // Every alert resolved: the message says so; the group firing again later is a new message.
    clock.advance(HOUR);
    await send(config, [resolved({ ruleId: 'AKS-B', cluster: 'web-prod', severity: 'critical' })]);
    expect(view('C0FLOW0001')[0]).toMatchObject({ text: 'aks-fleet-guard: all resolved on web-prod', edits: 2 });
    clock.advance(HOUR);
    await send(config, [a]);
    expect(view('C0FLOW0001').map((message) => message.text)).toEqual(['aks-fleet-guard: all resolved on web-prod', 'aks-fleet-guard: 1 firing on web-prod']);
    expect(sink.slack.calls.filter((call) => !call.ok)).toEqual([]);
  });

  it('a new finding of the group joins its open message (an update, and a reply so someone is told)', async () => {
    const config = configFor('grow', 'C0GROW0001');
    channel('C0GROW0001');
    await send(config, [firing({ ruleId: 'AKS-A', cluster: 'db' })]);
    clock.advance(60_000);
    await send(config, [firing({ ruleId: 'AKS-C', cluster: 'db', severity: 'critical' })]);
    expect(view('C0GROW0001')).toEqual([{ text: 'aks-fleet-guard: 2 firing on db', edits: 1, replies: ['New in this group: 1 finding'] }]);
  });

  it('a message someone deleted in Slack is forgotten, and its alerts are posted anew on the next change', async () => {
    const config = configFor('deleted', 'C0DELETED1');
    channel('C0DELETED1');
    await send(config, [firing({ ruleId: 'AKS-A', cluster: 'ops' }), firing({ ruleId: 'AKS-B', cluster: 'ops' })]);
    sink.slack.deleteMessage('C0DELETED1', channel('C0DELETED1').messages[0]!.ts);
    clock.advance(60_000);
    expect(await send(config, [resolved({ ruleId: 'AKS-A', cluster: 'ops' })])).toMatchObject({ sent: 1, failed: 0 });
    expect(
      channel('C0DELETED1')
        .messages.filter((message) => !message.deleted)
        .map((message) => message.text),
    ).toEqual(['aks-fleet-guard: 1 firing, 1 resolved on ops']);
  });

  it('a Slack outage in the middle of an update: the update is retried and applied once, nothing is posted twice', async () => {
    const config = configFor('outage', 'C0OUTAGE01');
    channel('C0OUTAGE01');
    const a = firing({ ruleId: 'AKS-A', cluster: 'api' });
    const b = firing({ ruleId: 'AKS-B', cluster: 'api' });
    await send(config, [a, b]);
    clock.advance(4 * HOUR);
    // One outbox message, two steps: chat.update (A resolved), then a thread reply (B still firing).
    // The connection is reset on the update: no answer, retried.
    sink.failNext('slackApp', 1, { status: 0, reset: true });
    expect(await send(config, [resolved({ ruleId: 'AKS-A', cluster: 'api' }), b])).toMatchObject({ sent: 0, retried: 1 });
    expect(view('C0OUTAGE01')).toEqual([{ text: 'aks-fleet-guard: 2 firing on api', edits: 0, replies: [] }]);

    // Recovery: the update is applied; Slack is down again for the reply (503): the retry resumes at the reply.
    clock.advance(61_000);
    sink.slack.failNext('chat.postMessage', 1, { status: 503 });
    expect(await drainOutbox(store, config, httpsPost, options())).toMatchObject({ sent: 0, retried: 1 });
    expect(view('C0OUTAGE01')).toEqual([{ text: 'aks-fleet-guard: 1 firing, 1 resolved on api', edits: 1, replies: [] }]);
    clock.advance(61_000);
    expect(await drainOutbox(store, config, httpsPost, options())).toMatchObject({ sent: 1, retried: 0 });
    expect(view('C0OUTAGE01')).toEqual([{ text: 'aks-fleet-guard: 1 firing, 1 resolved on api', edits: 1, replies: ['Still firing: 1 finding'] }]);
    expect((await store.allEntries('outage')).map((entry) => entry.status)).toEqual(['sent', 'sent']);
  });

  it('honours a 429 and its Retry-After per method; posts to one channel are paced a second apart', async () => {
    const config = configFor('limits', 'C0LIMITS01');
    channel('C0LIMITS01');
    // Three groups posted in one drain: paced on the drain's clock, Slack refuses none.
    const clusters = ['one', 'two', 'three'];
    const started = clock.time;
    expect(
      await send(
        config,
        clusters.map((cluster) => firing({ ruleId: 'AKS-A', cluster })),
      ),
    ).toMatchObject({ sent: 3, retried: 0 });
    expect(clock.time - started).toBeGreaterThanOrEqual(2_000);
    expect(channel('C0LIMITS01').messages).toHaveLength(3);

    // chat.update at most once a minute in this workspace: the second update is answered 429, Retry-After 60.
    sink.slack.limits.updatePerMinute = 1;
    try {
      expect(
        await send(
          config,
          clusters.slice(0, 2).map((cluster) => resolved({ ruleId: 'AKS-A', cluster })),
        ),
      ).toMatchObject({ sent: 1, retried: 1 });
      const waiting = (await store.allEntries('limits')).find((entry) => entry.status === 'retrying');
      expect(waiting).toMatchObject({ lastStatus: 429 });
      expect(Date.parse(waiting!.nextAttemptAt) - clock.time).toBeGreaterThanOrEqual(59_000);
      clock.advance(30_000);
      expect(await drainOutbox(store, config, httpsPost, options())).toMatchObject({ sent: 0, retried: 0 });
      clock.advance(31_000);
      expect(await drainOutbox(store, config, httpsPost, options())).toMatchObject({ sent: 1 });
    } finally {
      sink.slack.limits.updatePerMinute = 50;
    }
    expect(channel('C0LIMITS01').messages.map((message) => message.edits.length)).toEqual([1, 1, 0]);
  });

  it('requestRefresh (SlackMessagePort) re-renders the messages showing a finding with its silence and acknowledgement', async () => {
    const config = configFor('refresh', 'C0REFRESH1');
    channel('C0REFRESH1');
    const a = firing({ ruleId: 'AKS-A', cluster: 'pay', severity: 'critical' });
    await send(config, [a]);
    const [record] = await store.slackMessages.group('refresh', 'to-refresh', (await store.slackMessages.showing([a.finding.fingerprint]))[0]!.groupKey);
    expect(await store.slackMessages.find({ receiver: 'refresh', messageKey: record!.messageKey })).toMatchObject({
      channel: 'C0REFRESH1',
      ts: channel('C0REFRESH1').messages[0]!.ts,
    });

    await store.createSilence(
      { cluster: 'pay' },
      { startsAt: clock.now(), endsAt: new Date(clock.time + 4 * HOUR), createdBy: 'alice@contoso.com', comment: 'from Slack' },
    );
    await acknowledgements.record([
      { fingerprint: a.finding.fingerprint, state: 'acknowledged', by: 'Bob Oncall', byId: 'PBOB', source: 'pagerduty', at: clock.now().toISOString() },
    ]);
    await store.slackMessages.requestRefresh({ fingerprints: [a.finding.fingerprint] }, clock.now());
    expect(await drainOutbox(store, config, httpsPost, options())).toMatchObject({ sent: 1 });
    const [message] = channel('C0REFRESH1').messages;
    expect(message?.edits).toHaveLength(1);
    const shown = JSON.stringify(message?.blocks);
    // Fleet and person text is neutralised (the `@` broken with a word joiner, as every Slack text: markup/fleetText.ts).
    expect(shown).toMatch(/silenced by alice@\u2060contoso\.com until 2026-11-2\d \d\d:\d\d UTC/);
    expect(shown).toContain('acknowledged by Bob Oncall in PagerDuty at ');
  });
});
