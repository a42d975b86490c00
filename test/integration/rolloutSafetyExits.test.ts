/**
 * The rollout's safety exits, each on the local durable host's virtual clock: the paths that stop a
 * production rollout. A mutation audit planted a bug on each (a halt-wait expiry taken as resume, an
 * inconclusive gate that no longer halts, an upgrade timeout that never fires, the stopped-cluster
 * check removed) and no rollout test noticed; every test here fails on its planted bug.
 *
 * The sample fleet with consecutive hops: web-dev (ring 0, 1.30.4 → 1.31 → 1.32.3) and
 * checkout-prod (ring 2, 1.31.3 → 1.32.3) are upgraded; the rest are skipped or excluded. So
 * "checkout-prod was never written to" means "the rollout did not go on after wave 0".
 */
import { afterEach, describe, expect, it } from 'vitest';

import { EVENTS, type GateSettings, type RolloutOutcome } from '../../lib/upgrades/orchestrators.js';
import { type PreparedRehearsal, prepareRehearsal, type Rehearsal, rehearsalResult } from '../../tooling/local/rehearsal.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { routingDocument, SECRETS } from '../harness/alerts.js';
import { rolloutRequest } from '../harness/rolloutRequests.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const clusterId = (resourceGroup: string, name: string) =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const WEB_DEV = clusterId('web', 'web-dev');
const CHECKOUT_PROD = clusterId('checkout', 'checkout-prod');

const REQUEST = rolloutRequest();

const HALT_WAIT_MINUTES = 120;

let prepared: PreparedRehearsal | undefined;
let rehearsal: Rehearsal | undefined;
afterEach(async () => {
  await (rehearsal?.local ?? prepared?.local)?.close();
  rehearsal = undefined;
  prepared = undefined;
});

async function prepare(options: { injectAnomaly?: string[]; gates?: Partial<GateSettings>; haltWaitMinutes?: number } = {}): Promise<PreparedRehearsal> {
  prepared = await prepareRehearsal(
    {
      snapshot: loadSnapshot(sampleFleetDirectory()),
      request: REQUEST,
      tablesConnectionString: azuriteConnectionString(),
      settings: {
        FLEETGUARD_ALERTS_TABLE: uniqueTableName('salerts'),
        FLEETGUARD_FINDINGS_TABLE: uniqueTableName('sfind'),
        // Its own notices table: the health gate reads node-pool failures back, and other rehearsals inject them on the same clusters.
        FLEETGUARD_EVENTS_TABLE: uniqueTableName('sevents'),
        FLEETGUARD_ALERT_ROUTES: routingDocument('- { name: digest, receiver: slack }'),
        ...SECRETS,
      },
      ...options,
    },
    process.env,
  );
  return prepared;
}

/** The rollout's own custom status (not a wave's or a cluster's). */
function rolloutStatus(run: PreparedRehearsal): { status?: string; haltReason?: string | null; wave?: string | null } {
  return run.host.getStatus(run.instanceId)?.customStatus ?? {};
}

function cluster(outcome: RolloutOutcome, resourceId: string) {
  return outcome.waves.flatMap((wave) => wave.clusters).find((entry) => entry.resourceId === resourceId);
}

/** Upgrade writes the simulator saw for a cluster. */
function writes(run: PreparedRehearsal, resourceId: string): number {
  return run.local.simulator.upgrades.writesByCluster.get(resourceId.toLowerCase()) ?? 0;
}

