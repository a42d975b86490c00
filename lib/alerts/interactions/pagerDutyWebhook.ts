/**
 * PagerDuty v3 webhooks (`POST /api/pagerduty/webhook`, functions/pagerDutyWebhook.ts): an incident
 * acknowledged, unacknowledged or resolved in PagerDuty is recorded on its finding (who, when, the
 * incident's link) through the `AcknowledgementPort`, and the Slack messages showing the finding are
 * asked to refresh. Order of checks, each refusing before the next costs anything:
 *   1. no receiver names a webhook secret → 404 (the endpoint is off);
 *   2. no `X-PagerDuty-Signature` → 401 before the body is read;
 *   3. the body over PagerDuty's largest webhook (256 KB) → 413;
 *   4. no `v1` signature matching a configured secret (pagerDutySignature.ts) → 401, nothing written;
 *   5. a signed body that is not a v3 envelope → 400;
 *   6. not an incident event we act on, PagerDuty's ping, not our incident → 200, nothing written;
 *   7. stale (see {@link PAGERDUTY_EVENT_WINDOW}) → 200, nothing written;
 *   8. an event id already processed → 200 `duplicate`, nothing written.
 * Refusals after the signature check answer 2xx on purpose: PagerDuty drops a webhook answered 4xx
 * and disables a subscription for 24 h after 3 dropped in a row (developer.pagerduty.com "Webhook
 * Behavior"), and its at-least-once delivery sends genuine duplicates. A store failure answers 503,
 * which PagerDuty retries (up to 5 attempts over about 20 minutes).
 */
import { readRequestBody, type RequestBody } from '../../boundedBody.js';
import { describeError } from '../../errors.js';
import type { Secret } from '../../secret.js';
import type { AcknowledgementPort, SlackMessagePort } from '../interactionContract.js';
import { acknowledgementOf, PAGERDUTY_PING, parsePagerDutyEnvelope } from './pagerDutyEvent.js';
import { verifyPagerDutySignature } from './pagerDutySignature.js';

/**
 * "All webhooks with a final size greater than 256 KB are always dropped" (developer.pagerduty.com
 * "Webhook Behavior", Size Limit): nothing larger can be PagerDuty's.
 */
export const PAGERDUTY_WEBHOOK_MAX_BYTES = 256 * 1024;

/**
 * Which `occurred_at` is accepted. PagerDuty retries a failed delivery for about 20 minutes and
 * queues later webhooks behind it; 3 failures in a row disable the subscription (its queue is
 * dropped), so no genuine webhook arrives much more than an hour late: 2 hours leaves margin. An
 * event further back is stale: a replay of an old signed body, or news too old to show as current.
 * Processed ids are kept as long as an event is accepted, which is what makes the replay check whole.
 * `aheadMs`: PagerDuty's clock and ours may differ a little; further ahead is not a real event.
 */
export const PAGERDUTY_EVENT_WINDOW = { behindMs: 2 * 3_600_000, aheadMs: 5 * 60_000 } as const;

export interface PagerDutyWebhookRequest {
  /** The `X-PagerDuty-Signature` header, or null. */
  signature: string | null;
  body: RequestBody;
}

/** Processed event ids, insert-if-absent (implemented by store/webhookEvents.ts). */
export interface ProcessedEventPort {
  /** False when the id was already recorded. */
  markProcessed(source: 'pagerduty', eventId: string, occurredAt: Date, now: Date): Promise<boolean>;
  unmark(source: 'pagerduty', eventId: string, occurredAt: Date): Promise<void>;
}

export interface PagerDutyWebhookDeps {
  /** The webhook signing secrets of the `pagerduty` receivers that name one (`webhookSecretSetting`). */
  secrets: readonly Secret[];
  acknowledgements: AcknowledgementPort;
  events: ProcessedEventPort;
  /** The Slack app's messages, when the Slack app receiver is wired in: they re-render to show the acknowledgement. */
  slackMessages?: SlackMessagePort;
  now: Date;
  log: { info(message: string): void; warn(message: string): void };
}

export type PagerDutyWebhookStatus = 'processed' | 'duplicate' | 'stale' | 'ignored';

export interface PagerDutyWebhookAnswer {
  status: number;
  body: { status: PagerDutyWebhookStatus; message: string } | { error: string };
}

