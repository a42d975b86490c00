/**
 * Chaos: the local durable host is crashed (everything in flight that no history records is lost,
 * and those activities run again) at seeded random points of a rollout, 30 seeds. Whatever the
 * crash points, every upgrade step reaches ARM exactly once, the outcome is the crash-free one,
 * and once a wave halts no cluster that had not started yet receives an upgrade write.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients } from '../../lib/app/clients.js';
import { ACTIVITY_RETRY, type ClusterOutcome, ORCHESTRATIONS, type RolloutOutcome } from '../../lib/upgrades/orchestrators.js';
import type { PlannedCluster, RolloutRequest } from '../../lib/upgrades/plan.js';
import { prepareRehearsal, type Rehearsal, rehearsalResult } from '../../tooling/local/rehearsal.js';
import { type FaultPlan, seededRandom } from '../../tooling/simulator/faults.js';
import { generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { routingDocument, SECRETS } from '../harness/alerts.js';
import { planRequest } from '../harness/rolloutRequests.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

// 30 seeds (each scenario 7–8 times, 3–6 crashes each): 50 took 36 s of the 300 s suite budget on 2 cores.
const SEEDS = 30;
const UPGRADE_WRITES = new Set(['arm.putManagedCluster', 'arm.putAgentPool', 'arm.upgradeNodeImageVersion']);

/**
 * 8 clusters in 4 rings. Wave 0: aks-00004 (1.29 → 1.32, three hops); wave 1: aks-00001 then
 * aks-00005 (maxParallel 1, so two batches); wave 2: aks-00006; wave 3 is at the target already.
 * aks-00000 is Failed (excluded).
 */
const FLEET = () => generateFleet({ clusters: 8, subscriptions: 2, locations: 1 });

const REQUEST: RolloutRequest = planRequest({ allowMultiMinorHops: true, dryRun: false });

/** Writes per cluster when nothing halts: hops × (control plane + system pool). */
const ALL_WRITES = { 'aks-00001': 2, 'aks-00004': 6, 'aks-00005': 4, 'aks-00006': 2 };

/** Each scenario halts at a different place, for a different reason, or runs through. */
const SCENARIOS = [
  { name: 'no halt', injectAnomaly: [], injectFailure: [], halting: undefined, neverWritten: [] },
  { name: 'anomaly in wave 0', injectAnomaly: ['aks-00004'], injectFailure: [], halting: 'aks-00004', neverWritten: ['aks-00001', 'aks-00005', 'aks-00006'] },
  {
    name: 'failed upgrade in the first batch of wave 1',
    injectAnomaly: [],
    injectFailure: ['aks-00001'],
    halting: 'aks-00001',
    neverWritten: ['aks-00005', 'aks-00006'],
  },
  { name: 'anomaly in the last batch of wave 1', injectAnomaly: ['aks-00005'], injectFailure: [], halting: 'aks-00005', neverWritten: ['aks-00006'] },
] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Run {
  rehearsal: Rehearsal;
  steps: number;
  crashed: number;
  /** Finished activity results each crash threw away (their activities run again). */
  lostPerCrash: number[];
  /** Upgrade writes (cluster names) in the order the simulator received them. */
  writes: string[];
  /** How many of them came before the halting cluster's orchestration ended. */
  writesBeforeHalt: number | undefined;
  /** Clusters whose orchestration existed at that moment (in flight or done). */
  startedBeforeHalt: Set<string>;
}

/** One set of tables for every run of this file: nothing here reads them back (the events table is per run, see run()). */
const TABLES = {
  FLEETGUARD_ALERTS_TABLE: uniqueTableName('calerts'),
  FLEETGUARD_FINDINGS_TABLE: uniqueTableName('cfind'),
  FLEETGUARD_ROLLOUTS_TABLE: uniqueTableName('crollouts'),
};

const clusterName = (resourceId: string) => resourceId.split('/').at(-1)?.toLowerCase() ?? '';

