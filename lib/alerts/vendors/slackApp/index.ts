/**
 * Slack as an app (beside incoming webhooks, ../slack/): chat.postMessage with a bot token, one
 * message per alert group that updates itself (chat.update on a resolve or a change), repeats in
 * its thread, and Silence and Acknowledge buttons when the receiver verifies Slack's signing secret
 * (the interaction handler, ../../interactions/, reads this receiver as `SlackAppInteractivity`).
 * Requests are resolved at send time (steps.ts) from the message records (store/slackMessages.ts),
 * since a message's `ts` is only known once it is posted; Slack's `ok: false` answers are read by
 * api.ts. chat.postMessage has no idempotency key, so an interrupted send is not resent (at most
 * once); chat.update is idempotent, and a failed one is retried until applied.
 */
import { z } from 'zod';

import type { SlackAppInteractivity } from '../../interactionContract.js';
import { MESSAGE_BUDGET } from '../../notifiers/common.js';
import { type AlertVendor, receiverEntry, retryOn429And5xx, settingName } from '../vendor.js';
import { SLACK_API_BASES } from './api.js';
import type { NotifyIntent } from './render.js';
import { renderSlackAppIntents } from './render.js';
import { slackAppService } from './service.js';
import { answeredStep, firstPost, nextStep } from './steps.js';

const actor = z
  .object({
    slackUserId: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id such as U0123ABC')
      .optional(),
    slackGroupId: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id such as S0456DEF')
      .optional(),
    principal: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((entry) => (entry.slackUserId === undefined) !== (entry.slackGroupId === undefined), 'names exactly one of slackUserId or slackGroupId');

const schema = receiverEntry('slackApp', {
  botTokenSetting: settingName,
  /** A channel id (chat.update needs ids; names can change). The app must be a member of it. */
  channel: z.string().regex(/^[CG][A-Z0-9]{6,}$/, 'must be a Slack channel id such as C0123456789'),
  signingSecretSetting: settingName.optional(),
  allowedActors: z.array(actor).default([]),
  /** GovSlack workspaces (slack-gov.com). */
  govSlack: z.boolean().default(false),
});

export interface SlackAppReceiver extends SlackAppInteractivity {
  govSlack: boolean;
}

export const slackApp: AlertVendor<'slackApp', z.output<typeof schema>, SlackAppReceiver> = {
  name: 'slackApp',
  schema,
  receiver: (entry, secret): SlackAppReceiver => ({
    name: entry.name,
    type: 'slackApp',
    botToken: secret(entry.botTokenSetting),
    channel: entry.channel,
    signingSecret: entry.signingSecretSetting === undefined ? undefined : secret(entry.signingSecretSetting),
    allowedActors: entry.allowedActors,
    govSlack: entry.govSlack,
  }),
  destination: { kind: 'vendorEndpoint' },
  endpoints: SLACK_API_BASES,
  render: renderSlackAppIntents,
  budgetBytes: MESSAGE_BUDGET,
  /** Without the message records: the group's first post (the drain uses `steps`). */
  request: (message, receiver) => firstPost(JSON.parse(message.body) as NotifyIntent, receiver),
  secrets: (receiver) => [receiver.botToken, ...(receiver.signingSecret === undefined ? [] : [receiver.signingSecret])],
  // HTTP statuses as every vendor; Slack's `ok: false` answers are read by `steps.answered` (api.ts).
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-most-once',
  service: slackAppService,
  steps: { next: nextStep, answered: answeredStep },
  example: {
    entry: {
      name: 'example',
      type: 'slackApp',
      botTokenSetting: 'SLACK_BOT_TOKEN',
      channel: 'C0EXAMPLE01',
      signingSecretSetting: 'SLACK_SIGNING_SECRET',
      allowedActors: [{ slackUserId: 'U0EXAMPLE1', principal: 'alice@contoso.com' }, { slackGroupId: 'S0EXAMPLE2' }],
    },
    settings: { SLACK_BOT_TOKEN: 'xoxb-000000000000-0000000000000-exampleBotToken0001', SLACK_SIGNING_SECRET: 'exampleSigningSecret0123456789abcdef' },
    realHost: 'slack.com',
  },
};
