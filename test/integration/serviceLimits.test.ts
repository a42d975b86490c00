/**
 * The services' own limits, kept by the clients whatever the sweep's concurrency: Log Analytics runs
 * 5 queries per user at once and 200 per 30 s (Learn: "Azure Monitor service limits", User query
 * throttling; MicrosoftDocs/azure-docs includes/azure-monitor-limits-log-queries.md), and a 429's
 * Retry-After holds every query of the identity. Real SDK clients over HTTPS to the simulator, whose
 * request log records what arrived when. (Resource Graph's quota headers: test/integration/resourceGraph.test.ts
 * and test/unit/azure/resourceGraphQuota.test.ts; ARM's read bucket: test/unit/azure/requestLimiter.test.ts.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DETECTIONS } from '../../lib/detections/catalog.js';
import { prepareUnionQuery } from '../../lib/detections/unionQuery.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const WORKSPACES = 12;
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await startTestFleet({ snapshot: generateFleet({ clusters: 24, subscriptions: 2, locations: 1, workspaces: WORKSPACES }) });
});
afterAll(async () => {
  await fleet.close();
});
beforeEach(() => {
  fleet.local.simulator.requests.clear();
  fleet.local.simulator.faults.configure({});
});

const logsRequests = () => fleet.local.simulator.requests.entries.filter((entry) => entry.route === 'logs.query');

describe('Log Analytics: at most 5 queries in flight per identity', () => {
  it('a sweep over 12 workspaces with a slow Logs route and 8 sweep slots never has more than 5 queries in flight', async () => {
    fleet.local.simulator.faults.configure({ routes: { 'logs.query': { latencyMs: 150 } } });
    const result = await fleet.sweep({ concurrency: 8 });
    expect(result.stats.logs).toEqual({ workspaces: WORKSPACES, failedWorkspaces: 0, queries: WORKSPACES });
    expect(logsRequests()).toHaveLength(WORKSPACES);
    expect(fleet.local.simulator.requests.maxInFlightByService['logs']).toBe(5);
  });

  it('the adapter keeps the limit for every caller of the identity, not only the sweep (12 queries at once: 5 in flight)', async () => {
    fleet.local.simulator.faults.configure({ routes: { 'logs.query': { latencyMs: 150 } } });
    const union = prepareUnionQuery(DETECTIONS.map((detection) => ({ detection, parameters: { lookbackMinutes: 60, threshold: detection.threshold } })));
    const workspaces = [...fleet.local.simulator.fleet.knownWorkspaces()];
    expect(workspaces).toHaveLength(WORKSPACES);
    await Promise.all(workspaces.map((workspace) => fleet.clients.logs.reader.query(workspace, union.text, union.lookbackMinutes)));
    expect(logsRequests()).toHaveLength(WORKSPACES);
    expect(fleet.local.simulator.requests.maxInFlightByService['logs']).toBe(5);
  });

  it('a 429 with Retry-After holds every query of the identity, not only the throttled one, and the sweep completes', async () => {
    fleet.local.simulator.faults.configure({ routes: { 'logs.query': { latencyMs: 20, throttle: { first: 1, retryAfterSeconds: 1 } } } });
    const result = await fleet.sweep({ concurrency: 8 });
    expect(result.errors).toEqual([]);
    const requests = logsRequests();
    const throttled = requests.find((entry) => entry.status === 429)!;
    expect(requests.filter((entry) => entry.status === 200)).toHaveLength(WORKSPACES);
    // After the 429 the remaining queries wait for its Retry-After (1 s). Only queries the client had
    // sent before the 429 reached it may arrive inside that second: at most the 4 other slots (without
    // the hold, all 7 queries not yet sent arrive within a few latencies).
    const after = requests.filter((entry) => entry.receivedAt! > throttled.answeredAt!);
    const early = after.filter((entry) => entry.receivedAt! - throttled.answeredAt! < 990);
    expect(early.length).toBeLessThanOrEqual(4);
    expect(after.length - early.length).toBeGreaterThanOrEqual(WORKSPACES - 5 - 4);
  });
});
