/**
 * Sends what the outbox holds. Per receiver, messages go out in creation order: a message waiting
 * for a retry holds back the ones after it. Every attempt is recorded before the request (the
 * claim) and its result after it, with ETag-conditional writes so two drains never send the same
 * claimed message.
 *
 * Delivery guarantee, exactly, as each vendor declares it (`deliveryGuarantee` in
 * `vendors/<name>/index.ts`):
 * - at least once (PagerDuty, Opsgenie, generic webhooks): if a drain dies between sending and
 *   recording, the next drain (after the claim's lease) sends again; the vendor de-duplicates
 *   (PagerDuty by `dedup_key`, Opsgenie by `alias`, webhook receivers by `X-FleetGuard-Delivery`).
 * - at most once (Slack, Teams: no idempotency key) inside that window. A message whose attempt
 *   was claimed but never recorded is marked `uncertain` and not resent (it was most likely sent;
 *   resending would post it twice). Outside that window (failures the drain saw), delivery is
 *   retried until it succeeds or `maxAttempts` is reached, then recorded as failed.
 * - What is retried is the vendor's `retry` classification (429 and 5xx for every vendor today)
 *   and no answer, with exponential back-off and jitter, never sooner than the receiver's
 *   Retry-After; other statuses are permanent and recorded with the response.
 */
import pLimit from 'p-limit';

import { describeError } from '../errors.js';
import { scrubSecrets } from '../secret.js';
import type { AlertingConfig, AlertReceiver } from './alertingConfig.js';
import type { AlertStore, OutboxEntry } from './alertStore.js';
import type { HttpAnswer, HttpPost } from './transport.js';
import { type AnyVendor, vendorOf } from './vendors/index.js';
import type { OutgoingRequest } from './vendors/vendor.js';

export interface DrainOptions {
  now: () => Date;
  /** Receivers drained at the same time. */
  concurrency: number;
  /** How long a claimed attempt may run before another drain treats it as interrupted. */
  leaseMs: number;
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  random: () => number;
  /**
   * Total deadline of one send (connect, headers and body; transport.ts): a stalled receiver costs
   * this once per drain, then its message waits for a retry and the receiver is left for this drain.
   */
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

/**
 * The vendor's request for an entry. With an endpoint override (the local sink) the path names the
 * vendor and receiver, never a secret URL's path; a vendor endpoint's own path is kept after it.
 */
function buildRequest(entry: OutboxEntry, vendor: AnyVendor, receiver: AlertReceiver, options: DrainOptions): OutgoingRequest {
  const request = vendor.request({ body: entry.body, deliveryId: entry.deliveryId }, receiver, options.now());
  if (options.endpointOverride === undefined) return request;
  const real = new URL(request.url);
  const kept = vendor.destination.kind === 'vendorEndpoint' ? `${real.pathname}${real.search}` : '';
  return { ...request, url: `${options.endpointOverride}/${vendor.name}/${encodeURIComponent(receiver.name)}${kept}` };
}

function backoffMs(attempts: number, answer: HttpAnswer, options: DrainOptions): number {
  const exponential = Math.min(options.backoff.maxMs, options.backoff.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = exponential * (0.5 + options.random() / 2);
  return Math.max(jittered, (answer.retryAfterSeconds ?? 0) * 1000);
}

async function drainReceiver(store: AlertStore, receiver: AlertReceiver, post: HttpPost, options: DrainOptions, result: DrainResult): Promise<void> {
  const vendor = vendorOf(receiver);
  const atLeastOnce = vendor.deliveryGuarantee === 'at-least-once';
  for await (const entry of store.activeEntries(receiver.name)) {
    const now = options.now();
    let interrupted = false;
    if (entry.status === 'sending') {
      if (now.getTime() - Date.parse(entry.attemptStartedAt) < options.leaseMs) return;
      if (!atLeastOnce) {
        const marked = await store.update(entry, {
          status: 'uncertain',
          lastError: 'a drain stopped between sending and recording; not resent, to avoid a duplicate',
        });
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
    const request = buildRequest(claimed, vendor, receiver, options);
    const answer = await post(request.url, request.body, {
      headers: request.headers,
      timeoutMs: options.timeoutMs,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      // The local sink listens on loopback; every real destination must be a public address.
      ...(options.endpointOverride === undefined ? {} : { allowPrivateAddresses: true }),
    });
    const finished = options.now().toISOString();
    const response = scrubSecrets(answer.error ?? answer.body, vendor.secrets(receiver)).slice(0, 1000);
    if (answer.status >= 200 && answer.status < 300) {
      await store.update(claimed, { status: 'sent', sentAt: finished, lastStatus: answer.status, lastError: '' });
      result.sent += 1;
      continue;
    }
    const retryable = answer.refusedDestination !== true && (answer.status === 0 || vendor.retry(answer.status) === 'retry');
    if (!retryable || claimed.attempts >= options.maxAttempts) {
      await store.update(claimed, {
        status: 'failed',
        lastStatus: answer.status,
        lastError: `${retryable ? `gave up after ${claimed.attempts} attempts: ` : 'permanent: '}${response}`,
      });
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
