/**
 * Policy Insights POSTs paced under ARM's per-subscription write bucket (`POLICY_INSIGHTS_BUCKET`,
 * lib/serviceLimits.ts: Learn "Understand how Azure Resource Manager throttles requests", 200 requests
 * refilling 10 per second; no Policy Insights limit of its own is published). Virtual time for the
 * policy; one real adapter against a recorded-answer server for the wiring.
 */
import { createHttpHeaders, createPipelineRequest, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { afterEach, describe, expect, it } from 'vitest';

import { SimulatorCredential } from '../../../lib/azure/credential.js';
import { PolicyInsightsAdapter, policyInsightsBucketPolicy, policyInsightsBuckets } from '../../../lib/azure/policyInsights.js';
import { ArmReadBuckets } from '../../../lib/azure/requestLimiter.js';
import type { QuotaClock } from '../../../lib/azure/resourceGraphQuota.js';
import type { AzureTarget } from '../../../lib/config.js';
import { POLICY_INSIGHTS_BUCKET } from '../../../lib/serviceLimits.js';
import { type ExampleServer, startExampleServer } from '../../harness/restContract.js';

const WRITES = 'x-ms-ratelimit-remaining-subscription-writes';
const SUB_A = 'aaaaaaaa-0000-0000-0000-000000000000';
const SUB_B = 'bbbbbbbb-0000-0000-0000-000000000000';
const queryUrl = (subscriptionId: string) =>
  `https://management.azure.com/subscriptions/${subscriptionId}/providers/Microsoft.PolicyInsights/componentPolicyStates/latest/queryResults?api-version=2024-10-01`;

/** Virtual time: a sleep moves the clock to its end, at once. */
function virtualClock(): QuotaClock {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      const until = now + ms;
      await Promise.resolve();
      now = Math.max(now, until);
    },
  };
}

function answer(request: PipelineRequest, status: number, headers: Record<string, string> = {}): PipelineResponse {
  return { status, headers: createHttpHeaders(headers), request };
}

describe("Policy Insights pacing (ARM's write bucket per subscription)", () => {
  it('sends 200 POSTs of a subscription at once, then one per 100 ms (10/s); another subscription has its own bucket; GETs are not paced here', async () => {
    const clock = virtualClock();
    const policy = policyInsightsBucketPolicy(new ArmReadBuckets(clock, POLICY_INSIGHTS_BUCKET, WRITES));
    const sentAt: number[] = [];
    const next = (request: PipelineRequest) => {
      sentAt.push(clock.now());
      return Promise.resolve(answer(request, 200));
    };
    for (let index = 0; index < POLICY_INSIGHTS_BUCKET.size + 2; index += 1)
      await policy.sendRequest(createPipelineRequest({ url: queryUrl(SUB_A), method: 'POST' }), next);
    expect(sentAt.slice(0, POLICY_INSIGHTS_BUCKET.size).every((at) => at === 0)).toBe(true);
    expect(sentAt.slice(POLICY_INSIGHTS_BUCKET.size)).toEqual([100, 200]);
    await policy.sendRequest(createPipelineRequest({ url: queryUrl(SUB_B), method: 'POST' }), next);
    await policy.sendRequest(createPipelineRequest({ url: queryUrl(SUB_A), method: 'GET' }), next);
    expect(sentAt.slice(-2)).toEqual([200, 200]);
  });

  it('lowers its estimate to x-ms-ratelimit-remaining-subscription-writes, and a 429 holds the subscription for its Retry-After', async () => {
    const clock = virtualClock();
    const policy = policyInsightsBucketPolicy(new ArmReadBuckets(clock, POLICY_INSIGHTS_BUCKET, WRITES));
    const sentAt: Array<[string, number]> = [];
    const next =
      (status: number, headers: Record<string, string> = {}) =>
      (request: PipelineRequest) => {
        sentAt.push([new URL(request.url).pathname.split('/')[2] ?? '', clock.now()]);
        return Promise.resolve(answer(request, status, headers));
      };
    await policy.sendRequest(createPipelineRequest({ url: queryUrl(SUB_A), method: 'POST' }), next(200, { [WRITES]: '0' }));
    await policy.sendRequest(createPipelineRequest({ url: queryUrl(SUB_A), method: 'POST' }), next(429, { 'retry-after': '2' }));
    await policy.sendRequest(createPipelineRequest({ url: queryUrl(SUB_B), method: 'POST' }), next(200));
    await policy.sendRequest(createPipelineRequest({ url: queryUrl(SUB_A), method: 'POST' }), next(200));
    expect(sentAt).toEqual([
      [SUB_A, 0],
      [SUB_A, 100],
      [SUB_B, 100],
      [SUB_A, 2100],
    ]);
  });
});

describe('the adapter paces its POSTs through the bucket', () => {
  let server: ExampleServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("waits when ARM says the subscription's writes are spent", async () => {
    server = await startExampleServer([
      {
        method: 'POST',
        path: /componentPolicyStates\/latest\/queryResults$/,
        status: 200,
        body: { '@odata.context': 'x', '@odata.count': 0, value: [] },
        headers: { [WRITES]: '0' },
      },
    ]);
    const target: AzureTarget = { kind: 'simulator', armEndpoint: server.url, caPem: server.caPem };
    const adapter = new PolicyInsightsAdapter(new SimulatorCredential(), target, { maxRetries: 0 });
    await adapter.listNonCompliantComponentsInSubscription(SUB_A);
    expect(policyInsightsBuckets(target).waitedMs).toBe(0);
    await adapter.listNonCompliantComponentsInSubscription(SUB_A);
    // One token refills in 100 ms at 10/s (less the real time between the two calls).
    expect(policyInsightsBuckets(target).waitedMs).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(2);
  });
});
