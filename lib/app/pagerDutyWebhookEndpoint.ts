/**
 * The PagerDuty webhook endpoint's glue: the webhook secrets of the routing document's `pagerduty`
 * receivers, the alert store's acknowledgements and processed-event ids, and the Slack app's
 * message store (`SlackMessagePort`), so Slack messages show the acknowledgement; tests may pass another.
 */
import type { SlackMessagePort } from '../alerts/interactionContract.js';
import {
  handlePagerDutyWebhook,
  PAGERDUTY_EVENT_WINDOW,
  type PagerDutyWebhookAnswer,
  type PagerDutyWebhookRequest,
} from '../alerts/interactions/pagerDutyWebhook.js';
import type { WebhookEventStore } from '../alerts/store/webhookEvents.js';
import type { Secret } from '../secret.js';
import { storedRuntimeForHttp } from './httpApiGuard.js';

export interface PagerDutyEndpointOptions {
  slackMessages?: SlackMessagePort;
  log: { info(message: string): void; warn(message: string): void };
  now?: Date;
}

export async function servePagerDutyWebhook(request: PagerDutyWebhookRequest, options: PagerDutyEndpointOptions): Promise<PagerDutyWebhookAnswer> {
  const runtime = await storedRuntimeForHttp('the alert store is unavailable');
  if ('status' in runtime) return { status: runtime.status, body: runtime.body };
  const { config, clients } = runtime;
  const secrets: Secret[] = [];
  for (const receiver of config.alerts?.receivers.values() ?? []) {
    if (receiver.type === 'pagerduty' && receiver.webhookSecret !== undefined) secrets.push(receiver.webhookSecret);
  }
  if (clients.alertStore === undefined) return { status: 503, body: { error: 'storage is not configured' } };
  await clients.alertStore.ensureTable();
  return handlePagerDutyWebhook(request, {
    secrets,
    acknowledgements: clients.alertStore.acknowledgements,
    events: clients.alertStore.webhookEvents,
    slackMessages: options.slackMessages ?? clients.alertStore.slackMessages,
    now: options.now ?? new Date(),
    log: options.log,
  });
}

/**
 * Processed PagerDuty event ids outlive the accepted window ({@link PAGERDUTY_EVENT_WINDOW}) and no
 * more; the fleetSweep timer deletes older ones. A failure is logged, never fails the sweep.
 */
export async function expirePagerDutyEvents(
  events: Pick<WebhookEventStore, 'expire'>,
  log: { info(message: string): void; warn(message: string): void },
  now = new Date(),
): Promise<void> {
  try {
    const deleted = await events.expire('pagerduty', now, PAGERDUTY_EVENT_WINDOW.behindMs + PAGERDUTY_EVENT_WINDOW.aheadMs);
    if (deleted > 0) log.info(`PagerDuty webhooks: ${deleted} expired processed-event rows deleted`);
  } catch (error) {
    log.warn(`PagerDuty webhooks: expired processed-event rows not deleted this time: ${(error as Error).message}`);
  }
}
