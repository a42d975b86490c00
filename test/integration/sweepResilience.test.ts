import { afterEach, describe, expect, it } from 'vitest';

import { generatedSubscriptions, generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { conformanceSample } from '../harness/fixtures.js';
import { startTestFleet, type TestFleet } from '../harness/localFleet.js';

const SUB1 = '11111111-1111-1111-1111-111111111111';
const SUB2 = '22222222-2222-2222-2222-222222222222';
/** These tests are about per-subscription ARM listing; Resource Graph has its own (resourceGraph.test.ts). */
const ARM_INVENTORY = { FLEETGUARD_INVENTORY_SOURCE: 'arm' };

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

function ruleKeys(result: { findings: Array<{ clusterName: string; ruleId: string }> }): string[] {
  return result.findings.map((finding) => `${finding.clusterName}:${finding.ruleId}`).sort();
}

describe('sweep against the simulator', () => {
  it('reports exactly the AKS-*, POLICY-* and LOG-* findings the conformance sample expects', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample) });
    const result = await fleet.sweep();
    expect(result.status).toBe('succeeded');
    expect(ruleKeys(result)).toEqual(
      [
        'web-dev:AKS-API-EXPOSURE',
        'web-dev:AKS-KEYVAULT-CSI',
        'web-dev:POLICY-NONCOMPLIANT',
        'web-dev:LOG-FAILED-API-AUTH',
        'web-dev:AKS-LOCAL-ACCOUNTS',
        'web-dev:AKS-NETWORK-POLICY',
        'web-dev:AKS-VERSION-ENDING',
        'batch-staging:AKS-AZURE-RBAC',
        'batch-staging:AKS-DEFENDER',
        'batch-staging:AKS-ENTRA',
        'batch-staging:AKS-POOL-VERSION-SKEW',
        'batch-staging:AKS-VERSION-UNSUPPORTED',
        // Not a §1 rule: the PSRule-parity check of zoneless system pools (northeurope has zones).
        'web-dev:AKS-SYSTEM-POOL-ZONES',
        'batch-staging:AKS-SYSTEM-POOL-ZONES',
        'payments-prod:AKS-SYSTEM-POOL-ZONES',
      ].sort(),
    );
  });

  it('ARM inventory: one list and two policy calls per subscription, one versions call per location, one query per workspace for all detections, one definition-name query, never one per cluster', async () => {
    const options = { clusters: 120, subscriptions: 6, locations: 3 };
    fleet = await startTestFleet({ snapshot: generateFleet(options), pageSize: 1000, settings: ARM_INVENTORY });
    const result = await fleet.sweep();
    expect(result.stats.clusters).toBe(120);
    expect(fleet.local.simulator.requests.countsByRoute()).toEqual({
      'arm.listSubscriptions': 1,
      'arm.listManagedClusters': 6,
      'arm.listKubernetesVersions': 3,
      'policy.queryResults': 12,
      // Pod-level detail: one component query per subscription with a policy finding on a cluster
      // that runs the Azure Policy add-on (53 of the generated 120 clusters, in 3 of the 6
      // subscriptions), none per cluster.
      'policy.scopeComponentQueryResults': 3,
      // The display names of the policy definitions the findings name: one Resource Graph query a sweep.
      'graph.resources': 1,
      // All 120 clusters report to one workspace: one query for all detections (a union).
      'logs.query': 1,
    });
  });

  it('bounds concurrent Azure calls by the configured concurrency', async () => {
    const options = { clusters: 40, subscriptions: 10, locations: 1 };
    fleet = await startTestFleet({ snapshot: generateFleet(options), faults: { routes: { '*': { latencyMs: 40 } } } });
    const started = Date.now();
    await fleet.sweep({ subscriptions: generatedSubscriptions(options), concurrency: 2 });
    expect(fleet.local.simulator.requests.maxInFlight).toBe(2);
    // 10 list calls two at a time, then the versions call: at least 6 latency steps.
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * 40);
  });

  it('recovers from 429 by honouring Retry-After, with the same findings as a clean run', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample) });
    const clean = await fleet.sweep();
    await fleet.close();
    fleet = await startTestFleet({
      snapshot: loadSnapshot(conformanceSample),
      settings: ARM_INVENTORY,
      faults: { routes: { 'arm.listManagedClusters': { throttle: { first: 1, retryAfterSeconds: 1 } } } },
    });
    const started = Date.now();
    const throttled = await fleet.sweep({ subscriptions: [SUB1] });
    const elapsed = Date.now() - started;
    expect(throttled.status).toBe('succeeded');
    expect(fleet.local.simulator.requests.count('arm.listManagedClusters', 429)).toBe(1);
    expect(fleet.local.simulator.requests.count('arm.listManagedClusters', 200)).toBe(1);
    // The SDK waited as told (1 s), not its own 20 ms back-off.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(ruleKeys(throttled)).toEqual(ruleKeys(clean).filter((key) => !key.startsWith('batch-staging')));
  });

  it('recovers from transient 500 and 503 answers', async () => {
    fleet = await startTestFleet({
      snapshot: loadSnapshot(conformanceSample),
      settings: ARM_INVENTORY,
      faults: {
        routes: {
          'arm.listManagedClusters': { serverError: { first: 2, status: 503 } },
          'arm.listKubernetesVersions': { serverError: { first: 1, status: 500 } },
        },
      },
    });
    const result = await fleet.sweep();
    expect(result.status).toBe('succeeded');
    expect(result.findings).toHaveLength(15);
    expect(fleet.local.simulator.requests.count(undefined, 503)).toBe(2);
    expect(fleet.local.simulator.requests.count(undefined, 500)).toBe(1);
  });

  it('a subscription that answers 403 is reported while the others complete', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), faults: { forbiddenSubscriptions: [SUB2] } });
    const result = await fleet.sweep();
    expect(result.status).toBe('partial');
    expect(result.stats.subscriptions).toEqual({ total: 2, succeeded: 1, failed: 1 });
    expect(result.errors).toEqual([
      { scope: 'subscription', target: SUB2, reason: 'authError', message: expect.stringContaining('HTTP 403 AuthorizationFailed') },
    ]);
    expect(result.findings.map((finding) => finding.clusterName)).not.toContain('batch-staging');
    expect(result.findings.filter((finding) => finding.clusterName === 'web-dev')).toHaveLength(8);
  });

  it('a location whose versions cannot be read skips only the version rules there', async () => {
    fleet = await startTestFleet({
      snapshot: loadSnapshot(conformanceSample),
      maxRetries: 0,
      faults: { routes: { 'arm.listKubernetesVersions': { serverError: { rate: 1 } } } },
    });
    const result = await fleet.sweep();
    expect(result.status).toBe('partial');
    expect(result.errors.map((error) => [error.scope, error.target, error.reason])).toEqual([['location', 'northeurope', 'serverError']]);
    expect(result.findings.some((finding) => finding.ruleId.startsWith('AKS-VERSION-'))).toBe(false);
    expect(result.findings.map((f) => f.ruleId)).toContain('AKS-LOCAL-ACCOUNTS');
  });

  it('a sweep whose every subscription fails is failed', async () => {
    fleet = await startTestFleet({ snapshot: loadSnapshot(conformanceSample), faults: { forbiddenSubscriptions: [SUB1, SUB2] } });
    const result = await fleet.sweep();
    expect(result.status).toBe('failed');
    expect(result.errors).toHaveLength(2);
  });
});
