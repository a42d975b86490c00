/**
 * Opsgenie Alert API v2 (limits.ts has the documented contract): one alert per finding, created
 * with our de-duplication key as `alias` and closed by alias on resolve, to the US or EU endpoint.
 * The API key (an API integration's key) goes in the `Authorization: GenieKey` header at send
 * time. Opsgenie de-duplicates creates by alias and a repeated close is harmless, so an
 * interrupted send is resent (at least once).
 */
import { z } from 'zod';

import type { Secret } from '../../../secret.js';
import { MESSAGE_BUDGET } from '../../notifiers/common.js';
import { type AlertVendor, receiverEntry, retryOn429And5xx, settingName } from '../vendor.js';
import { closePath, CREATE_PATH, OPSGENIE_ENDPOINTS, type OpsgenieRegion } from './limits.js';
import { type OpsgenieMessage, renderOpsgenie } from './render.js';
import { opsgenieService } from './service.js';

const schema = receiverEntry('opsgenie', { apiKeySetting: settingName, region: z.enum(['us', 'eu']).default('us') });

export interface OpsgenieReceiver {
  name: string;
  type: 'opsgenie';
  apiKey: Secret;
  region: OpsgenieRegion;
}

export const opsgenie: AlertVendor<'opsgenie', z.output<typeof schema>, OpsgenieReceiver> = {
  name: 'opsgenie',
  schema,
  receiver: (entry, secret) => ({ name: entry.name, type: 'opsgenie', apiKey: secret(entry.apiKeySetting), region: entry.region }),
  destination: { kind: 'vendorEndpoint' },
  endpoints: OPSGENIE_ENDPOINTS,
  render: renderOpsgenie,
  budgetBytes: MESSAGE_BUDGET,
  request(message, receiver) {
    const stored = JSON.parse(message.body) as OpsgenieMessage;
    const path = stored.request === 'close' ? closePath(stored.alias) : CREATE_PATH;
    return {
      url: `${OPSGENIE_ENDPOINTS[receiver.region]}${path}`,
      body: JSON.stringify(stored.body),
      headers: { authorization: `GenieKey ${receiver.apiKey.reveal()}` },
    };
  },
  secrets: (receiver) => [receiver.apiKey],
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-least-once',
  service: opsgenieService,
  example: {
    entry: { name: 'example', type: 'opsgenie', apiKeySetting: 'OPSGENIE_API_KEY', region: 'eu' },
    settings: { OPSGENIE_API_KEY: 'eb243592-faa2-4ba2-a551-1afdf565c889' },
    realHost: 'api.eu.opsgenie.com',
  },
};