async function run(scenario: Scenario, crashPoints: readonly number[]): Promise<Run> {
  const prepared = await prepareRehearsal(
    {
      snapshot: FLEET(),
      request: REQUEST,
      injectAnomaly: [...scenario.injectAnomaly],
      injectFailure: [...scenario.injectFailure],
      // Poll once per simulated operation (10 minutes): fewer steps, same decisions.
      gates: { pollMinutes: 10 },
      tablesConnectionString: azuriteConnectionString(),
      // Notices are read back by the health gate (node-pool rolling failures since the upgrade
      // began), so each run has its own events table: an injected failure of an earlier run, on the
      // same generated cluster and the same virtual clock, must not count in a later run's gate.
      settings: { ...TABLES, FLEETGUARD_EVENTS_TABLE: uniqueTableName('cevents') },
    },
    process.env,
  );
  const started = prepared.clock.now();
  const { host } = prepared;
  const upgradeWrites = () =>
    prepared.local.simulator.requests.entries
      .filter((entry) => UPGRADE_WRITES.has(entry.route))
      .map((entry) => /managedClusters\/([^/]+)/i.exec(entry.path)?.[1]?.toLowerCase() ?? '');
  let steps = 0;
  let crashed = 0;
  const lostPerCrash: number[] = [];
  let activitiesSeen = 0;
  const pending = [...crashPoints].sort((left, right) => left - right);
  let writesBeforeHalt: number | undefined;
  let startedBeforeHalt = new Set<string>();
  try {
    await host.run({
      onStep: (step) => {
        steps = step + 1;
        if (scenario.halting !== undefined && writesBeforeHalt === undefined) {
          const clusters = host.listInstances().filter((instance) => instance.name === ORCHESTRATIONS.cluster);
          const halting = clusters.find(
            (instance) => instance.runtimeStatus === 'Completed' && clusterName((instance.output as ClusterOutcome).resourceId) === scenario.halting,
          );
          if (halting !== undefined) {
            writesBeforeHalt = upgradeWrites().length;
            startedBeforeHalt = new Set(clusters.map((instance) => clusterName((instance.input as { cluster: PlannedCluster }).cluster.resourceId)));
          }
        }
        // Crash at the first step from each chosen point on that follows an activity: its result is
        // not in a history yet, so every crash throws work away.
        const ranActivity = host.activityExecutions > activitiesSeen;
        activitiesSeen = host.activityExecutions;
        if (ranActivity && pending.length > 0 && step >= (pending[0] ?? Infinity)) {
          pending.shift();
          crashed += 1;
          lostPerCrash.push(host.crash());
        }
      },
    });
  } catch (error) {
    await prepared.local.close();
    throw error;
  }
  return { rehearsal: rehearsalResult(prepared, started), steps, crashed, lostPerCrash, writes: upgradeWrites(), writesBeforeHalt, startedBeforeHalt };
}

function statuses(outcome: RolloutOutcome): Record<string, string> {
  return Object.fromEntries(outcome.waves.flatMap((wave) => wave.clusters.map((cluster) => [clusterName(cluster.resourceId), cluster.status])));
}

const references = new Map<string, { outcome: RolloutOutcome; writesByCluster: Record<string, number>; steps: number }>();

beforeAll(async () => {
  for (const scenario of SCENARIOS) {
    const { rehearsal, steps } = await run(scenario, []);
    references.set(scenario.name, { outcome: rehearsal.outcome, writesByCluster: rehearsal.writesByCluster, steps });
    await rehearsal.local.close();
  }
});

