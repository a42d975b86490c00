/**
 * Slack incoming webhooks: Block Kit messages (render.ts) posted to the secret webhook URL. Slack
 * has no idempotency key, so a message whose send was interrupted is not resent (at most once).
 */
import { MESSAGE_BUDGET } from '../../notifiers/common.js';
import { type IncomingWebhookEntry, type IncomingWebhookReceiver, incomingWebhookVendor } from '../incomingWebhook.js';
import { type AlertVendor, retryOn429And5xx } from '../vendor.js';
import { renderSlack } from './render.js';
import { slackService } from './service.js';

/** Incoming-webhook hosts, commercial and GovSlack (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks). */
const HOSTS = ['hooks.slack.com', 'hooks.slack-gov.com'];

export type SlackReceiver = IncomingWebhookReceiver<'slack'>;

export const slack: AlertVendor<'slack', IncomingWebhookEntry<'slack'>, SlackReceiver> = {
  ...incomingWebhookVendor('slack', HOSTS),
  render: renderSlack,
  budgetBytes: MESSAGE_BUDGET,
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-most-once',
  service: slackService,
  example: {
    entry: { name: 'example', type: 'slack', webhookUrlSetting: 'SLACK_WEBHOOK_URL' },
    settings: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0EXAMPLE/B0EXAMPLE/exampleSlackToken0001' },
    realHost: 'hooks.slack.com',
  },
};
