/**
 * Azure Resource Graph throttling as the service signals it (Learn: "Guidance for throttled requests
 * in Azure Resource Graph", https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests):
 * every query response carries `x-ms-user-quota-remaining` (queries the user has left in the current
 * window) and `x-ms-user-quota-resets-after` (hh:mm:ss until the window resets); about 15 queries
 * per 5-second window per user. A throttled query is a 429 with the code `RateLimiting`
 * (Azure/azure-cli-extensions#3325); whether it carries `Retry-After` is not documented, and the
 * SDK's default retry policy retries a 429 only when it does. So a throttled query failed at once
 * and the sweep fell back to many more ARM calls exactly when throttled.
 *
 * This module replaces the SDK's retry policy for the Resource Graph client: one pacer per identity
 * holds queries back when the quota is used up (before a 429, not after), and a 429 is retried
 * after `x-ms-user-quota-resets-after` (else `Retry-After`, else a bounded back-off), within the
 * configured retry budget. The clock is injected so tests run on virtual time.
 */
import type { PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';

import type { RetrySettings } from './clientOptions.js';
import { backoffDelayMs } from './clientOptions.js';

export const QUOTA_REMAINING_HEADER = 'x-ms-user-quota-remaining';
export const QUOTA_RESETS_AFTER_HEADER = 'x-ms-user-quota-resets-after';

/** Time as the pacer sees it: the system clock in production, a virtual one in tests. */
export interface QuotaClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: QuotaClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Milliseconds of an `x-ms-user-quota-resets-after` value: `hh:mm:ss` as documented, also accepting
 * .NET TimeSpan's day prefix and fractional seconds. Undefined when absent or malformed.
 */
export function parseQuotaResetsAfter(value: string | undefined | null): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value?.trim() ?? '');
  if (match === null) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return Math.round((((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000);
}

/**
 * `hh:mm:ss` of a duration in whole seconds, rounded up: Learn's example reads the value as the time
 * after which the quota is back (`00:00:03`: "in 3 seconds" it is 15 again). The simulator writes
 * the header with it.
 */
export function formatQuotaResetsAfter(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

function parseCount(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null || !/^\s*-?\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** `Retry-After` in its three spellings, as the SDK reads them (ms headers first, then seconds or an HTTP date). */
export function retryAfterMs(response: PipelineResponse, now: number): number | undefined {
  for (const [name, factor] of [
    ['retry-after-ms', 1],
    ['x-ms-retry-after-ms', 1],
    ['retry-after', 1000],
  ] as const) {
    const value = response.headers.get(name);
    if (value === undefined) continue;
    const number = Number(value);
    if (value.trim() !== '' && Number.isFinite(number) && number >= 0) return number * factor;
    if (name === 'retry-after') {
      const date = Date.parse(value);
      if (Number.isFinite(date)) return Math.max(0, date - now);
    }
  }
  return undefined;
}

/**
 * The quota of one identity as its responses reported it. Shared by every request of an adapter so
 * concurrent queries draw on one count. Queries still in flight when a response arrives may not be
 * counted in it yet, so they are subtracted: the pacer errs on the side of waiting. All of them, also
 * those sent before the answered query: send order is not arrival order (a burst opens fresh TLS
 * connections, and a later query on a warm one overtakes them; subtracting only the later-sent
 * queries drew a 429 in test/integration/resourceGraph.test.ts, "pacing by the quota headers avoids
 * the 429 entirely"). While the count
 * is unknown (the first query, or the first after a window reset) one query goes alone and the
 * others wait for its answer, so a burst cannot overrun a quota it has not been told yet; a service
 * that sends no quota headers is not paced at all.
 */
export class ResourceGraphQuotaPacer {
  /** Queries left in the current window; undefined when unknown. */
  private remaining: number | undefined;
  private resetAt = 0;
  private inFlight = 0;
  /** Whether answers carry the quota headers (until one says otherwise, assume they do). */
  private reported = true;
  private readonly waiting: Array<() => void> = [];
  /** Milliseconds spent waiting for a window to reset (for tests and diagnostics). */
  waitedMs = 0;

  constructor(readonly clock: QuotaClock = systemClock) {}

  /** Waits until a query may be sent within the known quota, and counts it as sent. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      if (this.remaining !== undefined && now >= this.resetAt) this.remaining = undefined;
      if (!this.reported || (this.remaining === undefined && this.inFlight === 0) || (this.remaining ?? 0) > 0) {
        if (this.remaining !== undefined) this.remaining -= 1;
        this.inFlight += 1;
        return;
      }
      if (this.remaining === undefined) {
        // A query is finding out the quota: wait for its answer.
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      const wait = this.resetAt - now;
      this.waitedMs += wait;
      await this.clock.sleep(wait);
    }
  }

  /** Records what the answer to an acquired query said about the quota; `undefined` when there was none (network error). */
  release(response: PipelineResponse | undefined): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.observe(response);
    for (const wake of this.waiting.splice(0)) wake();
  }

  private observe(response: PipelineResponse | undefined): void {
    if (response === undefined) return;
    const reported = parseCount(response.headers.get(QUOTA_REMAINING_HEADER));
    const resetsAfter = parseQuotaResetsAfter(response.headers.get(QUOTA_RESETS_AFTER_HEADER));
    if (reported === undefined || resetsAfter === undefined) {
      // An answer of the service itself without the headers: it does not report a quota to pace by.
      if (response.status < 400) this.reported = false;
      return;
    }
    this.reported = true;
    const now = this.clock.now();
    const remaining = Math.max(0, reported - this.inFlight);
    const resetAt = now + resetsAfter;
    // Answers about the window already known (the same reset, give or take the header's whole
    // seconds) may arrive out of order: the lowest count wins. Any other answer starts afresh.
    const sameWindow = this.remaining !== undefined && now < this.resetAt && Math.abs(resetAt - this.resetAt) < 1000;
    this.remaining = sameWindow ? Math.min(this.remaining ?? remaining, remaining) : remaining;
    this.resetAt = sameWindow ? Math.max(this.resetAt, resetAt) : resetAt;
  }

  /** After a 429: no query of this identity before `ms` from now. */
  holdFor(ms: number): void {
    this.remaining = 0;
    this.resetAt = Math.max(this.resetAt, this.clock.now() + ms);
  }
}

const SYSTEM_ERROR_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ENOTFOUND']);

/** Whether the SDK would retry this outcome besides throttling: 408, 5xx but 501/505, and network errors (as its exponential strategy does). */
function isTransient(response: PipelineResponse | undefined, error: unknown): boolean {
  if (response !== undefined) return response.status === 408 || (response.status >= 500 && response.status !== 501 && response.status !== 505);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && SYSTEM_ERROR_CODES.has(code);
}

/**
 * The retry policy of the Resource Graph client (in place of the SDK's, which the client is built
 * without: one loop, one budget). Placed per retry (after signing), so every attempt is paced.
 */
export function resourceGraphRetryPolicy(pacer: ResourceGraphQuotaPacer, retry: RetrySettings): PipelinePolicy {
  return {
    name: 'resourceGraphRetryPolicy',
    async sendRequest(request, next) {
      for (let attempt = 0; ; attempt += 1) {
        await pacer.acquire();
        let response: PipelineResponse | undefined;
        let error: Error | undefined;
        try {
          response = await next(request);
        } catch (caught) {
          error = caught instanceof Error ? caught : new Error(String(caught));
          response = (caught as { response?: PipelineResponse }).response;
        }
        pacer.release(response);
        const throttled = response?.status === 429;
        const retryable = throttled || isTransient(response, error);
        if (!retryable || attempt >= retry.maxRetries) {
          if (error !== undefined) throw error;
          if (response === undefined) throw new Error('Resource Graph: no response');
          return response;
        }
        const now = pacer.clock.now();
        if (throttled) {
          // The quota window's reset is what the service tells us; Retry-After only if it sends one.
          const hinted =
            parseQuotaResetsAfter(response?.headers.get(QUOTA_RESETS_AFTER_HEADER)) ?? (response === undefined ? undefined : retryAfterMs(response, now));
          pacer.holdFor(hinted !== undefined && hinted > 0 ? hinted : backoffDelayMs(retry, attempt));
        } else {
          const hinted = response?.status === 503 ? retryAfterMs(response, now) : undefined;
          await pacer.clock.sleep(hinted ?? backoffDelayMs(retry, attempt));
        }
      }
    },
  };
}