function refused(status: number, error: string): PagerDutyWebhookAnswer {
  return { status, body: { error } };
}

function answered(status: PagerDutyWebhookStatus, message: string): PagerDutyWebhookAnswer {
  return { status: 200, body: { status, message } };
}

export async function handlePagerDutyWebhook(request: PagerDutyWebhookRequest, deps: PagerDutyWebhookDeps): Promise<PagerDutyWebhookAnswer> {
  if (deps.secrets.length === 0) return refused(404, 'PagerDuty webhooks are not configured (no pagerduty receiver names a webhookSecretSetting)');
  if (request.signature === null || request.signature.trim() === '') {
    deps.log.warn('PagerDuty webhook refused: no X-PagerDuty-Signature header');
    return refused(401, 'missing X-PagerDuty-Signature');
  }
  const read = await readRequestBody(request.body, PAGERDUTY_WEBHOOK_MAX_BYTES);
  if ('tooLarge' in read) return refused(413, read.tooLarge);
  // The body's bytes as sent: readRequestBody decodes UTF-8, which PagerDuty sends ("Verifying
  // Signatures"); a body that was not valid UTF-8 re-encodes differently and fails the check.
  if (!verifyPagerDutySignature(Buffer.from(read.text, 'utf8'), request.signature, deps.secrets)) {
    deps.log.warn('PagerDuty webhook refused: no signature in X-PagerDuty-Signature matches a configured webhook secret');
    return refused(401, 'signature does not match');
  }
  let json: unknown;
  try {
    json = JSON.parse(read.text) as unknown;
  } catch {
    return refused(400, 'body: must be JSON');
  }
  const parsed = parsePagerDutyEnvelope(json);
  if ('error' in parsed) return refused(400, `body: not a PagerDuty v3 webhook: ${parsed.error}`);
  const { event } = parsed.envelope;
  if (event.event_type === PAGERDUTY_PING) return answered('ignored', 'ping received');
  const meaning = acknowledgementOf(parsed.envelope);
  if ('ignored' in meaning) return answered('ignored', meaning.ignored);
  const occurredAt = new Date(Date.parse(event.occurred_at));
  const age = deps.now.getTime() - occurredAt.getTime();
  if (age > PAGERDUTY_EVENT_WINDOW.behindMs || -age > PAGERDUTY_EVENT_WINDOW.aheadMs) {
    deps.log.warn(`PagerDuty webhook ${event.id} (${event.event_type}) is stale: it occurred at ${occurredAt.toISOString()}`);
    return answered('stale', `occurred at ${occurredAt.toISOString()}, outside the accepted window`);
  }
  const { acknowledgement } = meaning;
  try {
    if (!(await deps.events.markProcessed('pagerduty', event.id, occurredAt, deps.now))) {
      deps.log.info(`PagerDuty webhook ${event.id} (${event.event_type}) was already processed`);
      return answered('duplicate', `event ${event.id} was already processed`);
    }
  } catch (error) {
    deps.log.warn(`PagerDuty webhook ${event.id}: ${describeError(error)}`);
    return refused(503, 'the alert store is unavailable; retry later');
  }
  try {
    await deps.acknowledgements.record([acknowledgement]);
  } catch (error) {
    deps.log.warn(`PagerDuty webhook ${event.id}: ${describeError(error)}`);
    // Forgotten, so PagerDuty's retry of this 503 is handled rather than refused as a duplicate.
    await deps.events.unmark('pagerduty', event.id, occurredAt).catch(() => undefined);
    return refused(503, 'the alert store is unavailable; retry later');
  }
  if (deps.slackMessages !== undefined) {
    // The acknowledgement is recorded: a Slack message missing it for a while is not worth PagerDuty's retry.
    await deps.slackMessages.requestRefresh({ fingerprints: [acknowledgement.fingerprint] }, deps.now).catch((error: unknown) => {
      deps.log.warn(`PagerDuty webhook ${event.id}: the Slack messages of finding ${acknowledgement.fingerprint} were not refreshed: ${describeError(error)}`);
    });
  }
  const message = `finding ${acknowledgement.fingerprint} ${acknowledgement.state} by ${acknowledgement.by} at ${acknowledgement.at}`;
  deps.log.info(`PagerDuty webhook ${event.id}: ${message}`);
  return answered('processed', message);
}
