/**
 * The wave gate keeps what a batch measured: a probe that fails for a reason a retry can fix is
 * measured again alone, after ACTIVITY_RETRY's durable timers, within its budget of attempts; the
 * others are measured once. The real wave and cluster orchestrators run through the durable-functions
 * replay code on the local host, with the real activities over plain fakes of their ports
 * (test/fixtures/durable/waveGateApp.ts), so Policy reads can be failed for one cluster and counted.
 */
import { fileURLToPath } from 'node:url';

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ACTIVITY_RETRY, type GateSettings, ORCHESTRATIONS, retryDelayMs, type WaveOutcome } from '../../lib/upgrades/orchestrators.js';
import type { PlannedCluster, PlannedWave } from '../../lib/upgrades/plan.js';
import { LocalDurableHost, VirtualClock } from '../../tooling/local/durableHost.js';
import { LocalFunctionsHost } from '../../tooling/local/functionsHost.js';
import type * as Fixture from '../fixtures/durable/waveGateApp.js';

const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
const planned = (name: string): PlannedCluster => ({
  resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-${name}/providers/Microsoft.ContainerService/managedClusters/${name}`,
  name,
  subscriptionId: SUBSCRIPTION,
  resourceGroup: `rg-${name}`,
  location: 'northeurope',
  fromVersion: '1.32.3',
  toVersion: '1.32',
  hops: ['1.32'],
  skipReason: undefined,
});
const WAVE: PlannedWave = {
  name: '0',
  clusters: ['aks-a', 'aks-b', 'aks-c'].map(planned),
  excluded: [],
  maxParallel: 3,
  soakMinutes: 5,
  requireApproval: false,
};
const GATES: GateSettings = { intervalMinutes: 5, failureLimit: 0, pollMinutes: 1, upgradeTimeoutMinutes: 60, approvalTimeoutMinutes: 60 };
const WAVE_ID = 'r1:wave-0';
const THROTTLED = `listing policy states of ${SUBSCRIPTION}/rg-aks-b: HTTP 429 SubscriptionRequestsThrottled`;

let functions: LocalFunctionsHost;
let control: (typeof Fixture)['control'];
let resetControl: (typeof Fixture)['resetControl'];

beforeAll(async () => {
  functions = await LocalFunctionsHost.load(fileURLToPath(new URL('../fixtures/durable/waveGateApp.ts', import.meta.url)));
  ({ control, resetControl } = await import('../fixtures/durable/waveGateApp.js'));
});
beforeEach(() => resetControl());

/** Starts the wave and runs it to its gate: every cluster upgraded and through its own gate, the wave soaking. */
async function toTheGate(): Promise<{ host: LocalDurableHost; clock: VirtualClock; gateStarted: number }> {
  const clock = new VirtualClock();
  const host = new LocalDurableHost(functions, clock);
  host.startNew(
    ORCHESTRATIONS.wave,
    {
      rolloutId: 'r1',
      wave: WAVE,
      plan: { upgradeType: 'ControlPlaneOnly', target: '1.32', maxFailedClusters: 0, respectMaintenanceWindows: false },
      failedBefore: 0,
      gates: GATES,
    },
    WAVE_ID,
  );
  await host.run({ until: () => (host.getStatus(WAVE_ID)?.customStatus as { phase?: string } | null)?.phase === 'wave gate' });
  control.armed = true;
  return { host, clock, gateStarted: clock.now() };
}

function waveOutcome(host: LocalDurableHost): WaveOutcome {
  const status = host.getStatus(WAVE_ID);
  expect(status?.runtimeStatus, status?.error).toBe('Completed');
  return status?.output as WaveOutcome;
}

describe('wave gate: a failed probe is measured again alone', () => {
  it('one probe throttled 3 times: only it is measured again, after the retry waits; the others once; the gate passes', async () => {
    const { host, clock, gateStarted } = await toTheGate();
    control.failing['rg-aks-b'] = 3;
    await host.run();
    const outcome = waveOutcome(host);
    expect(outcome).toMatchObject({ status: 'Completed', haltReason: null });
    expect(control.batches).toEqual([['aks-a', 'aks-b', 'aks-c'], ['aks-b'], ['aks-b'], ['aks-b']]);
    expect(control.reads).toEqual({ 'rg-aks-a': 1, 'rg-aks-b': 4, 'rg-aks-c': 1 });
    // The probes' failures came back as results: no activity failed, no Durable retry ran.
    expect(host.activityFailures).toBe(0);
    // The wave's soak, then ACTIVITY_RETRY's waits after attempts 1, 2 and 3 (30 s, 1 min, 2 min).
    expect(clock.now() - gateStarted).toBe(WAVE.soakMinutes * 60_000 + retryDelayMs(1) + retryDelayMs(2) + retryDelayMs(3));
    expect([retryDelayMs(1), retryDelayMs(2), retryDelayMs(3), retryDelayMs(9)]).toEqual([30_000, 60_000, 120_000, 300_000]);
  });

  it('a probe failing past its budget halts the wave naming that cluster; the others were measured once', async () => {
    const { host } = await toTheGate();
    control.failing['rg-aks-b'] = Infinity;
    await host.run();
    const outcome = waveOutcome(host);
    const attempts = ACTIVITY_RETRY.maxNumberOfAttempts;
    expect(outcome.status).toBe('Halted');
    expect(outcome.haltReason).toBe(`aks-b: wave gate: gave up after ${attempts} attempts: ${THROTTLED}`);
    expect(outcome.clusters.find((cluster) => cluster.resourceId.endsWith('/aks-b'))).toMatchObject({ status: 'Upgraded', gate: 'inconclusive' });
    expect(outcome.clusters.filter((cluster) => cluster.gate !== undefined)).toHaveLength(1);
    expect(control.reads).toEqual({ 'rg-aks-a': 1, 'rg-aks-b': attempts, 'rg-aks-c': 1 });
    expect(control.batches).toHaveLength(attempts);
  });

  it('an abort while a failed probe waits for its next attempt stops the wave at once', async () => {
    const { host } = await toTheGate();
    control.failing['rg-aks-b'] = Infinity;
    await host.run({ until: () => (host.getStatus(WAVE_ID)?.customStatus as { retrying?: number } | null)?.retrying === 1 });
    host.raiseEvent(WAVE_ID, 'abort', { by: 'ops' });
    await host.run();
    expect(waveOutcome(host)).toMatchObject({ status: 'Aborted' });
    expect(control.batches).toEqual([['aks-a', 'aks-b', 'aks-c']]);
  });

  it('a history the batch left before probes were retried one by one (the whole batch thrown, Durable retrying it) goes on under the new code', async () => {
    // The first round is the same call, retry options and input as before, so a history written
    // then (failed attempts, their timers, a plain HealthSample[] result) replays as it ran.
    const { host } = await toTheGate();
    control.legacyBatch = true;
    control.failing['rg-aks-b'] = 3;
    await host.run({ until: () => control.batches.length === 2 });
    expect(host.activityFailures).toBe(2);
    // The new activity is deployed in the middle of Durable's retries: its next attempt keeps what it measured.
    control.legacyBatch = false;
    await host.run();
    expect(waveOutcome(host)).toMatchObject({ status: 'Completed', haltReason: null });
    expect(control.batches).toEqual([['aks-a', 'aks-b', 'aks-c'], ['aks-a', 'aks-b', 'aks-c'], ['aks-a', 'aks-b', 'aks-c'], ['aks-b']]);
    expect(host.activityFailures).toBe(2);
  });

  it('a whole batch that kept failing, as histories recorded it, still halts with the budget spent', async () => {
    const { host } = await toTheGate();
    control.legacyBatch = true;
    control.failing['rg-aks-b'] = Infinity;
    await host.run();
    const outcome = waveOutcome(host);
    expect(outcome.status).toBe('Halted');
    expect(outcome.haltReason).toBe(`wave gate: gave up after ${ACTIVITY_RETRY.maxNumberOfAttempts} attempts: ${THROTTLED}`);
  });
});
