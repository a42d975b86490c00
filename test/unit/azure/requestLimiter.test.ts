/**
 * Client-side pacing by the services' documented limits, on a virtual clock:
 * - Log Analytics: 5 concurrent queries and 200 per 30 s per user (Learn: "Azure Monitor service
 *   limits", User query throttling; MicrosoftDocs/azure-docs includes/azure-monitor-limits-log-queries.md);
 * - ARM reads: a bucket of 250 per principal and subscription refilling 25/s, `x-ms-ratelimit-remaining-subscription-reads`
 *   on every answer, 429 with Retry-After (Learn: "Understand how Azure Resource Manager throttles requests").
 */
import { createHttpHeaders, createPipelineRequest, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';

import {
  armReadBucketPolicy,
  ArmReadBuckets,
  RequestLimiter,
  requestLimiterPolicy,
  subscriptionOfUrl,
  usePacingClock,
} from '../../../lib/azure/requestLimiter.js';
import { type QuotaClock, systemClock } from '../../../lib/azure/resourceGraphQuota.js';
import { ARM_READ_BUCKET, LOG_ANALYTICS_LIMITS } from '../../../lib/serviceLimits.js';

/** Virtual time: a sleep moves the clock to its end (never back), at once. */
function virtualClock(): QuotaClock & { set(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    set: (ms) => (now = ms),
    sleep: async (ms) => {
      const until = now + ms;
      await Promise.resolve();
      now = Math.max(now, until);
    },
  };
}

function response(request: PipelineRequest, status: number, headers: Record<string, string> = {}): PipelineResponse {
  return { status, headers: createHttpHeaders(headers), request };
}

const SUB_A = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000000';
const SUB_B = '/subscriptions/bbbbbbbb-0000-0000-0000-000000000000';
const url = (path: string) => `https://management.azure.com${path}/providers/Microsoft.ContainerService/managedClusters?api-version=2025-10-01`;

describe('RequestLimiter (Log Analytics: 5 in flight, 200 per 30 s per user)', () => {
  const logsLimiter = (clock: QuotaClock) =>
    new RequestLimiter(
      { concurrency: LOG_ANALYTICS_LIMITS.concurrency, window: { requests: LOG_ANALYTICS_LIMITS.queriesPerWindow, windowMs: LOG_ANALYTICS_LIMITS.windowMs } },
      clock,
    );

  it('lets 5 run and queues the 6th until one finishes', async () => {
    const limiter = logsLimiter(virtualClock());
    for (let index = 0; index < 5; index += 1) await limiter.acquire();
    let sixth = false;
    const waiting = limiter.acquire().then(() => (sixth = true));
    await Promise.resolve();
    expect(sixth).toBe(false);
    limiter.release();
    await waiting;
    expect(sixth).toBe(true);
    expect(limiter.maxInFlight).toBe(5);
  });

  it('sends the 201st query of a 30 s window only when the first leaves it', async () => {
    const clock = virtualClock();
    const limiter = logsLimiter(clock);
    for (let index = 0; index < 200; index += 1) {
      await limiter.acquire();
      limiter.release();
      clock.set(index * 10);
    }
    const before = clock.now();
    await limiter.acquire();
    expect(before).toBe(1990);
    expect(clock.now()).toBe(30_000);
  });

  it('after a 429 with Retry-After, holds every later request of the identity until it has passed', async () => {
    const clock = virtualClock();
    const policy = requestLimiterPolicy(logsLimiter(clock));
    const request = createPipelineRequest({ url: 'https://api.loganalytics.io/v1/workspaces/x/query', method: 'POST' });
    await policy.sendRequest(request, (sent) => Promise.resolve(response(sent, 429, { 'retry-after': '7' })));
    const sentAt: number[] = [];
    await policy.sendRequest(request, (sent) => {
      sentAt.push(clock.now());
      return Promise.resolve(response(sent, 200));
    });
    expect(sentAt).toEqual([7000]);
  });
});

describe("ArmReadBuckets (ARM's read bucket per subscription)", () => {
  it('spends 250 reads at once, then one per 40 ms (25/s), per subscription', async () => {
    const clock = virtualClock();
    const buckets = new ArmReadBuckets(clock);
    for (let index = 0; index < ARM_READ_BUCKET.size; index += 1) await buckets.take('a');
    expect(clock.now()).toBe(0);
    await buckets.take('a');
    expect(clock.now()).toBe(40);
    await buckets.take('b');
    expect(clock.now()).toBe(40);
  });

  it("lowers its estimate to the subscription's x-ms-ratelimit-remaining-subscription-reads", async () => {
    const clock = virtualClock();
    const buckets = new ArmReadBuckets(clock);
    const request = createPipelineRequest({ url: url(SUB_A), method: 'GET' });
    buckets.observe('a', response(request, 200, { 'x-ms-ratelimit-remaining-subscription-reads': '0' }));
    await buckets.take('a');
    expect(clock.now()).toBe(40);
  });

  it('the policy: a 429 with Retry-After holds the reads of that subscription only; writes and tenant reads pass', async () => {
    const clock = virtualClock();
    const policy = armReadBucketPolicy(new ArmReadBuckets(clock));
    const sent: Array<[string, number]> = [];
    const next =
      (status: number, headers: Record<string, string> = {}) =>
      (request: PipelineRequest) => {
        sent.push([`${request.method} ${new URL(request.url).pathname.split('/').slice(0, 3).join('/')}`, clock.now()]);
        return Promise.resolve(response(request, status, headers));
      };
    await policy.sendRequest(createPipelineRequest({ url: url(SUB_A), method: 'GET' }), next(429, { 'retry-after': '3' }));
    await policy.sendRequest(createPipelineRequest({ url: url(SUB_B), method: 'GET' }), next(200));
    await policy.sendRequest(createPipelineRequest({ url: url(SUB_A), method: 'PUT' }), next(200));
    await policy.sendRequest(createPipelineRequest({ url: 'https://management.azure.com/subscriptions?api-version=2022-12-01', method: 'GET' }), next(200));
    await policy.sendRequest(createPipelineRequest({ url: url(SUB_A), method: 'GET' }), next(200));
    expect(sent).toEqual([
      [`GET ${SUB_A}`, 0],
      [`GET ${SUB_B}`, 0],
      [`PUT ${SUB_A}`, 0],
      ['GET /subscriptions', 0],
      [`GET ${SUB_A}`, 3000],
    ]);
    expect(subscriptionOfUrl(url(SUB_A.toUpperCase()))).toBe('aaaaaaaa-0000-0000-0000-000000000000');
  });
});

describe('the pacing clock of limiters built without one (the app clients)', () => {
  it('is the system clock, unless a local host with simulated time sets its own until it puts the old one back', async () => {
    expect(new ArmReadBuckets().clock).toBe(systemClock);
    expect(new RequestLimiter({ concurrency: 1 }).clock).toBe(systemClock);
    const clock = virtualClock();
    const restore = usePacingClock(clock);
    let buckets: ArmReadBuckets;
    try {
      buckets = new ArmReadBuckets();
      expect(new RequestLimiter({ concurrency: 1 }).clock).toBe(clock);
    } finally {
      restore();
    }
    // Built while it was set, the bucket keeps waiting on it: a 429's 60 s pass on the virtual clock at once.
    const request = createPipelineRequest({ url: url(SUB_A), method: 'GET' });
    buckets.observe('a', response(request, 429, { 'retry-after': '60' }));
    await buckets.take('a');
    expect(clock.now()).toBe(60_000);
    expect(new ArmReadBuckets().clock).toBe(systemClock);
  });
});
