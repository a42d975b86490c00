/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: Adaptive Cards (render.ts) posted
 * to the secret workflow URL. No idempotency key, so at most once.
 */
import { type IncomingWebhookEntry, type IncomingWebhookReceiver, incomingWebhookVendor } from '../incomingWebhook.js';
import { type AlertVendor, retryOn429And5xx } from '../vendor.js';
import { renderTeams, TEAMS_LIMITS } from './render.js';
import { teamsService } from './service.js';

/** Teams Workflows (Power Automate) webhooks; `*.webhook.office.com` are the retiring connectors. */
const HOSTS = ['*.logic.azure.com', '*.environment.api.powerplatform.com', '*.webhook.office.com'];

export type TeamsReceiver = IncomingWebhookReceiver<'teams'>;

export const teams: AlertVendor<'teams', IncomingWebhookEntry<'teams'>, TeamsReceiver> = {
  ...incomingWebhookVendor('teams', HOSTS),
  render: renderTeams,
  budgetBytes: TEAMS_LIMITS.budgetBytes,
  retry: retryOn429And5xx,
  deliveryGuarantee: 'at-most-once',
  service: teamsService,
  example: {
    entry: { name: 'example', type: 'teams', webhookUrlSetting: 'TEAMS_WORKFLOW_URL' },
    settings: { TEAMS_WORKFLOW_URL: 'https://prod-07.westeurope.logic.azure.com/workflows/0example/triggers/manual/paths/invoke?sig=exampleTeamsSig0001' },
    realHost: 'prod-07.westeurope.logic.azure.com',
  },
};
