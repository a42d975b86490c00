/**
 * The slack/interactions function as the host invokes it: registered on POST behind a function key
 * (Slack's Request URL carries it as ?code=), and Slack's signature required before anything else.
 * The routing document here has no slackApp receiver (that receiver is the slackapp part of issue 18),
 * so even a well-signed press is refused, naming why; the handler's behaviour with a receiver is
 * test/integration/slackInteractions.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SLACK_ACTION_IDS } from '../../lib/alerts/interactionContract.js';
import { buttonPressPayload, postSlackInteraction, signSlackInteraction } from '../../tooling/simulator/slackInteractions.js';
import { type AppHost, startAppHost } from '../harness/appHost.js';

describe('the slackInteractions function', () => {
  let app: AppHost;
  beforeAll(async () => {
    app = await startAppHost();
  });
  afterAll(() => app.close());

  it('is registered at POST slack/interactions behind a function key', () => {
    expect(app.host.triggerBinding('slackInteractions')[1]).toMatchObject({
      type: 'httpTrigger',
      route: 'slack/interactions',
      methods: ['POST'],
      authLevel: 'function',
    });
  });

  it('refuses unsigned requests, and signed ones when no Slack app with a signing secret is configured', async () => {
    const payload = buttonPressPayload({
      ref: { receiver: 'platform-slack', messageKey: 'm1' },
      actionId: SLACK_ACTION_IDS.silence4h,
      user: { id: 'U0ALICE', name: 'alice' },
      channel: 'C0ALERTS',
      messageTs: '1764500000.000100',
    });
    const signed = signSlackInteraction(payload, 'a-signing-secret');
    const answer = await postSlackInteraction(app.host, signed);
    expect(answer).toMatchObject({ status: 401, body: { error: expect.stringMatching(/no slackApp receiver with a signingSecretSetting is configured/) } });
    const unsigned = await app.host.invokeHttp('slackInteractions', { method: 'POST', path: '/api/slack/interactions', body: signed.body });
    expect(unsigned.status).toBe(401);
  });
});