describe('rollout safety exits on the virtual clock', () => {
  it('a halted rollout whose wait expires ends Halted at the deadline: it never carries on', async () => {
    const run = await prepare({ injectAnomaly: ['web-dev'], haltWaitMinutes: HALT_WAIT_MINUTES });
    const started = run.clock.now();
    await run.host.run({ until: () => rolloutStatus(run).status === 'Halted' });
    const haltedAt = run.clock.now();
    expect(run.host.getStatus(run.instanceId)?.runtimeStatus).toBe('Running');
    await run.host.run();
    rehearsal = rehearsalResult(run, started);
    const { outcome } = rehearsal;
    expect(outcome.status).toBe('Halted');
    expect(outcome.haltReason).toMatch(/^wave 0: web-dev: health gate failed: /);
    expect(outcome.waves.map((wave) => wave.status)).toEqual(['Halted', 'NotStarted', 'NotStarted']);
    expect(cluster(outcome, CHECKOUT_PROD)?.status).toBe('NotStarted');
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
    // It waited the whole time for a human, and not a minute less.
    expect(run.clock.now() - haltedAt).toBeGreaterThanOrEqual(HALT_WAIT_MINUTES * 60_000);
  });

  it('resume while the gate still fails is refused; the rollout stays halted and ends Halted when the wait expires', async () => {
    const run = await prepare({ injectAnomaly: ['web-dev'], haltWaitMinutes: HALT_WAIT_MINUTES });
    const started = run.clock.now();
    // Until it waits for a human (the wait's status names the wave).
    await run.host.run({ until: () => rolloutStatus(run).status === 'Halted' && rolloutStatus(run).wave !== undefined });
    // What an operator sees while it waits: where it halted and why.
    expect(rolloutStatus(run)).toEqual({
      rolloutId: 'rehearsal',
      status: 'Halted',
      haltReason: expect.stringMatching(/^web-dev: health gate failed: /),
      wave: '0',
    });
    run.host.raiseEvent(run.instanceId, EVENTS.resume, { by: 'max@contoso.com' });
    await run.host.run({ until: () => rolloutStatus(run).haltReason?.startsWith('resume refused') === true });
    expect(rolloutStatus(run)).toEqual({
      rolloutId: 'rehearsal',
      status: 'Halted',
      haltReason: expect.stringMatching(/^resume refused, the gate still fails: /),
      wave: '0',
    });
    expect(run.host.getStatus(run.instanceId)?.runtimeStatus).toBe('Running');
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
    await run.host.run();
    rehearsal = rehearsalResult(run, started);
    expect(rehearsal.outcome.status).toBe('Halted');
    expect(rehearsal.outcome.haltReason).toMatch(/^resume refused, the gate still fails: /);
    expect(rehearsal.outcome.waves.map((wave) => wave.status)).toEqual(['Halted', 'NotStarted', 'NotStarted']);
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
  });

  it('a cluster with no Log Analytics workspace: its gate is inconclusive, which halts the rollout rather than guessing', async () => {
    const run = await prepare();
    // Container insights and Defender's workspace are gone (after planning, which does not need them): nothing to measure.
    expect(
      run.local.simulator.fleet.updateClusterProperties(WEB_DEV, (properties) => {
        delete (properties['addonProfiles'] as Record<string, unknown>)['omsagent'];
        delete (properties['securityProfile'] as Record<string, unknown>)['defender'];
      }),
    ).toBe(true);
    const started = run.clock.now();
    await run.host.run();
    rehearsal = rehearsalResult(run, started);
    const { outcome } = rehearsal;
    expect(outcome.status).toBe('Halted');
    expect(outcome.haltReason).toBe('wave 0: web-dev: health gate inconclusive: the cluster reports to no Log Analytics workspace');
    // Upgraded (AKS did it), but the gate could not tell whether it is healthy.
    expect(cluster(outcome, WEB_DEV)).toMatchObject({ status: 'Upgraded', gate: 'inconclusive' });
    expect(outcome.waves.map((wave) => wave.status)).toEqual(['Halted', 'NotStarted', 'NotStarted']);
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
  });

  it('a stuck upgrade: the upgrade timeout fires, the cluster fails and the rollout halts', async () => {
    // Each simulated upgrade step takes 10 minutes: a 5-minute budget is a step that never ends in time.
    const run = await prepare({ gates: { upgradeTimeoutMinutes: 5, pollMinutes: 1 } });
    const started = run.clock.now();
    await run.host.run();
    rehearsal = rehearsalResult(run, started);
    const { outcome } = rehearsal;
    expect(outcome.status).toBe('Halted');
    expect(cluster(outcome, WEB_DEV)).toMatchObject({
      status: 'Failed',
      reason: expect.stringMatching(/^the upgrade to 1\.31\.\d+ did not finish within 5 minutes$/),
    });
    expect(outcome.haltReason).toBe('wave 0: 1 failed clusters exceed maxFailedClusters 0');
    // Only the control-plane write of the first hop: no pool step, no second hop.
    expect(writes(run, WEB_DEV)).toBe(1);
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
    // It gave up when the budget ran out, long before the 10-minute step could have finished twice.
    expect(rehearsal.stats.virtualMinutes).toBeLessThan(10);
  });

  it('a cluster deleted after planning fails with that reason before any write, and the rollout halts', async () => {
    const run = await prepare();
    const started = run.clock.now();
    await run.host.run({ until: () => run.host.getStatus(`${run.instanceId}:wave-0`)?.runtimeStatus === 'Completed' });
    expect(run.local.simulator.fleet.removeCluster(CHECKOUT_PROD)).toBe(true);
    await run.host.run();
    rehearsal = rehearsalResult(run, started);
    const { outcome } = rehearsal;
    expect(outcome.status).toBe('Halted');
    expect(cluster(outcome, CHECKOUT_PROD)).toMatchObject({ status: 'Failed', reason: 'the cluster no longer exists' });
    expect(outcome.haltReason).toBe('wave 2: 1 failed clusters exceed maxFailedClusters 0');
    expect(cluster(outcome, WEB_DEV)?.status).toBe('Upgraded');
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
  });

  it('a cluster deleted during its own upgrade fails, and the rollout halts', async () => {
    const run = await prepare();
    const started = run.clock.now();
    await run.host.run({ until: () => writes(run, WEB_DEV) > 0 });
    expect(run.local.simulator.fleet.removeCluster(WEB_DEV)).toBe(true);
    await run.host.run();
    rehearsal = rehearsalResult(run, started);
    const { outcome } = rehearsal;
    expect(outcome.status).toBe('Halted');
    expect(cluster(outcome, WEB_DEV)).toMatchObject({ status: 'Failed', reason: 'cluster web-dev no longer exists' });
    expect(outcome.waves.map((wave) => wave.status)).toEqual(['Halted', 'NotStarted', 'NotStarted']);
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
  });

  it('a cluster stopped after planning is not upgraded: it fails with that reason, no write reaches it, the rollout halts', async () => {
    const run = await prepare();
    const started = run.clock.now();
    await run.host.run({ until: () => run.host.getStatus(`${run.instanceId}:wave-0`)?.runtimeStatus === 'Completed' });
    run.local.simulator.fleet.updateClusterProperties(CHECKOUT_PROD, (properties) => {
      properties['powerState'] = { code: 'Stopped' };
    });
    await run.host.run();
    rehearsal = rehearsalResult(run, started);
    const { outcome } = rehearsal;
    expect(outcome.status).toBe('Halted');
    expect(cluster(outcome, CHECKOUT_PROD)).toMatchObject({ status: 'Failed', reason: 'the cluster was stopped after planning' });
    expect(outcome.haltReason).toBe('wave 2: 1 failed clusters exceed maxFailedClusters 0');
    expect(writes(run, CHECKOUT_PROD)).toBe(0);
  });
});
