/**
 * Slack incoming webhooks: Block Kit messages (render.ts) posted to the secret webhook URL. Slack
 * has no idempotency key, so a message whose send was interrupted is not resent (at most once).
 */
import type { Secret } from '../../../secret.js';
import { MESSAGE_BUDGET } from '../../notifiers/common.js';
import { type AlertVendor, receiverEntry, retryOn429And5xx, settingName } from '../vendor.js';
import { renderSlack } from './render.js';
import { slackService } from './service.js';

/** Incoming-webhook hosts, commercial and GovSlack (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks). */
const HOSTS = ['hooks.slack.com', 'hooks.slack-gov.com'];

const schema = receiverEntry('slack', { webhookUrlSetting: settingName });

export interface SlackReceiver {
  name: string;
  type: 'slack';
  url: Secret;
}

export const slack: AlertVendor<'slack', { name: string; type: 'slack'; webhookUrlSetting: string }, SlackReceiver> = {
  name: 'slack',
  schema,
  receiver: (entry, secret) => ({ name: entry.name, type: 'slack', url: secret(entry.webhookUrlSetting) }),
  destination: {
    kind: 'configuredUrl',
    setting: (entry) => entry.webhookUrlSetting,
    url: (receiver) => receiver.url,
    allowedHosts: () => HOSTS,
    hostNotAllowed: (allowed) => `host is not one of ${allowed.join(', ')}`,
  },
  endpoints: Object.fromEntries(HOSTS.map((host) => [host, `https://${host}`])),
  render: renderSlack,
  budgetBytes: MESSAGE_BUDGET,
  request: (message, receiver) => ({ url: receiver.url.reveal(), body: message.body, headers: {} }),
  secrets: (receiver) => [receiver.url],
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-most-once',
  service: slackService,
  example: {
    entry: { name: 'example', type: 'slack', webhookUrlSetting: 'SLACK_WEBHOOK_URL' },
    settings: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0EXAMPLE/B0EXAMPLE/exampleSlackToken0001' },
    realHost: 'hooks.slack.com',
  },
};
