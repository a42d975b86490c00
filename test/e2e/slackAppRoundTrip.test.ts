/**
 * Issue 18 end to end through the registered functions, wired as deployed: the fleetSweep timer
 * finds the sample fleet's critical findings on one cluster, the alertDrain timer posts one Slack app message
 * (chat.postMessage to the sink's Slack workspace) and pages PagerDuty; a signed *Silence 4h*
 * press reaches `POST /api/slack/interactions` and a signed `incident.acknowledged` reaches
 * `POST /api/pagerduty/webhook`; each is answered at once and the next drain edits the same Slack
 * message in place (chat.update) to show who silenced it until when and who acknowledged it. The
 * stores behind both endpoints are the app's own (the alert table's message and acknowledgement
 * stores), not test doubles. The function's registration and its refusals through the host are here
 * too (one app host for the file); the handler's every refusal is test/integration/slackInteractions.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SLACK_ACTION_IDS } from '../../lib/alerts/interactionContract.js';
import { pagerDutyWebhooksFor } from '../../tooling/simulator/pagerDutyWebhooks.js';
import { buttonPressPayload, postSlackInteraction, signSlackInteraction } from '../../tooling/simulator/slackInteractions.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { SECRETS } from '../harness/alerts.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';
import { uniqueTableName } from '../harness/tables.js';

const CHANNEL = 'C0E2EALERTS';
const SIGNING_SECRET = 'e2eSlackSigningSecret-000000000000001';
const PD_WEBHOOK_SECRET = 'pdWebhookSigningSecret-e2e-slackapp-01';
// The sample fleet's legacy-reporting cluster, alone in its subscription, has the critical findings one message shows.
const LEGACY_SUBSCRIPTION = '33333333-3333-3333-3333-333333333333';
const ROUTES = `
receivers:
  - name: platform-slack
    type: slackApp
    botTokenSetting: SLACK_BOT_TOKEN
    channel: ${CHANNEL}
    signingSecretSetting: SLACK_SIGNING_SECRET
    allowedActors: [{ slackUserId: U0ALICE, principal: alice@contoso.com }]
  - { name: pager, type: pagerduty, routingKeySetting: PD_KEY, webhookSecretSetting: PD_WEBHOOK_SECRET }
routes:
  - { name: slack-critical, receiver: platform-slack, match: { minSeverity: critical, subscriptions: [${LEGACY_SUBSCRIPTION}] }, groupBy: [cluster], continue: true }
  - { name: page, receiver: pager, match: { minSeverity: critical, subscriptions: [${LEGACY_SUBSCRIPTION}] } }
`;

describe('Slack app and PagerDuty round trip through the registered functions', () => {
  let sink: RunningSink;
  let app: AppHost;

  beforeAll(async () => {
    sink = await startWebhookSink();
    sink.slack.addChannel(CHANNEL);
    app = await startAppHost({
      FLEETGUARD_FINDINGS_TABLE: uniqueTableName('safind'),
      FLEETGUARD_SWEEPS_TABLE: uniqueTableName('sasweep'),
      FLEETGUARD_ALERT_ROUTES: ROUTES,
      FLEETGUARD_ALERT_ENDPOINT: sink.url,
      SLACK_BOT_TOKEN: 'xoxb-000000000000-0000000000000-e2eNotARealBotToken',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      PD_KEY: SECRETS.PD_KEY,
      PD_WEBHOOK_SECRET,
    });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.close();
  });

  const messages = () => sink.slack.channels.get(CHANNEL)?.messages ?? [];

  it("registers POST slack/interactions behind a function key (Slack's Request URL carries it as ?code=)", () => {
    expect(app.host.triggerBinding('slackInteractions')[1]).toMatchObject({
      type: 'httpTrigger',
      route: 'slack/interactions',
      methods: ['POST'],
      authLevel: 'function',
    });
  });

  it('refuses an unsigned press and one signed with another secret with 401, changing nothing', async () => {
    const payload = buttonPressPayload({
      ref: { receiver: 'platform-slack', messageKey: 'm1' },
      actionId: SLACK_ACTION_IDS.silence4h,
      user: { id: 'U0ALICE', name: 'alice' },
      channel: CHANNEL,
      messageTs: '1764500000.000100',
    });
    const wrong = signSlackInteraction(payload, 'not-the-signing-secret');
    expect(await postSlackInteraction(app.host, wrong)).toMatchObject({
      status: 401,
      body: { error: expect.stringMatching(/does not match the signing secret/) },
    });
    const unsigned = await app.host.invokeHttp('slackInteractions', { method: 'POST', path: '/api/slack/interactions', body: wrong.body });
    expect(unsigned.status).toBe(401);
  });
  const shownText = (blocks: unknown) => JSON.stringify(blocks);

  it('posts one message, then edits it in place to show a silence from a button and an acknowledgement from PagerDuty', async () => {
    await app.host.invokeTimer('fleetSweep');
    await app.host.invokeTimer('alertDrain');
    expect(messages()).toHaveLength(1);
    const [message] = messages();
    if (message === undefined) throw new Error('no Slack message was posted');
    const buttons = JSON.stringify(message.blocks);
    expect(buttons).toContain(SLACK_ACTION_IDS.silence4h);
    // The button's value names the stored record the press acts on.
    const value = /"action_id":"fleetguard_silence_4h","value":"((?:[^"\\]|\\.)*)"/.exec(buttons)?.[1];
    if (value === undefined) throw new Error('the message has no Silence 4h button value');

    const press = buttonPressPayload({
      ref: { receiver: 'platform-slack', messageKey: 'unused' },
      value: JSON.parse(`"${value}"`) as string,
      actionId: SLACK_ACTION_IDS.silence4h,
      user: { id: 'U0ALICE', name: 'alice' },
      channel: CHANNEL,
      messageTs: message.ts,
    });
    const answer = await postSlackInteraction(app.host, signSlackInteraction(press, SIGNING_SECRET));
    expect(answer).toMatchObject({ status: 200, body: { outcome: 'silenced', createdBy: 'alice@contoso.com', slackUserId: 'U0ALICE' } });
    expect(message.edits).toHaveLength(0);

    await app.host.invokeTimer('alertDrain');
    expect(messages()).toHaveLength(1);
    expect(message.edits).toHaveLength(1);
    expect(shownText(message.blocks)).toMatch(/silenced by alice@\S*contoso\.com until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

    const pagerDuty = pagerDutyWebhooksFor(sink, app.host, [PD_WEBHOOK_SECRET]);
    const [key] = pagerDuty.openKeys();
    if (key === undefined) throw new Error('the sweep opened no PagerDuty incident');
    expect(await pagerDuty.send('incident.acknowledged', key, { id: 'PALICE1', summary: 'Alice Oncall' })).toMatchObject({ status: 200 });
    await app.host.invokeTimer('alertDrain');
    expect(message.edits).toHaveLength(2);
    expect(shownText(message.blocks)).toMatch(/acknowledged by Alice Oncall in PagerDuty at /);
    expect(messages()).toHaveLength(1);
  });
});
