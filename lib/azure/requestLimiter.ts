/**
 * Client-side pacing by a service's documented limits, as pipeline policies placed per retry (every
 * attempt is a request the service counts):
 *
 * - `RequestLimiter`: at most N requests in flight and M per sliding window for one identity, and
 *   after a 429 no request of the identity until its `Retry-After` has passed (the throttle is the
 *   identity's, not the one request's: the SDK's retry policy waits it out for the throttled request
 *   alone). Log Analytics: 5 concurrent queries and 200 per 30 s per user (`LOG_ANALYTICS_LIMITS`).
 * - `ArmReadBuckets`: ARM's read token bucket per subscription (`ARM_READ_BUCKET`), mirrored on the
 *   client so reads wait for a token instead of drawing a 429; each answer's
 *   `x-ms-ratelimit-remaining-subscription-reads` lowers the estimate (other callers of the same
 *   principal spend the same bucket), and a 429 empties it until `Retry-After`.
 *
 * The clock is injected so tests run on virtual time. Limiters built without one (the app's clients)
 * take the pacing clock: the system clock, unless a local host that simulates time set its own
 * ({@link usePacingClock}: a rehearsal's waits then pass on its virtual clock, as its timers do).
 */
import type { PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';

import { ARM_READ_BUCKET } from '../serviceLimits.js';
import { type QuotaClock, retryAfterMs, systemClock } from './resourceGraphQuota.js';

/** Unset: the system clock (read when a limiter is built, never at load: this module and resourceGraphQuota.ts import each other's neighbours). */
let pacingClock: QuotaClock | undefined;

/**
 * Makes limiters and read buckets built from now on pace themselves on `clock` instead of the system
 * clock; returns what puts the previous clock back. For local hosts whose time is simulated (the
 * rollout rehearsal: tooling/local/rehearsal.ts), where a wait in real time measures nothing the
 * rehearsal's clock sees and only slows it. Nothing in the app calls it.
 */
export function usePacingClock(clock: QuotaClock): () => void {
  const previous = pacingClock;
  pacingClock = clock;
  return () => {
    pacingClock = previous;
  };
}

export interface LimiterSettings {
  concurrency: number;
  /** At most `requests` started within any `windowMs`. */
  window?: { requests: number; windowMs: number };
}

/** Concurrency, a sliding-window rate and a hold after throttling, for one identity's calls to one service. */
export class RequestLimiter {
  private inFlight = 0;
  private readonly started: number[] = [];
  private holdUntil = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most requests in flight at once, and requests sent (diagnostics and tests). */
  maxInFlight = 0;
  sent = 0;

  constructor(
    private readonly settings: LimiterSettings,
    readonly clock: QuotaClock = pacingClock ?? systemClock,
  ) {}

  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const window = this.settings.window;
      if (window !== undefined) while (this.started.length > 0 && (this.started[0] ?? 0) <= now - window.windowMs) this.started.shift();
      if (now < this.holdUntil) {
        await this.clock.sleep(this.holdUntil - now);
        continue;
      }
      if (this.inFlight >= this.settings.concurrency) {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      if (window !== undefined && this.started.length >= window.requests) {
        await this.clock.sleep((this.started[0] ?? now) + window.windowMs - now);
        continue;
      }
      this.inFlight += 1;
      this.sent += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      if (window !== undefined) this.started.push(now);
      return;
    }
  }

  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.waiting.shift()?.();
  }

  /** No request before `ms` from now. */
  holdFor(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, this.clock.now() + ms);
  }
}

/** The policy of a `RequestLimiter`: every attempt takes a slot; a 429 holds the identity for its Retry-After. */
export function requestLimiterPolicy(limiter: RequestLimiter, name = 'requestLimiterPolicy'): PipelinePolicy {
  return {
    name,
    async sendRequest(request, next) {
      await limiter.acquire();
      try {
        const response = await next(request);
        if (response.status === 429) limiter.holdFor(retryAfterMs(response, limiter.clock.now()) ?? 0);
        return response;
      } finally {
        limiter.release();
      }
    },
  };
}

const READ_METHODS = new Set(['GET', 'HEAD']);
const REMAINING_READS = 'x-ms-ratelimit-remaining-subscription-reads';

/**
 * ARM's read bucket per subscription, as the client estimates it. The same machinery paces another
 * of ARM's buckets given its size and its remaining-requests header (Policy Insights' POSTs: the
 * write bucket, lib/azure/policyInsights.ts).
 */
export class ArmReadBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number; holdUntil: number }>();
  /** Milliseconds reads waited for a token (diagnostics and tests). */
  waitedMs = 0;

  constructor(
    readonly clock: QuotaClock = pacingClock ?? systemClock,
    private readonly bucket: { size: number; refillPerSecond: number } = ARM_READ_BUCKET,
    private readonly remainingHeader: string = REMAINING_READS,
  ) {}

  private current(subscriptionId: string): { tokens: number; at: number; holdUntil: number } {
    const now = this.clock.now();
    const entry = this.buckets.get(subscriptionId) ?? { tokens: this.bucket.size, at: now, holdUntil: 0 };
    entry.tokens = Math.min(this.bucket.size, entry.tokens + ((now - entry.at) / 1000) * this.bucket.refillPerSecond);
    entry.at = now;
    this.buckets.set(subscriptionId, entry);
    return entry;
  }

  /** Waits for a read token of the subscription and spends it. */
  async take(subscriptionId: string): Promise<void> {
    for (;;) {
      const entry = this.current(subscriptionId);
      const now = this.clock.now();
      if (now >= entry.holdUntil && entry.tokens >= 1) {
        entry.tokens -= 1;
        return;
      }
      const wait = Math.max(entry.holdUntil - now, ((1 - entry.tokens) / this.bucket.refillPerSecond) * 1000, 1);
      this.waitedMs += wait;
      await this.clock.sleep(wait);
    }
  }

  /** What an answer said: the remaining reads lower the estimate; a 429 empties the bucket until Retry-After. */
  observe(subscriptionId: string, response: PipelineResponse): void {
    const entry = this.current(subscriptionId);
    if (response.status === 429) {
      entry.tokens = 0;
      entry.holdUntil = Math.max(entry.holdUntil, this.clock.now() + (retryAfterMs(response, this.clock.now()) ?? 0));
      return;
    }
    const reported = Number(response.headers.get(this.remainingHeader) ?? Number.NaN);
    if (Number.isFinite(reported) && reported >= 0) entry.tokens = Math.min(entry.tokens, reported);
  }
}

/** The subscription of an ARM request path (`/subscriptions/{id}/...`), lower-cased; undefined for tenant-level paths. */
export function subscriptionOfUrl(url: string): string | undefined {
  return /^\/subscriptions\/([^/?#]+)/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
}

/** The policy of `ArmReadBuckets`: GET and HEAD under a subscription wait for a token; other requests pass. */
export function armReadBucketPolicy(buckets: ArmReadBuckets): PipelinePolicy {
  return {
    name: 'armReadBucketPolicy',
    async sendRequest(request, next) {
      const subscriptionId = READ_METHODS.has(request.method) ? subscriptionOfUrl(request.url) : undefined;
      if (subscriptionId === undefined) return next(request);
      await buckets.take(subscriptionId);
      const response = await next(request);
      buckets.observe(subscriptionId, response);
      return response;
    },
  };
}
