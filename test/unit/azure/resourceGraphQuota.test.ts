/**
 * Resource Graph's quota headers (Learn: "Guidance for throttled requests in Azure Resource Graph":
 * `x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after` in hh:mm:ss, about 15 queries per 5 s
 * per user) read by the pacer and the retry policy, on a virtual clock.
 */
import type { PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';

import {
  formatQuotaResetsAfter,
  parseQuotaResetsAfter,
  type QuotaClock,
  ResourceGraphQuotaPacer,
  resourceGraphRetryPolicy,
} from '../../../lib/azure/resourceGraphQuota.js';
import { GraphQuota } from '../../../tooling/simulator/throttling.js';

/** Virtual time: a sleep moves the clock to its end (never back), at once. */
function virtualClock(): QuotaClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      const until = now + ms;
      slept.push(ms);
      await Promise.resolve();
      now = Math.max(now, until);
    },
  };
}

function response(status: number, headers: Record<string, string>): PipelineResponse {
  return { status, headers: createHttpHeaders(headers), request: {} as PipelineRequest };
}

const QUOTA = (remaining: number, resetsAfter: string) => ({ 'x-ms-user-quota-remaining': String(remaining), 'x-ms-user-quota-resets-after': resetsAfter });

describe('x-ms-user-quota-resets-after', () => {
  it('reads hh:mm:ss as Learn writes it (00:00:03), and TimeSpan days and fractions', () => {
    expect(parseQuotaResetsAfter('00:00:03')).toBe(3000);
    expect(parseQuotaResetsAfter('01:02:03')).toBe(3_723_000);
    expect(parseQuotaResetsAfter('1.00:00:00')).toBe(86_400_000);
    expect(parseQuotaResetsAfter('00:00:00.250')).toBe(250);
    expect(parseQuotaResetsAfter('3')).toBeUndefined();
    expect(parseQuotaResetsAfter(undefined)).toBeUndefined();
  });

  it('is written in whole seconds, rounded up (the quota is back once the stated time has passed)', () => {
    expect(formatQuotaResetsAfter(4200)).toBe('00:00:05');
    expect(formatQuotaResetsAfter(5000)).toBe('00:00:05');
    expect(formatQuotaResetsAfter(0)).toBe('00:00:00');
    expect(formatQuotaResetsAfter(3_723_000)).toBe('01:02:03');
  });
});

describe('ResourceGraphQuotaPacer', () => {
  it('holds the next query until the reset once the remaining quota reaches 0', async () => {
    const clock = virtualClock();
    const pacer = new ResourceGraphQuotaPacer(clock);
    await pacer.acquire();
    pacer.release(response(200, QUOTA(1, '00:00:03')));
    await pacer.acquire();
    pacer.release(response(200, QUOTA(0, '00:00:03')));
    expect(clock.now()).toBe(0);
    await pacer.acquire();
    expect(clock.now()).toBe(3000);
    expect(pacer.waitedMs).toBe(3000);
  });

  it('lets one query find out the quota while the others wait for its answer', async () => {
    const pacer = new ResourceGraphQuotaPacer(virtualClock());
    await pacer.acquire();
    let second = false;
    const waiting = pacer.acquire().then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    pacer.release(response(200, QUOTA(14, '00:00:05')));
    await waiting;
    expect(second).toBe(true);
  });

  it('counts queries still in flight as spent, and does not pace a service that sends no quota headers', async () => {
    const clock = virtualClock();
    const pacer = new ResourceGraphQuotaPacer(clock);
    await pacer.acquire();
    pacer.release(response(200, QUOTA(10, '00:00:01')));
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire()]);
    await clock.sleep(1500);
    // A new window: 5 left, says the first answer; the two other queries in flight may not be
    // counted in it yet, so 3 more may go before the reset, not 5.
    pacer.release(response(200, QUOTA(5, '00:00:05')));
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire()]);
    expect(clock.now()).toBe(1500);
    for (let inFlight = 0; inFlight < 5; inFlight += 1) pacer.release(undefined);
    await pacer.acquire();
    expect(clock.now()).toBe(6500);

    const unreported = new ResourceGraphQuotaPacer(clock);
    await unreported.acquire();
    unreported.release(response(200, {}));
    await Promise.all([unreported.acquire(), unreported.acquire(), unreported.acquire()]);
    expect(unreported.waitedMs).toBe(0);
  });
});

/**
 * Virtual time for concurrent work: sleeps are timers; once every promise has settled, the clock
 * jumps to the earliest timer (so queries in flight overlap as they would on a real clock).
 */
function eventClock() {
  let now = 0;
  const timers: Array<{ at: number; wake: () => void }> = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((wake) => timers.push({ at: now + ms, wake })),
    async run<T>(work: Promise<T>): Promise<T> {
      let finished = false;
      void work.finally(() => (finished = true)).catch(() => undefined);
      for (;;) {
        await settle();
        if (finished) return work;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (next === undefined) throw new Error('deadlock: nothing to wait for');
        now = Math.max(now, next.at);
        next.wake();
      }
    },
  };
}