describe('rollout chaos: the durable host crashes at random points', () => {
  it('the crash-free runs are what the scenarios intend', () => {
    expect(references.get('no halt')?.outcome.status).toBe('Completed');
    expect(references.get('no halt')?.writesByCluster).toEqual(ALL_WRITES);
    for (const scenario of SCENARIOS.slice(1)) {
      const reference = references.get(scenario.name)!;
      expect(reference.outcome.status, scenario.name).toBe('Halted');
      expect(statuses(reference.outcome)[scenario.halting!], scenario.name).toBe(scenario.injectFailure.length > 0 ? 'Failed' : 'Upgraded');
      expect(reference.outcome.haltReason, scenario.name).toMatch(
        scenario.injectFailure.length > 0 ? /1 failed clusters exceed maxFailedClusters 0/ : new RegExp(`${scenario.halting!}: health gate failed`),
      );
      for (const name of scenario.neverWritten) {
        expect(reference.writesByCluster[name], `${scenario.name}: ${name}`).toBeUndefined();
        expect(statuses(reference.outcome)[name], `${scenario.name}: ${name}`).toBe('NotStarted');
      }
    }
  });

  // The timeouts of this file guard against a hang, not a slow machine: 50 seeds took 80 s on a
  // loaded 2-core machine, and a test that times out keeps its loop running in the background, where
  // its rehearsals share the process's settings with the next test's and corrupt it (one took
  // upgrade writes that were not its own).
  it(`${SEEDS} seeds: each step written once, the crash-free outcome, nothing new starts after a halt`, { timeout: 300_000 }, async () => {
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const scenario = SCENARIOS[seed % SCENARIOS.length] as Scenario;
      const reference = references.get(scenario.name)!;
      const random = seededRandom(seed);
      // 3 to 6 crashes, from points anywhere in the first 60% of the run. Not later: the end has no
      // activities left, and a run's step count varies a little with the order concurrent activities
      // complete in (under CPU load a crash-free run took fewer steps than the reference, so a crash
      // point near the end was never reached).
      const crashPoints = Array.from({ length: 3 + Math.floor(random() * 4) }, () => Math.floor(random() * 0.6 * reference.steps));
      const label = `seed ${seed} (${scenario.name}, crashes from steps ${[...crashPoints].sort((left, right) => left - right).join(', ')})`;

      const { rehearsal, crashed, lostPerCrash, writes, writesBeforeHalt, startedBeforeHalt } = await run(scenario, crashPoints);
      try {
        expect(crashed, label).toBe(crashPoints.length);
        // Each crash lost at least one finished activity result, so that activity ran again. (Not
        // compared with the reference's activity count: the number of health polls varies with the
        // order concurrent activities complete in, so a run under CPU load may run fewer.)
        expect(
          lostPerCrash.every((lost) => lost >= 1),
          `${label}: results lost per crash ${lostPerCrash.join(', ')}`,
        ).toBe(true);
        expect(rehearsal.outcome, label).toEqual(reference.outcome);
        // Every upgrade step reached ARM exactly once: a replayed step would be counted again.
        expect(rehearsal.writesByCluster, label).toEqual(reference.writesByCluster);
        for (const name of scenario.neverWritten) expect(writes, label).not.toContain(name);
        if (scenario.halting !== undefined) {
          expect(writesBeforeHalt, label).toBeDefined();
          // After the halting cluster's orchestration ended, writes go only to clusters already under way then.
          expect(
            writes.slice(writesBeforeHalt).filter((name) => !startedBeforeHalt.has(name)),
            label,
          ).toEqual([]);
        }
      } finally {
        await rehearsal.local.close();
      }
    }
  });
});

/**
 * Chaos of another kind: Azure answers a share of the rollout's ARM calls (reads and writes) with
 * 429 or 5xx. The SDK's own retries are switched off (FLEETGUARD_HTTP_MAX_RETRIES=0) so every fault
 * reaches an activity, which throws it, and Durable's retry (ACTIVITY_RETRY: a durable timer, then
 * another attempt) must absorb it. Then a budget spent: the rollout halts saying so, alerts once and
 * records its status.
 */
const ROLLOUT_ARM_ROUTES = [
  'arm.getManagedCluster',
  'arm.putManagedCluster',
  'arm.getAgentPool',
  'arm.putAgentPool',
  'arm.upgradeNodeImageVersion',
  'arm.getOperationStatus',
  'arm.getMaintenanceConfiguration',
  'policy.queryResults',
];

/**
 * One rollout against a fault plan. The wave gate measures its clusters one at a time
 * (FLEETGUARD_SWEEP_CONCURRENCY 1): the faults are drawn in the order requests arrive, and
 * concurrent probes arrive in an order the machine's load decides, so a seed met different faults
 * from one run to the next (in CI seed 1 once spent the gate's budget). One at a time, each seed
 * meets the same faults every run: it passes or fails every time.
 */
async function faultedRun(faults: (seed: number) => FaultPlan, seed: number, settings: Record<string, string> = {}) {
  const prepared = await prepareRehearsal(
    {
      snapshot: FLEET(),
      request: REQUEST,
      gates: { pollMinutes: 10 },
      tablesConnectionString: azuriteConnectionString(),
      settings: {
        ...TABLES,
        FLEETGUARD_EVENTS_TABLE: uniqueTableName('cevents'),
        FLEETGUARD_HTTP_MAX_RETRIES: '0',
        FLEETGUARD_SWEEP_CONCURRENCY: '1',
        ...settings,
      },
    },
    process.env,
  );
  const started = prepared.clock.now();
  // Planning ran clean; the rollout itself meets the faults.
  prepared.local.simulator.faults.configure(faults(seed));
  try {
    await prepared.host.run();
  } catch (error) {
    await prepared.local.close();
    throw error;
  }
  return rehearsalResult(prepared, started);
}

