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

const schema = receiverEntry('pagerduty', { routingKeySetting: settingName });

export interface PagerDutyReceiver {
  name: string;
  type: 'pagerduty';
  routingKey: Secret;
}

export const pagerduty: AlertVendor<'pagerduty', { name: string; type: 'pagerduty'; routingKeySetting: string }, PagerDutyReceiver> = {
  name: 'pagerduty',
  schema,
  receiver: (entry, secret) => ({ name: entry.name, type: 'pagerduty', routingKey: secret(entry.routingKeySetting) }),
  destination: { kind: 'vendorEndpoint' },
  endpoints: { default: PAGERDUTY_EVENTS_URL },
  render: renderPagerDuty,
  budgetBytes: MESSAGE_BUDGET,
  request: (message, receiver) => ({
    url: PAGERDUTY_EVENTS_URL,
    body: JSON.stringify({ ...(JSON.parse(message.body) as Record<string, unknown>), routing_key: receiver.routingKey.reveal() }),
    headers: {},
  }),
  secrets: (receiver) => [receiver.routingKey],
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-least-once',
  service: pagerDutyService,
  example: {
    entry: { name: 'example', type: 'pagerduty', routingKeySetting: 'PAGERDUTY_ROUTING_KEY' },
    settings: { PAGERDUTY_ROUTING_KEY: 'examplePagerDutyRoutingKey00000001' },
    realHost: 'events.pagerduty.com',
  },
};
