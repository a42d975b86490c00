/**
 * Generic webhook: a documented JSON document (render.ts) posted to a URL in `webhookAllowedHosts`,
 * signed at send time with HMAC-SHA256. Receivers de-duplicate by `X-FleetGuard-Delivery`, so an
 * interrupted send is resent (at least once).
 */
import type { Secret } from '../../../secret.js';
import { MESSAGE_BUDGET } from '../../notifiers/common.js';
import { type AlertVendor, receiverEntry, retryOn429And5xx, settingName } from '../vendor.js';
import { renderWebhook, webhookSignature } from './render.js';
import { webhookService } from './service.js';

const schema = receiverEntry('webhook', { urlSetting: settingName, hmacKeySetting: settingName });

export interface WebhookReceiver {
  name: string;
  type: 'webhook';
  url: Secret;
  hmacKey: Secret;
}

export const webhook: AlertVendor<'webhook', { name: string; type: 'webhook'; urlSetting: string; hmacKeySetting: string }, WebhookReceiver> = {
  name: 'webhook',
  schema,
  receiver: (entry, secret) => ({ name: entry.name, type: 'webhook', url: secret(entry.urlSetting), hmacKey: secret(entry.hmacKeySetting) }),
  destination: {
    kind: 'configuredUrl',
    setting: (entry) => entry.urlSetting,
    url: (receiver) => receiver.url,
    allowedHosts: (context) => context.webhookAllowedHosts,
    hostNotAllowed: () => 'host is not in webhookAllowedHosts',
  },
  // The routing document's `webhookAllowedHosts`: there is no vendor host.
  endpoints: {},
  render: renderWebhook,
  budgetBytes: MESSAGE_BUDGET,
  request(message, receiver, now) {
    const timestamp = Math.floor(now.getTime() / 1000);
    return {
      url: receiver.url.reveal(),
      body: message.body,
      headers: {
        'x-fleetguard-delivery': message.deliveryId,
        'x-fleetguard-timestamp': String(timestamp),
        'x-fleetguard-signature': webhookSignature(receiver.hmacKey.reveal(), timestamp, message.body),
      },
    };
  },
  secrets: (receiver) => [receiver.url, receiver.hmacKey],
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-least-once',
  service: webhookService,
  example: {
    entry: { name: 'example', type: 'webhook', urlSetting: 'SIEM_URL', hmacKeySetting: 'SIEM_HMAC_KEY' },
    settings: { SIEM_URL: 'https://siem.contoso.com/fleet?token=exampleHookToken0001', SIEM_HMAC_KEY: 'exampleHmacKey0123456789abcdef' },
    webhookAllowedHosts: ['siem.contoso.com'],
    realHost: 'siem.contoso.com',
  },
};
