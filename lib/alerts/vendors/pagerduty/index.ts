/**
 * PagerDuty Events API v2: one event per alert (render.ts), the routing key added at send time so
 * the outbox never holds it. PagerDuty de-duplicates by `dedup_key`, so an interrupted send is
 * resent (at least once).
 */
import type { Secret } from '../../../secret.js';
import { MESSAGE_BUDGET } from '../../notifiers/common.js';
import { type AlertVendor, receiverEntry, retryOn429And5xx, settingName } from '../vendor.js';
import { renderPagerDuty } from './render.js';
import { PAGERDUTY_EVENTS_PATH, pagerDutyService } from './service.js';

/** developer.pagerduty.com/docs/events-api-v2/trigger-events: `POST https://events.pagerduty.com/v2/enqueue`. */
export const PAGERDUTY_EVENTS_URL = `https://events.pagerduty.com${PAGERDUTY_EVENTS_PATH}`;

/**
 * `webhookSecretSetting` (optional) names the app setting holding the signing secret of the
 * PagerDuty v3 webhook subscription that reports this service's incidents back to us
 * (interactions/pagerDutyWebhook.ts); without it, webhooks are not accepted for this receiver.
 */
const schema = receiverEntry('pagerduty', { routingKeySetting: settingName, webhookSecretSetting: settingName.optional() });

export interface PagerDutyReceiver {
  name: string;
  type: 'pagerduty';
  routingKey: Secret;
  /** The v3 webhook subscription's signing secret, when the receiver names one. */
  webhookSecret?: Secret;
}

type PagerDutyEntry = { name: string; type: 'pagerduty'; routingKeySetting: string; webhookSecretSetting?: string | undefined };

export const pagerduty: AlertVendor<'pagerduty', PagerDutyEntry, PagerDutyReceiver> = {
  name: 'pagerduty',
  schema,
  receiver: (entry, secret) => ({
    name: entry.name,
    type: 'pagerduty',
    routingKey: secret(entry.routingKeySetting),
    ...(entry.webhookSecretSetting === undefined ? {} : { webhookSecret: secret(entry.webhookSecretSetting) }),
  }),
  destination: { kind: 'vendorEndpoint' },
  endpoints: { default: PAGERDUTY_EVENTS_URL },
  render: renderPagerDuty,
  budgetBytes: MESSAGE_BUDGET,
  request: (message, receiver) => ({
    url: PAGERDUTY_EVENTS_URL,
    body: JSON.stringify({ ...(JSON.parse(message.body) as Record<string, unknown>), routing_key: receiver.routingKey.reveal() }),
    headers: {},
  }),
  secrets: (receiver) => (receiver.webhookSecret === undefined ? [receiver.routingKey] : [receiver.routingKey, receiver.webhookSecret]),
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-least-once',
  service: pagerDutyService,
  example: {
    entry: { name: 'example', type: 'pagerduty', routingKeySetting: 'PAGERDUTY_ROUTING_KEY' },
    settings: { PAGERDUTY_ROUTING_KEY: 'examplePagerDutyRoutingKey00000001' },
    realHost: 'events.pagerduty.com',
  },
};
