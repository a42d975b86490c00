/**
 * Slack button presses through the interaction handler with the real parts: Slack's signature as
 * Slack computes it (the simulator's signer), Azurite for silences and replayed signatures, the
 * HTTPS sink for usergroups.users.list and response_url, the real silence limits and alert pipeline.
 * The message store and acknowledgement store are other branches' (issue 18): small in-memory ports here.
 * Sources: https://docs.slack.dev/authentication/verifying-requests-from-slack (v0 signature, 5 minutes),
 * https://docs.slack.dev/interactivity/handling-user-interaction (3 s acknowledgement, response_url).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { AlertPipeline } from '../../lib/alerts/alertPipeline.js';
import { AlertStore } from '../../lib/alerts/alertStore.js';
import {
  type Acknowledgement,
  type AcknowledgementPort,
  type PostedSlackMessage,
  SLACK_ACTION_IDS,
  type SlackAppInteractivity,
  type SlackMessagePort,
  type SlackMessageRef,
} from '../../lib/alerts/interactionContract.js';
import { handleSlackInteraction, type SlackInteractionDeps } from '../../lib/alerts/interactions/slackInteraction.js';
import { ephemeralReply, slackGroupMembers } from '../../lib/alerts/interactions/slackWebApi.js';
import { httpsPost } from '../../lib/alerts/transport.js';
import { Secret } from '../../lib/secret.js';
import { buttonPressPayload, signSlackInteraction } from '../../tooling/simulator/slackInteractions.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { firing, resolved, SECRETS } from '../harness/alerts.js';
import { azuriteTable, uniqueTableName } from '../harness/tables.js';

const SIGNING_SECRET = 'slack-signing-secret-0123456789abcdef';
const WEB_DEV = firing().finding.resourceId;
const app: SlackAppInteractivity = {
  name: 'platform-slack',
  type: 'slackApp',
  botToken: new Secret('xoxb-test-bot-token'),
  channel: 'C0ALERTS',
  signingSecret: new Secret(SIGNING_SECRET),
  allowedActors: [{ slackUserId: 'U0ALICE', principal: 'alice@contoso.com' }, { slackGroupId: 'S0ONCALL' }],
};

class MemoryMessages implements SlackMessagePort {
  readonly records = new Map<string, PostedSlackMessage>();
  readonly refreshes: SlackMessageRef[][] = [];
  find(ref: SlackMessageRef) {
    return Promise.resolve(this.records.get(`${ref.receiver}/${ref.messageKey}`));
  }
  requestRefresh(target: { refs: readonly SlackMessageRef[] } | { fingerprints: readonly string[] }) {
    if ('refs' in target) this.refreshes.push([...target.refs]);
    return Promise.resolve();
  }
}

class MemoryAcknowledgements implements AcknowledgementPort {
  readonly latest = new Map<string, Acknowledgement>();
  record(acknowledgements: readonly Acknowledgement[]) {
    for (const ack of acknowledgements) if ((this.latest.get(ack.fingerprint)?.at ?? '') <= ack.at) this.latest.set(ack.fingerprint, ack);
    return Promise.resolve();
  }
  current(fingerprints: readonly string[]) {
    return Promise.resolve(
      new Map(fingerprints.flatMap((fingerprint) => (this.latest.has(fingerprint) ? [[fingerprint, this.latest.get(fingerprint)!] as const] : []))),
    );
  }
}

function postedMessage(messageKey: string, alert = firing().finding): PostedSlackMessage {
  return {
    receiver: app.name,
    messageKey,
    route: 'platform',
    groupKey: alert.resourceId.toLowerCase(),
    groupBy: ['cluster'],
    channel: app.channel,
    ts: '1764500000.000100',
    postedAt: '2026-11-30T10:00:00.000Z',
    alerts: [{ ...alert, status: 'firing' }],
  };
}

describe('Slack button presses', () => {
  let sink: RunningSink;
  let store: AlertStore;
  let messages: MemoryMessages;
  let acknowledgements: MemoryAcknowledgements;
  let deps: SlackInteractionDeps;

  beforeAll(async () => {
    sink = await startWebhookSink();
    sink.slack.usergroups.set('S0ONCALL', ['U0BOB']);
    store = new AlertStore(azuriteTable(uniqueTableName('slackint')));
    await store.ensureTable();
    messages = new MemoryMessages();
    acknowledgements = new MemoryAcknowledgements();
    for (const key of ['m-sig', 'm-auth', 'm-silence', 'm-double', 'm-ack', 'm-slow', 'm-race']) messages.records.set(`${app.name}/${key}`, postedMessage(key));
    const calls = { post: httpsPost, endpointOverride: sink.url, caPem: sink.caPem };
    deps = {
      apps: [app],
      replays: store.slackReplays,
      alertStore: store,
      messages,
      acknowledgements,
      members: slackGroupMembers(calls),
      reply: ephemeralReply(calls),
      silenceLimits: { maxActive: 500, maxDurationMs: 30 * 86_400_000 },
      now: () => new Date(),
    };
  });
  afterAll(() => sink.close());

  const press = (
    messageKey: string,
    actionId: string,
    user = { id: 'U0ALICE', name: 'alice' },
    extra: Partial<Parameters<typeof buttonPressPayload>[0]> = {},
  ) => buttonPressPayload({ ref: { receiver: app.name, messageKey }, actionId, user, channel: app.channel, messageTs: '1764500000.000100', ...extra });
  const send = (signed: { headers: Record<string, string>; body: string }, overrides: Partial<SlackInteractionDeps> = {}) =>
    handleSlackInteraction(
      { timestamp: signed.headers['x-slack-request-timestamp'] ?? null, signature: signed.headers['x-slack-signature'] ?? null, body: signed.body },
      { ...deps, ...overrides },
    );
  const responses = () => sink.slack.responses;

  it('refuses bad, stale, replayed, unsigned and wrongly signed requests with 401, writing nothing', async () => {
    const silencesBefore = (await store.listSilences()).length;
    const responsesBefore = responses().length;
    const good = signSlackInteraction(press('m-sig', SLACK_ACTION_IDS.silence4h), SIGNING_SECRET);
    const cases: Array<[string, { headers: Record<string, string>; body: string }, RegExp]> = [
      ['tampered body', { ...good, body: good.body.replace('m-sig', 'm-auth') }, /does not match the signing secret/],
      ['bad signature', { ...good, headers: { ...good.headers, 'x-slack-signature': `v0=${'0'.repeat(64)}` } }, /does not match/],
      ['short signature', { ...good, headers: { ...good.headers, 'x-slack-signature': 'v0=abc' } }, /not a v0 signature/],
      [
        'stale (6 minutes old)',
        signSlackInteraction(press('m-sig', SLACK_ACTION_IDS.silence4h), SIGNING_SECRET, new Date(Date.now() - 6 * 60_000)),
        /more than 5 minutes/,
      ],
      [
        'from the future (6 minutes ahead)',
        signSlackInteraction(press('m-sig', SLACK_ACTION_IDS.silence4h), SIGNING_SECRET, new Date(Date.now() + 6 * 60_000)),
        /more than 5 minutes/,
      ],
      ['missing signature', { ...good, headers: { 'x-slack-request-timestamp': good.headers['x-slack-request-timestamp']! } }, /X-Slack-Signature is missing/],
      ['missing timestamp', { ...good, headers: { 'x-slack-signature': good.headers['x-slack-signature']! } }, /X-Slack-Request-Timestamp is missing/],
      ['wrong secret', signSlackInteraction(press('m-sig', SLACK_ACTION_IDS.silence4h), 'another-apps-signing-secret'), /does not match the signing secret/],
    ];
    for (const [name, request, reason] of cases) {
      const answer = await send(request);
      expect(answer.status, name).toBe(401);
      expect((answer.body as { error: string }).error, name).toMatch(reason);
      expect(JSON.stringify(answer.body), name).not.toContain(SIGNING_SECRET);
    }
    // The genuine request once, then its replay.
    expect((await send(good)).status).toBe(200);
    const replay = await send(good);
    expect(replay).toEqual({ status: 401, body: { error: expect.stringMatching(/already received \(a replay\)/) } });
    expect((await store.listSilences()).length).toBe(silencesBefore + 1);
    expect(responses().length).toBe(responsesBefore);
  });

  it('refuses a user not on the allow-list with an ephemeral reply, changing nothing; a group member may act', async () => {
    const before = { silences: (await store.listSilences()).length, refreshes: messages.refreshes.length };
    const answer = await send(signSlackInteraction(press('m-auth', SLACK_ACTION_IDS.silence1d, { id: 'U0MALLORY', name: 'mallory' }), SIGNING_SECRET));
    expect(answer).toEqual({ status: 200, body: { outcome: 'refused', reason: expect.stringMatching(/not on the list of people allowed/) } });
    const reply = responses().at(-1);
    expect(reply?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringMatching(/Nothing was changed/) });
    expect(reply?.path).toMatch(/^\/actions\/T0FLEETGRD\//);
    expect((await store.listSilences()).length).toBe(before.silences);
    expect(messages.refreshes.length).toBe(before.refreshes);

    const bob = await send(signSlackInteraction(press('m-auth', SLACK_ACTION_IDS.silence1d, { id: 'U0BOB', name: 'bob' }), SIGNING_SECRET));
    expect(bob.body).toMatchObject({ outcome: 'silenced', createdBy: 'U0BOB', slackUserId: 'U0BOB', reused: false });
  });

  it('Silence 4h silences the group the message shows, attributed to the principal and the Slack user', async () => {
    const started = Date.now();
    const answer = await send(signSlackInteraction(press('m-silence', SLACK_ACTION_IDS.silence4h), SIGNING_SECRET));
    expect(answer.body).toMatchObject({ outcome: 'silenced', createdBy: 'alice@contoso.com', slackUserId: 'U0ALICE', reused: false });
    const id = (answer.body as { silenceId: string }).silenceId;
    const silence = await store.silences.getSilence(id);
    expect(silence).toMatchObject({ matchers: { cluster: WEB_DEV }, createdBy: 'alice@contoso.com', createdBySlackUserId: 'U0ALICE' });
    expect(silence?.comment).toMatch(/from Slack: alice@contoso.com \(Slack user U0ALICE\) pressed the button/);
    const length = Date.parse(silence!.endsAt) - Date.parse(silence!.startsAt);
    expect(length).toBe(4 * 3_600_000);
    expect(Date.parse(silence!.startsAt)).toBeGreaterThanOrEqual(started - 1000);
    expect(messages.refreshes.at(-1)).toEqual([{ receiver: app.name, messageKey: 'm-silence' }]);
  });

  it('a double click (three signed presses at once) makes one silence', async () => {
    const presses = [0, 1, 2].map(() =>
      signSlackInteraction(press('m-double', SLACK_ACTION_IDS.silence1d, undefined, { actionTs: String(Math.random()) }), SIGNING_SECRET),
    );
    const answers = await Promise.all(presses.map((signed) => send(signed)));
    const ids = new Set(answers.map((answer) => (answer.body as { silenceId: string }).silenceId));
    expect(ids.size).toBe(1);
    expect(answers.filter((answer) => (answer.body as { reused: boolean }).reused === false)).toHaveLength(1);
    const mine = (await store.listSilences()).filter((silence) => ids.has(silence.id));
    expect(mine).toHaveLength(1);
  });

  it('Acknowledge records a Slack acknowledgement of the message’s firing alerts', async () => {
    const answer = await send(signSlackInteraction(press('m-ack', SLACK_ACTION_IDS.acknowledge), SIGNING_SECRET));
    const fingerprint = firing().finding.fingerprint;
    expect(answer.body).toEqual({ outcome: 'acknowledged', fingerprints: [fingerprint], by: 'alice@contoso.com', slackUserId: 'U0ALICE' });
    expect((await acknowledgements.current([fingerprint])).get(fingerprint)).toMatchObject({
      state: 'acknowledged',
      by: 'alice@contoso.com',
      byId: 'U0ALICE',
      source: 'slack',
    });
  });

  it('refuses an unknown button and a value that is not one of ours', async () => {
    const unknown = await send(signSlackInteraction(press('m-sig', 'somebody_elses_button'), SIGNING_SECRET));
    expect(unknown).toEqual({ status: 400, body: { error: expect.stringMatching(/is not a fleetguard button/) } });
    const foreign = await send(
      signSlackInteraction(press('m-sig', SLACK_ACTION_IDS.silence4h, undefined, { value: '{"v":1,"receiver":"other-app","messageKey":"x"}' }), SIGNING_SECRET),
    );
    expect(foreign).toEqual({ status: 400, body: { error: expect.stringMatching(/not a button of a message this Slack app posted/) } });
  });

  it('answers within 3 s while Slack takes 5 s to answer', async () => {
    sink.failNext('slackActions', 1, { status: 200, latencyMs: 5000 });
    sink.failNext('slackApp', 1, { status: 200, latencyMs: 5000 });
    const fresh = { ...deps, members: slackGroupMembers({ post: httpsPost, endpointOverride: sink.url, caPem: sink.caPem }) };
    // A stranger: the group lookup (slow) and the ephemeral refusal (slow) are both on the path.
    const started = performance.now();
    const refused = await send(signSlackInteraction(press('m-slow', SLACK_ACTION_IDS.silence4h, { id: 'U0EVE', name: 'eve' }), SIGNING_SECRET), fresh);
    const refusedMs = performance.now() - started;
    expect(refused.body).toMatchObject({ outcome: 'refused' });
    expect(refusedMs).toBeLessThan(3000);
    // An allowed user: no Slack call at all; the update is queued.
    const okStarted = performance.now();
    const accepted = await send(signSlackInteraction(press('m-slow', SLACK_ACTION_IDS.silence4h), SIGNING_SECRET), fresh);
    expect(accepted.body).toMatchObject({ outcome: 'silenced' });
    expect(performance.now() - okStarted).toBeLessThan(3000);
  });

  it('a press racing a resolve: the silence exists, the resolve is still queued for the channel, the message is refreshed', async () => {
    const config = parseAlertingDocument(
      `receivers: [{ name: chat, type: slack, webhookUrlSetting: SLACK_URL }]\nroutes: [{ name: platform, receiver: chat, groupBy: [cluster] }]`,
      'test',
      { SLACK_URL: SECRETS.SLACK_URL },
    );
    const raceStore = new AlertStore(azuriteTable(uniqueTableName('slackrace')));
    await raceStore.ensureTable();
    const pipeline = new AlertPipeline(config, raceStore);
    const open = firing({ cluster: 'race-1' }).finding;
    messages.records.set(`${app.name}/m-race`, postedMessage('m-race', open));
    await pipeline.enqueue([{ kind: 'opened', next: open, previous: undefined }], new Date());
    const closed = resolved({ cluster: 'race-1' }).finding;
    const [pressed, queued] = await Promise.all([
      send(signSlackInteraction(press('m-race', SLACK_ACTION_IDS.silence4h), SIGNING_SECRET), { alertStore: raceStore, replays: raceStore.slackReplays }),
      pipeline.enqueue([{ kind: 'resolved', next: closed, previous: open }], new Date()),
    ]);
    expect(pressed.body).toMatchObject({ outcome: 'silenced' });
    expect(await raceStore.silences.getSilence((pressed.body as { silenceId: string }).silenceId)).toMatchObject({ matchers: { cluster: open.resourceId } });
    // Silences hold back firing alerts only (planner.ts): the resolve reaches the channel whichever came first.
    expect(queued).toMatchObject({ alerts: 1, silenced: 0, messages: 1 });
    const outbox = await raceStore.allEntries('chat');
    expect(outbox.map((entry) => entry.body).join('\n')).toMatch(/resolved/i);
    expect(messages.refreshes.at(-1)).toEqual([{ receiver: app.name, messageKey: 'm-race' }]);
    // And after the press, a new firing of the group is held back by it.
    expect(await pipeline.enqueue([{ kind: 'opened', next: { ...open, timesOpened: 2 }, previous: closed }], new Date())).toMatchObject({
      silenced: 1,
      messages: 0,
    });
  });
});