describe('rollout chaos: ARM throttles and fails a fifth of the rollout calls', () => {
  /** 10 % throttled (Retry-After in ms, so the SDK would not sleep long if it retried), about 10 % 500 or 503. */
  const fifth = (seed: number): FaultPlan => ({
    seed,
    routes: Object.fromEntries(
      ROLLOUT_ARM_ROUTES.map((route, index) => [
        route,
        { throttle: { rate: 0.1, retryAfterMs: 5 }, serverError: { rate: 0.112, status: index % 2 === 0 ? 500 : 503 } },
      ]),
    ),
  });

  it(
    "3 seeds: the clean run's outcome, each cluster upgraded exactly once, the faults reached the activities and were retried",
    { timeout: 120_000 },
    async () => {
      const reference = references.get('no halt')!;
      for (const seed of [1, 2, 3]) {
        const rehearsal = await faultedRun(fifth, seed);
        try {
          const requests = rehearsal.local.simulator.requests.entries.filter((entry) => ROLLOUT_ARM_ROUTES.includes(entry.route));
          const faulted = requests.filter((entry) => entry.status === 429 || entry.status >= 500).length;
          const label = `seed ${seed}: ${faulted} of ${requests.length} ARM calls answered 429 or 5xx, ${rehearsal.host.activityFailures} activity executions failed and were retried`;
          console.log(label);
          expect(faulted / requests.length, label).toBeGreaterThan(0.12);
          expect(rehearsal.host.activityFailures, label).toBeGreaterThan(0);
          expect(rehearsal.outcome, label).toEqual(reference.outcome);
          expect(rehearsal.writesByCluster, label).toEqual(ALL_WRITES);
        } finally {
          await rehearsal.local.close();
        }
      }
    },
  );

  it("a throttle's Retry-After is waited on the rehearsal's clock: three 60 s holds pass at once", { timeout: 30_000 }, async () => {
    const started = performance.now();
    const rehearsal = await faultedRun(() => ({ routes: { 'arm.getManagedCluster': { throttle: { first: 3, retryAfterSeconds: 60 } } } }), 1);
    try {
      expect(rehearsal.outcome).toEqual(references.get('no halt')!.outcome);
      expect(rehearsal.local.simulator.requests.count('arm.getManagedCluster', 429)).toBe(3);
      // Each 429 empties the subscription's read bucket for 60 s (lib/azure/requestLimiter.ts): on the
      // system clock the next read of the rehearsal waited a real minute for each.
      expect(performance.now() - started).toBeLessThan(60_000);
    } finally {
      await rehearsal.local.close();
    }
  });

  it('a budget spent (ARM keeps answering 503): the rollout halts with the reason, one halt alert, the status recorded', { timeout: 30_000 }, async () => {
    const alertTable = uniqueTableName('calerts');
    const rehearsal = await faultedRun(() => ({ routes: { 'arm.getManagedCluster': { serverError: { rate: 1, status: 503 } } } }), 1, {
      FLEETGUARD_ALERTS_TABLE: alertTable,
      FLEETGUARD_ALERT_ROUTES: routingDocument('- { name: digest, receiver: slack }'),
      ...SECRETS,
    });
    try {
      const { outcome, host, local } = rehearsal;
      expect(host.getStatus('rehearsal')?.runtimeStatus).toBe('Completed');
      expect(outcome.status).toBe('Halted');
      expect(outcome.haltReason).toMatch(
        new RegExp(`^wave 0: aks-00004: gave up after ${ACTIVITY_RETRY.maxNumberOfAttempts} attempts: reading managed cluster rg-4/aks-00004 .*HTTP 503`),
      );
      expect(statuses(outcome)).toMatchObject({ 'aks-00004': 'Failed', 'aks-00001': 'NotStarted', 'aks-00005': 'NotStarted', 'aks-00006': 'NotStarted' });
      // Every attempt reached ARM: the budget, no more.
      expect(local.simulator.requests.count('arm.getManagedCluster', 503)).toBe(ACTIVITY_RETRY.maxNumberOfAttempts);
      expect(rehearsal.writesByCluster).toEqual({});
      const clients = createAzureClients(local.config);
      const haltAlerts = (await clients.alertStore!.allEntries('slack')).filter((entry) => entry.body.includes('ROLLOUT-HALTED'));
      expect(haltAlerts).toHaveLength(1);
      expect(haltAlerts[0]?.body).toContain('gave up after');
      const recorded = await clients.rollouts!.clusterStatuses('rehearsal');
      expect(recorded.find((cluster) => cluster.resourceId.endsWith('/aks-00004'))).toMatchObject({
        status: 'Failed',
        reason: expect.stringMatching(/^gave up after/),
      });
      expect((await clients.rollouts!.list()).find((record) => record.rolloutId === 'rehearsal')?.status).toBe('Halted');
    } finally {
      await rehearsal.local.close();
    }
  });
});
