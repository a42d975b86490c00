/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: Adaptive Cards (render.ts) posted
 * to the secret workflow URL. No idempotency key, so at most once.
 */
import type { Secret } from '../../../secret.js';
import { type AlertVendor, receiverEntry, retryOn429And5xx, settingName } from '../vendor.js';
import { renderTeams, TEAMS_LIMITS } from './render.js';
import { teamsService } from './service.js';

/** Teams Workflows (Power Automate) webhooks; `*.webhook.office.com` are the retiring connectors. */
const HOSTS = ['*.logic.azure.com', '*.environment.api.powerplatform.com', '*.webhook.office.com'];

const schema = receiverEntry('teams', { webhookUrlSetting: settingName });

export interface TeamsReceiver {
  name: string;
  type: 'teams';
  url: Secret;
}

export const teams: AlertVendor<'teams', { name: string; type: 'teams'; webhookUrlSetting: string }, TeamsReceiver> = {
  name: 'teams',
  schema,
  receiver: (entry, secret) => ({ name: entry.name, type: 'teams', url: secret(entry.webhookUrlSetting) }),
  destination: {
    kind: 'configuredUrl',
    setting: (entry) => entry.webhookUrlSetting,
    url: (receiver) => receiver.url,
    allowedHosts: () => HOSTS,
    hostNotAllowed: (allowed) => `host is not one of ${allowed.join(', ')}`,
  },
  endpoints: Object.fromEntries(HOSTS.map((host) => [host, `https://${host}`])),
  render: renderTeams,
  budgetBytes: TEAMS_LIMITS.budgetBytes,
  request: (message, receiver) => ({ url: receiver.url.reveal(), body: message.body, headers: {} }),
  secrets: (receiver) => [receiver.url],
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-most-once',
  service: teamsService,
  example: {
    entry: { name: 'example', type: 'teams', webhookUrlSetting: 'TEAMS_WORKFLOW_URL' },
    settings: { TEAMS_WORKFLOW_URL: 'https://prod-07.westeurope.logic.azure.com/workflows/0example/triggers/manual/paths/invoke?sig=exampleTeamsSig0001' },
    realHost: 'prod-07.westeurope.logic.azure.com',
  },
};