/**
 * `count` queries, `concurrency` at a time, through the retry policy to the simulator's quota (a fixed
 * window per principal from its first query; resets-after in whole seconds, rounded up), each
 * counted on arrival 25 ms after it is sent and answered 25 to 245 ms later (queries differ: a page
 * of 1,000 rows takes longer than a small one), so answers come back out of send order. When each
 * arrived and how many were throttled.
 */
async function burst(options: { count: number; concurrency: number; others?: (quota: GraphQuota, clock: ReturnType<typeof eventClock>) => Promise<void> }) {
  const clock = eventClock();
  const quota = new GraphQuota({ now: clock.now });
  const pacer = new ResourceGraphQuotaPacer(clock);
  const policy = resourceGraphRetryPolicy(pacer, { maxRetries: 3, retryDelayInMs: 100 });
  const arrived: number[] = [];
  let throttled = 0;
  let sent = 0;
  const next = async () => {
    const answerMs = 25 + ((sent * 37) % 11) * 22;
    sent += 1;
    await clock.sleep(25);
    const { allowed, headers } = quota.take('sweep');
    if (allowed) arrived.push(clock.now());
    else throttled += 1;
    await clock.sleep(answerMs);
    return response(allowed ? 200 : 429, headers);
  };
  let left = options.count;
  const worker = async () => {
    while (left > 0) {
      left -= 1;
      expect((await policy.sendRequest({} as PipelineRequest, next)).status).toBe(200);
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);
  await clock.run(Promise.all([...workers, options.others?.(quota, clock)]));
  return { arrived, throttled, end: clock.now() };
}

describe('ResourceGraphQuotaPacer against the simulator quota (15 per 5 s)', () => {
  it('keeps to the quota with as many queries in flight as it has', async () => {
    const { arrived, throttled } = await burst({ count: 40, concurrency: 15 });
    expect(throttled).toBe(0);
    const first = arrived[0] ?? 0;
    expect(arrived.filter((at) => at < first + 5000)).toHaveLength(15);
  });

  it('after a reset, probes the quota instead of assuming a full window: another client of the identity may have used it', async () => {
    const { arrived, throttled } = await burst({
      count: 22,
      concurrency: 8,
      // Another process of the same identity (the quota is per user) opens the second window
      // with 10 queries (the first window opened at 25 ms) just before the sweep's probe.
      others: async (quota, clock) => {
        await clock.sleep(5030);
        for (let query = 0; query < 10; query += 1) expect(quota.take('sweep').allowed).toBe(true);
      },
    });
    expect(throttled).toBe(0);
    expect(arrived).toHaveLength(22);
  });
});

describe('resourceGraphRetryPolicy', () => {
  function serve(answers: PipelineResponse[]) {
    const sent: number[] = [];
    return {
      sent,
      next: (clock: QuotaClock) => () => {
        sent.push(clock.now());
        const answer = answers.shift();
        if (answer === undefined) throw new Error('no more answers');
        return Promise.resolve(answer);
      },
    };
  }

  it('waits out a 429 without Retry-After for x-ms-user-quota-resets-after, then retries', async () => {
    const clock = virtualClock();
    const server = serve([response(429, QUOTA(0, '00:00:04')), response(200, QUOTA(14, '00:00:05'))]);
    const policy = resourceGraphRetryPolicy(new ResourceGraphQuotaPacer(clock), { maxRetries: 3, retryDelayInMs: 10 });
    const result = await policy.sendRequest({} as PipelineRequest, server.next(clock));
    expect(result.status).toBe(200);
    expect(server.sent).toEqual([0, 4000]);
  });

  it('falls back to Retry-After, then to a bounded back-off; gives the 429 back when the budget is spent', async () => {
    const clock = virtualClock();
    const server = serve([response(429, { 'retry-after': '2' }), response(429, {}), response(429, {}), response(429, {})]);
    const policy = resourceGraphRetryPolicy(new ResourceGraphQuotaPacer(clock), { maxRetries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 300 });
    const result = await policy.sendRequest({} as PipelineRequest, server.next(clock));
    expect(result.status).toBe(429);
    // 2 s (Retry-After), then 100 · 2¹ = 200 ms, then 100 · 2² capped at 300 ms.
    expect(server.sent).toEqual([0, 2000, 2200, 2500]);
  });

  it('retries 5xx with back-off (Retry-After on 503), and never a 400', async () => {
    const clock = virtualClock();
    const server = serve([response(500, {}), response(503, { 'retry-after': '1' }), response(200, {}), response(400, {})]);
    const policy = resourceGraphRetryPolicy(new ResourceGraphQuotaPacer(clock), { maxRetries: 3, retryDelayInMs: 100 });
    expect((await policy.sendRequest({} as PipelineRequest, server.next(clock))).status).toBe(200);
    expect(server.sent).toEqual([0, 100, 1100]);
    expect((await policy.sendRequest({} as PipelineRequest, server.next(clock))).status).toBe(400);
    expect(server.sent).toHaveLength(4);
  });
});
