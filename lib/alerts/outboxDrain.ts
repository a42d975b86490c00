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
 * - A vendor with send-time steps (`AlertVendor.steps`, the Slack app) builds each request when it
 *   is sent and reads every answer itself (Slack answers HTTP 200 with `ok: false`); one outbox
 *   message may take several requests (update a message, then reply in its thread), each applied
 *   and recorded (the message's body then names the steps left) before the next. A retry resumes
 *   at the step that failed.
 */
import pLimit from 'p-limit';

import { describeError } from '../errors.js';
import { scrubSecrets } from '../secret.js';
import type { AlertingConfig, AlertReceiver } from './alertingConfig.js';
import type { AlertStore } from './alertStore.js';
import type { HttpAnswer, HttpPost } from './transport.js';
import { type AnyVendor, vendorOf } from './vendors/index.js';
import type { OutgoingRequest, SendStep } from './vendors/vendor.js';

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
  /** Waits between paced requests (`SendStep.pace`); tests pass a virtual clock's. */
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_DRAIN_OPTIONS: Omit<DrainOptions, 'now'> = {
  concurrency: 4,
  leaseMs: 120_000,
  maxAttempts: 12,
  backoff: { baseMs: 30_000, maxMs: 3_600_000 },
  random: Math.random,
  timeoutMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
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
 * The request as sent. With an endpoint override (the local sink) the path names the vendor and
 * receiver, never a secret URL's path; a vendor endpoint's own path is kept after it.
 */
function overridden(request: OutgoingRequest, vendor: AnyVendor, receiver: AlertReceiver, options: DrainOptions): OutgoingRequest {
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

/** What one attempt came to: sent, another step of the same message, a retry, or a permanent failure. */
type Verdict = { kind: 'sent' } | { kind: 'more'; body: string } | { kind: 'retry' | 'give-up'; error: string };

/** The classification by HTTP status alone (every vendor without send-time steps). */
function statusVerdict(vendor: AnyVendor, answer: HttpAnswer, response: string): Verdict {
  if (answer.status >= 200 && answer.status < 300) return { kind: 'sent' };
  const retryable = answer.refusedDestination !== true && (answer.status === 0 || vendor.retry(answer.status) === 'retry');
  return { kind: retryable ? 'retry' : 'give-up', error: response };
}

/** Per-drain spacing of paced requests (`SendStep.pace`): when each key last went out. */
type PaceClock = Map<string, number>;

async function paced(step: SendStep, clock: PaceClock, options: DrainOptions): Promise<void> {
  if (step.pace === undefined) return;
  const last = clock.get(step.pace.key);
  const wait = last === undefined ? 0 : last + step.pace.ms - options.now().getTime();
  if (wait > 0) await options.sleep(wait);
}

/** Spacing counts from when the vendor answered: the request reached it no earlier than that. */
function answeredAt(step: SendStep, clock: PaceClock, options: DrainOptions): void {
  if (step.pace !== undefined) clock.set(step.pace.key, options.now().getTime());
}

async function drainReceiver(store: AlertStore, receiver: AlertReceiver, post: HttpPost, options: DrainOptions, result: DrainResult): Promise<void> {
  const vendor = vendorOf(receiver);
  const atLeastOnce = vendor.deliveryGuarantee === 'at-least-once';
  const pace: PaceClock = new Map();
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
    let claimed = await store.update(entry, { status: 'sending', attempts: entry.attempts + 1, attemptStartedAt: now.toISOString() });
    if (claimed === undefined) return;
    if (interrupted) result.resent += 1;
    // A vendor with send-time steps may need several requests for one message (each recorded before the next).
    for (;;) {
      const message = { body: claimed.body, deliveryId: claimed.deliveryId };
      const context = { store, now: options.now() };
      const step = vendor.steps === undefined ? undefined : await vendor.steps.next(message, receiver, context);
      if (vendor.steps !== undefined && step === undefined) {
        await store.update(claimed, { status: 'sent', sentAt: options.now().toISOString(), lastError: '' });
        result.sent += 1;
        break;
      }
      if (step !== undefined) await paced(step, pace, options);
      const request = overridden(step?.request ?? vendor.request(message, receiver, options.now()), vendor, receiver, options);
      const answer = await post(request.url, request.body, {
        headers: request.headers,
        timeoutMs: options.timeoutMs,
        ...(options.caPem === undefined ? {} : { ca: options.caPem }),
        // The local sink listens on loopback; every real destination must be a public address.
        ...(options.endpointOverride === undefined ? {} : { allowPrivateAddresses: true }),
      });
      if (step !== undefined) answeredAt(step, pace, options);
      const finished = options.now().toISOString();
      const scrub = (text: string) => scrubSecrets(text, vendor.secrets(receiver)).slice(0, 1000);
      const response = scrub(answer.error ?? answer.body);
      let verdict = statusVerdict(vendor, answer, response);
      if (step !== undefined && vendor.steps !== undefined && answer.status !== 0 && answer.refusedDestination !== true) {
        const outcome = await vendor.steps.answered(message, step.step, answer, receiver, { store, now: options.now() });
        verdict =
          outcome.outcome === 'done'
            ? { kind: 'sent' }
            : outcome.outcome === 'more'
              ? { kind: 'more', body: outcome.body }
              : { kind: outcome.outcome, error: scrub(outcome.error) };
      }
      if (verdict.kind === 'more') {
        // The step is applied: the message now names only the steps left, each with a fresh attempt count.
        const advanced = await store.update(claimed, { body: verdict.body, attempts: 1, attemptStartedAt: finished, lastStatus: answer.status, lastError: '' });
        if (advanced === undefined) return;
        claimed = advanced;
        continue;
      }
      if (verdict.kind === 'sent') {
        await store.update(claimed, { status: 'sent', sentAt: finished, lastStatus: answer.status, lastError: '' });
        result.sent += 1;
        break;
      }
      if (verdict.kind === 'give-up' || claimed.attempts >= options.maxAttempts) {
        await store.update(claimed, {
          status: 'failed',
          lastStatus: answer.status,
          lastError: `${verdict.kind === 'retry' ? `gave up after ${claimed.attempts} attempts: ` : 'permanent: '}${verdict.error}`,
        });
        result.failed += 1;
        break;
      }
      const nextAttemptAt = new Date(options.now().getTime() + backoffMs(claimed.attempts, answer, options)).toISOString();
      await store.update(claimed, { status: 'retrying', nextAttemptAt, lastStatus: answer.status, lastError: verdict.error });
      result.retried += 1;
      // Keep this receiver's order: nothing after a message that waits for its retry.
      return;
    }
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
