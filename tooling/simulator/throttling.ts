/**
 * Throttling as each simulated service signals it, chosen by the route name's prefix:
 *
 * - ARM (`arm.*`, and `policy.*`, which Policy Insights serves through ARM): Learn "Understand how
 *   Azure Resource Manager throttles requests" (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling):
 *   a token bucket per principal and subscription (tenant for tenant-level requests) and operation
 *   kind (reads 250 burst refilling 25/s, writes and deletes 200 refilling 10/s); every answer says
 *   what is left in `x-ms-ratelimit-remaining-subscription-reads` / `-writes` / `-deletes` (or
 *   `x-ms-ratelimit-remaining-tenant-*`), and a 429 carries `Retry-After`.
 * - Resource Graph (`graph.*`): Learn "Guidance for throttled requests in Azure Resource Graph": a
 *   quota of about 15 queries per 5-second window per user, reported on every response by
 *   `x-ms-user-quota-remaining` and `x-ms-user-quota-resets-after` (hh:mm:ss). A throttled query is
 *   a 429 with code `RateLimiting` (body as quoted in Azure/azure-cli-extensions#3325) and the quota
 *   headers; the docs do not say it carries `Retry-After`, so the simulator sends none.
 * - Log Analytics (`logs.*`): a 429 when a user's queries queue too long or too many (Azure update
 *   "Azure Monitor Logs—Concurrency query throttle is being rolled out", 2020); its headers and body
 *   are not documented in a source we could check, so the simulator keeps `Retry-After` (unverified).
 *
 * The simulator reports ARM's bucket but does not enforce it (the fault plan throttles); it does
 * enforce Resource Graph's quota, which is small enough for a sweep to reach.
 */
import { randomUUID } from 'node:crypto';

import { formatQuotaResetsAfter, QUOTA_REMAINING_HEADER, QUOTA_RESETS_AFTER_HEADER } from '../../lib/azure/resourceGraphQuota.js';
import { armError, type SimulatorResponse } from './router.js';

export type ThrottledService = 'arm' | 'graph' | 'logs';

/** Which service's throttling a route follows. */
export function serviceOfRoute(routeName: string): ThrottledService {
  if (routeName.startsWith('graph.')) return 'graph';
  if (routeName.startsWith('logs.')) return 'logs';
  return 'arm';
}

type OperationKind = 'reads' | 'writes' | 'deletes';

/** Learn, "Understand how Azure Resource Manager throttles requests": bucket size and refill per second. */
const ARM_BUCKETS: Record<OperationKind, { size: number; refillPerSecond: number }> = {
  reads: { size: 250, refillPerSecond: 25 },
  writes: { size: 200, refillPerSecond: 10 },
  deletes: { size: 200, refillPerSecond: 10 },
};

function operationKind(method: string): OperationKind {
  if (method === 'GET' || method === 'HEAD') return 'reads';
  if (method === 'DELETE') return 'deletes';
  return 'writes';
}

/** ARM's remaining-requests headers, from a token bucket per principal, scope and operation kind. */
export class ArmRateLimits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private header(subscriptionId: string | undefined, kind: OperationKind): string {
    return `x-ms-ratelimit-remaining-${subscriptionId === undefined ? 'tenant' : 'subscription'}-${kind}`;
  }

  /** Counts one request and returns the header ARM would send with its answer. */
  consume(principal: string, subscriptionId: string | undefined, method: string): Record<string, string> {
    const kind = operationKind(method);
    const { size, refillPerSecond } = ARM_BUCKETS[kind];
    const key = `${principal}|${subscriptionId?.toLowerCase() ?? ''}|${kind}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: size, at: now };
    const tokens = Math.min(size, bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond);
    const left = Math.max(0, tokens - 1);
    this.buckets.set(key, { tokens: left, at: now });
    return { [this.header(subscriptionId, kind)]: String(Math.floor(left)) };
  }

  /** A throttled ARM answer: 429 `SubscriptionRequestsThrottled` with Retry-After and nothing remaining. */
  throttled(subscriptionId: string | undefined, method: string, retryAfterSeconds: number, retryAfterMs: number | undefined): SimulatorResponse {
    return armError(429, 'SubscriptionRequestsThrottled', 'Number of requests exceeded the limit. Please retry after the time in Retry-After.', {
      'retry-after': String(retryAfterSeconds),
      ...(retryAfterMs === undefined ? {} : { 'retry-after-ms': String(retryAfterMs) }),
      [this.header(subscriptionId, operationKind(method))]: '0',
    });
  }
}

export interface GraphQuotaOptions {
  /** Queries per window (the service's is about 15). */
  queries?: number;
  /** Window length (the service's is 5 s). */
  windowMs?: number;
  /** The clock (tests share a virtual one with the adapter). */
  now?: () => number;
}

/** The quota headers of a Resource Graph answer. */
export function graphQuotaHeaders(remaining: number, resetsAfterMs: number): Record<string, string> {
  return { [QUOTA_REMAINING_HEADER]: String(Math.max(0, remaining)), [QUOTA_RESETS_AFTER_HEADER]: formatQuotaResetsAfter(resetsAfterMs) };
}

/** A throttled Resource Graph answer: 429 `RateLimiting` with the quota headers and no Retry-After. */
export function graphThrottled(headers: Record<string, string>): SimulatorResponse {
  return {
    status: 429,
    headers,
    body: {
      error: {
        code: 'RateLimiting',
        message: `Please provide below info when asking for support: timestamp = ${new Date().toISOString()}, correlationId = ${randomUUID()}.`,
        details: [
          {
            code: 'RateLimiting',
            message:
              'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.',
          },
        ],
      },
    },
  };
}

/**
 * Resource Graph's per-user quota: a fixed window that opens with the first query after the last
 * one closed; the reset time is written in whole seconds, rounded up (`formatQuotaResetsAfter`).
 */
export class GraphQuota {
  private readonly queries: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(options: GraphQuotaOptions = {}) {
    this.queries = options.queries ?? 15;
    this.windowMs = options.windowMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** Counts a query of `principal`: whether it is within the quota, and the headers of its answer. */
  take(principal: string): { allowed: boolean; headers: Record<string, string> } {
    const now = this.now();
    let window = this.windows.get(principal);
    if (window === undefined || now >= window.start + this.windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(principal, window);
    }
    const allowed = window.used < this.queries;
    if (allowed) window.used += 1;
    return { allowed, headers: graphQuotaHeaders(this.queries - window.used, window.start + this.windowMs - now) };
  }
}
