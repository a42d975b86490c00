/**
 * Sends what the outbox holds. Per receiver, messages go out in creation order: a message waiting
 * for a retry holds back the ones after it. Every attempt is recorded before the request (the
 * claim) and its result after it, with ETag-conditional writes so two drains never send the same
 * claimed message.
 *
 * Delivery guarantee, exactly:
 * - PagerDuty and generic webhooks: at least once. If a drain dies between sending and recording,
 *   the next drain (after the claim's lease) sends again; PagerDuty de-duplicates by `dedup_key`,
 *   webhook receivers by `X-FleetGuard-Delivery`.
 * - Slack and Teams have no idempotency key: at most once inside that window. A message whose
 *   attempt was claimed but never recorded is marked `uncertain` and not resent (it was most likely
 *   sent; resending would post it twice). Outside that window (failures the drain saw), delivery is
 *   retried until it succeeds or `maxAttempts` is reached.
 * - 429, 5xx and no answer are retried with exponential back-off and jitter, never sooner than the
 *   receiver's Retry-After; other 4xx are permanent and recorded with the response.
 */
import pLimit from 'p-limit';

import { describeError, isRetryableReason, reasonFromStatus } from '../errors.js';
import { scrubSecrets, type Secret } from '../secret.js';
import type { AlertingConfig, AlertReceiver } from './alertingConfig.js';
import type { AlertStore, OutboxEntry } from './alertStore.js';
import { PAGERDUTY_EVENTS_URL } from './destinations.js';
import { webhookSignature } from './notifiers/webhook.js';
import type { HttpAnswer, HttpPost } from './transport.js';

export interface DrainOptions {
  now: () => Date;
  /** Receivers drained at the same time. */
  concurrency: number;
  /** How long a claimed attempt may run before another drain treats it as interrupted. */
  leaseMs: number;
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  random: () => number;
  timeoutMs: number;
  /** Simulator only: send everything to this local sink. */
  endpointOverride?: string;
  /** CA to trust for the local sink. */
  caPem?: string;
}

export const DEFAULT_DRAIN_OPTIONS: Omit<DrainOptions, 'now'> = {
  concurrency: 4,
  leaseMs: 120_000,
  maxAttempts: 12,
  backoff: { baseMs: 30_000, maxMs: 3_600_000 },
  random: Math.random,
  timeoutMs: 10_000,
};

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  uncertain: number;
  /** Interrupted attempts sent again (at-least-once receivers). */
  resent: number;
  errors: string[];
}

interface OutgoingRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

function secretsOf(receiver: AlertReceiver): Secret[] {
  switch (receiver.type) {
    case 'pagerduty':
      return [receiver.routingKey];
    case 'webhook':
      return [receiver.url, receiver.hmacKey];
    default:
      return [receiver.url];
  }
}

function buildRequest(entry: OutboxEntry, receiver: AlertReceiver, options: DrainOptions): OutgoingRequest {
  let url: string;
  let body = entry.body;
  const headers: Record<string, string> = {};
  switch (receiver.type) {
    case 'pagerduty':
      url = PAGERDUTY_EVENTS_URL;
      body = JSON.stringify({ ...(JSON.parse(entry.body) as Record<string, unknown>), routing_key: receiver.routingKey.reveal() });
      break;
    case 'webhook': {
      url = receiver.url.reveal();
      const timestamp = Math.floor(options.now().getTime() / 1000);
      headers['x-fleetguard-delivery'] = entry.deliveryId;
      headers['x-fleetguard-timestamp'] = String(timestamp);
      headers['x-fleetguard-signature'] = webhookSignature(receiver.hmacKey.reveal(), timestamp, body);
      break;
    }
    default:
      url = receiver.url.reveal();
  }
  // The sink path names the kind and receiver, never the secret URL path.
  if (options.endpointOverride !== undefined) url = `${options.endpointOverride}/${receiver.type}/${encodeURIComponent(receiver.name)}`;
  return { url, body, headers };
}

function backoffMs(attempts: number, answer: HttpAnswer, options: DrainOptions): number {
  const exponential = Math.min(options.backoff.maxMs, options.backoff.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = exponential * (0.5 + options.random() / 2);
  return Math.max(jittered, (answer.retryAfterSeconds ?? 0) * 1000);
}

async function drainReceiver(store: AlertStore, receiver: AlertReceiver, post: HttpPost, options: DrainOptions, result: DrainResult): Promise<void> {
  const atLeastOnce = receiver.type === 'pagerduty' || receiver.type === 'webhook';
  for await (const entry of store.activeEntries(receiver.name)) {
    const now = options.now();
    let interrupted = false;
    if (entry.status === 'sending') {
      if (now.getTime() - Date.parse(entry.attemptStartedAt) < options.leaseMs) return;
      if (!atLeastOnce) {
        const marked = await store.update(entry, { status: 'uncertain', lastError: 'a drain stopped between sending and recording; not resent, to avoid a duplicate' });
        if (marked === undefined) return;
        result.uncertain += 1;
        continue;
      }
      interrupted = true;
    } else if (Date.parse(entry.nextAttemptAt) > now.getTime()) {
      return;
    }
    const claimed = await store.update(entry, { status: 'sending', attempts: entry.attempts + 1, attemptStartedAt: now.toISOString() });
    if (claimed === undefined) return;
    if (interrupted) result.resent += 1;
    const request = buildRequest(claimed, receiver, options);
    const answer = await post(request.url, request.body, { headers: request.headers, timeoutMs: options.timeoutMs,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      // The local sink listens on loopback; every real destination must be a public address.
      ...(options.endpointOverride === undefined ? {} : { allowPrivateAddresses: true }),
    });
    const finished = options.now().toISOString();
    const response = scrubSecrets(answer.error ?? answer.body, secretsOf(receiver)).slice(0, 1000);
    if (answer.status >= 200 && answer.status < 300) {
      await store.update(claimed, { status: 'sent', sentAt: finished, lastStatus: answer.status, lastError: '' });
      result.sent += 1;
      continue;
    }
    const retryable = answer.refusedDestination !== true && (answer.status === 0 || isRetryableReason(reasonFromStatus(answer.status)));
    if (!retryable || claimed.attempts >= options.maxAttempts) {
      await store.update(claimed, { status: 'failed', lastStatus: answer.status, lastError: `${retryable ? `gave up after ${claimed.attempts} attempts: ` : 'permanent: '}${response}` });
      result.failed += 1;
      continue;
    }
    const nextAttemptAt = new Date(options.now().getTime() + backoffMs(claimed.attempts, answer, options)).toISOString();
    await store.update(claimed, { status: 'retrying', nextAttemptAt, lastStatus: answer.status, lastError: response });
    result.retried += 1;
    // Keep this receiver's order: nothing after a message that waits for its retry.
    return;
  }
}

export async function drainOutbox(store: AlertStore, config: AlertingConfig, post: HttpPost, options: DrainOptions): Promise<DrainResult> {
  const result: DrainResult = { sent: 0, retried: 0, failed: 0, uncertain: 0, resent: 0, errors: [] };
  const limit = pLimit(options.concurrency);
  await Promise.all(
    [...config.receivers.values()].map((receiver) =>
      limit(async () => {
        try {
          await drainReceiver(store, receiver, post, options, result);
        } catch (error) {
          // One receiver's storage trouble must not stop the others; its messages stay in the outbox.
          result.errors.push(`receiver ${receiver.name}: ${describeError(error)}`);
        }
      }),
    ),
  );
  return result;
}
