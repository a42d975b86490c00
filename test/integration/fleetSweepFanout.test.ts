/**
 * The fleet sweep fanned out over Durable Functions (issue 19): the registered `fleetSweep` timer,
 * orchestrations and activities invoked the way the host invokes them (tooling/local/functionsHost.ts),
 * the orchestrators run through the real durable-functions replay code (tooling/local/durableHost.ts),
 * real SDK clients over HTTPS to the simulator, findings, records and the alert outbox in Azurite.
 *
 * 12 generated clusters in 4 subscriptions. The same fleet is swept by one invocation (the fleet is
 * under the threshold) and then fanned out (threshold lowered, fresh tables): 4 shards of one
 * subscription, at most 2 in flight.
 */
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAzureClients, sweepDependencies } from '../../lib/app/clients.js';
import { FAN_OUT_STALE_AFTER_MS, runFleetSweepTick } from '../../lib/app/fleetSweepFanOut.js';
import { resetRuntimeForLocalHost } from '../../lib/app/runtime.js';
import { parseConfig } from '../../lib/config.js';
import { FleetGuardError } from '../../lib/errors.js';
import { createFleetSweepActivities } from '../../lib/sweep/fleetSweepActivities.js';
import { FLEET_SWEEP_ACTIVITIES, FLEET_SWEEP_INSTANCE_ID, type FleetSweepSummary, type ShardInput } from '../../lib/sweep/fleetSweepOrchestrator.js';
import { type DurableClientShim, startDurableClientShim } from '../../tooling/local/durableClientShim.js';
import { LocalDurableHost, VirtualClock } from '../../tooling/local/durableHost.js';
import { LocalFunctionsHost } from '../../tooling/local/functionsHost.js';
import { generatedSubscriptions, generateFleet } from '../../tooling/simulator/fleetGenerator.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { type RunningSink, startWebhookSink } from '../../tooling/simulator/webhookSink.js';
import { ROUTES_YAML, SECRETS } from '../harness/alerts.js';
import { projectRoot } from '../harness/fixtures.js';
import { azuriteConnectionString, uniqueTableName } from '../harness/tables.js';

let local: LocalAzure;
let sink: RunningSink;
let host: LocalFunctionsHost;
let durable: LocalDurableHost;
let shim: DurableClientShim;

/** The app's settings now: fresh tables, and the fan-out threshold and shape given. */
function useSettings(fanOut: Record<string, string>): void {
  Object.assign(process.env, {
    FLEETGUARD_FINDINGS_TABLE: uniqueTableName('fofind'),
    FLEETGUARD_SWEEPS_TABLE: uniqueTableName('fosweep'),
    FLEETGUARD_ALERTS_TABLE: uniqueTableName('foalert'),
    ...fanOut,
  });
  resetRuntimeForLocalHost();
}

function stores() {
  const clients = createAzureClients(parseConfig(process.env));
  return { findings: clients.findings!, sweeps: clients.sweeps!, alerts: clients.alertStore! };
}

/** The open findings, as comparable lines (what a sweep decided, not when). */
async function openFindings(): Promise<string[]> {
  const open = await stores().findings.listFindings({ status: 'open' });
  return open.map((finding) => `${finding.fingerprint} ${finding.ruleId} ${finding.severity} ${finding.resourceId.toLowerCase()} ${finding.detail}`).sort();
}

/** Messages queued for the pager (the route that is not a digest). */
async function pagerMessages(): Promise<number> {
  return (await stores().alerts.outbox.allEntries('pager')).length;
}

const FAN_OUT = { FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS: '4', FLEETGUARD_SWEEP_SHARD_SUBSCRIPTIONS: '1', FLEETGUARD_SWEEP_MAX_SHARDS: '2' };

/** One tick that fans out, then the task hub until it settles; the most shard activities queued at once. */
async function fanOutTick(): Promise<{ summary: FleetSweepSummary; peakQueued: number }> {
  await host.invokeTimer('fleetSweep');
  let peakQueued = 0;
  await durable.run({ onStep: () => (peakQueued = Math.max(peakQueued, durable.pendingActivities(FLEET_SWEEP_ACTIVITIES.shard))) });
  const status = durable.getStatus(FLEET_SWEEP_INSTANCE_ID);
  expect(status?.runtimeStatus, status?.error).toBe('Completed');
  return { summary: status?.output as FleetSweepSummary, peakQueued };
}

/** Replaces the shard activity's handler for the duration of `body`. */
async function withShardHandler(
  wrap: (original: (input: unknown, ...rest: unknown[]) => Promise<unknown>) => (input: unknown, ...rest: unknown[]) => Promise<unknown>,
  body: () => Promise<void>,
): Promise<void> {
  const captured = host.get(FLEET_SWEEP_ACTIVITIES.shard);
  host.functions.set(FLEET_SWEEP_ACTIVITIES.shard, {
    ...captured,
    handler: wrap(captured.handler as (input: unknown, ...rest: unknown[]) => Promise<unknown>),
  });
  try {
    await body();
  } finally {
    host.functions.set(FLEET_SWEEP_ACTIVITIES.shard, captured);
  }
}

let single: { findings: string[]; pager: number };

beforeAll(async () => {
  sink = await startWebhookSink();
  local = await startLocalAzure({
    snapshot: generateFleet({ clusters: 12, subscriptions: 4, locations: 1 }),
    tablesConnectionString: azuriteConnectionString(),
    settings: {
      FLEETGUARD_EVENTS_TABLE: uniqueTableName('foevent'),
      FLEETGUARD_ALERT_ROUTES: ROUTES_YAML,
      FLEETGUARD_ALERT_ENDPOINT: sink.url,
      FLEETGUARD_HTTP_MAX_RETRIES: '0',
      ...SECRETS,
    },
  });
  Object.assign(process.env, local.settings);
  // 4 subscriptions, under the threshold of 5: one invocation.
  useSettings({ ...FAN_OUT, FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS: '5' });
  host = await LocalFunctionsHost.load(path.join(projectRoot, 'functions', 'index.ts'));
  // The timer passes the real time: the task hub's clock starts there, so a fan-out's age is true.
  durable = new LocalDurableHost(host, new VirtualClock(Date.now()));
  shim = await startDurableClientShim(durable);
  host.bindingInputs.set('durableClient', { string: JSON.stringify(shim.clientData) });
});

afterAll(async () => {
  await shim?.close();
  await local?.close();
  await sink?.close();
});

describe('the fleet sweep fanned out on Durable Functions', () => {
  it('registers the timer with a durable client, the orchestrations and their activities', () => {
    expect(host.triggerBinding('fleetSweep')[1]).toMatchObject({ type: 'timerTrigger', schedule: '0 */15 * * * *' });
    expect(Object.values(host.get('fleetSweep').metadata.bindings).map((binding) => binding.type)).toContain('durableClient');
    for (const name of ['fleetSweepOrchestrator', 'fleetSweepLaneOrchestrator'])
      expect(host.triggerBinding(name)[1]).toMatchObject({ type: 'orchestrationTrigger' });
    for (const name of Object.values(FLEET_SWEEP_ACTIVITIES)) expect(host.triggerBinding(name)[1]).toMatchObject({ type: 'activityTrigger' });
  });

  it('under the threshold the timer sweeps in its own invocation (no orchestration)', async () => {
    await host.invokeTimer('fleetSweep');
    expect(durable.getStatus(FLEET_SWEEP_INSTANCE_ID)).toBeUndefined();
    single = { findings: await openFindings(), pager: await pagerMessages() };
    expect(single.findings.length).toBeGreaterThan(12);
    expect(single.pager).toBeGreaterThan(0);
    expect((await stores().sweeps.latest(1))[0]).toMatchObject({ trigger: 'timer', status: 'succeeded', clusters: 12 });
  });

  it('at the threshold it fans out: same findings and alerts, shards bounded in flight, one record; a shard retried after it wrote queues nothing twice', async () => {
    useSettings(FAN_OUT);
    let retried = false;
    const failuresBefore = durable.activityFailures;
    let result: Awaited<ReturnType<typeof fanOutTick>> | undefined;
    await withShardHandler(
      (original) =>
        async (input, ...rest) => {
          const output = await original(input, ...rest);
          // Shard 2's first attempt wrote its findings and queued its alerts, then its worker was lost.
          if ((input as ShardInput).shard.index === 2 && !retried) {
            retried = true;
            throw new Error('worker lost after the shard wrote (simulated)');
          }
          return output;
        },
      async () => {
        // A second tick while the first fan-out is pending starts none (one instance at a time).
        await host.invokeTimer('fleetSweep');
        await host.invokeTimer('fleetSweep');
        expect(host.logsOf('fleetSweep').some((log) => log.level === 'warning' && /previous fan-out .* is still Pending/.test(log.message))).toBe(true);
        let peakQueued = 0;
        await durable.run({ onStep: () => (peakQueued = Math.max(peakQueued, durable.pendingActivities(FLEET_SWEEP_ACTIVITIES.shard))) });
        const status = durable.getStatus(FLEET_SWEEP_INSTANCE_ID);
        expect(status?.runtimeStatus, status?.error).toBe('Completed');
        result = { summary: status?.output as FleetSweepSummary, peakQueued };
      },
    );
    expect(retried).toBe(true);
    expect(durable.activityFailures - failuresBefore).toBe(1);
    expect(durable.activitiesByName.get(FLEET_SWEEP_ACTIVITIES.shard)).toBe(5);
    expect(result?.peakQueued).toBe(2);
    expect(result?.summary).toMatchObject({ status: 'succeeded', shards: 4, failedShards: [], subscriptions: 4, clusters: 12, recorded: true });

    expect(await openFindings()).toEqual(single.findings);
    expect(await pagerMessages()).toBe(single.pager);
    const { sweeps } = stores();
    const [record] = await sweeps.latest(1);
    expect(record).toMatchObject({ trigger: 'timer', status: 'succeeded', clusters: 12, subscriptions: 4, findings: single.findings.length });
    expect(await sweeps.clusters(record!.sweepId)).toHaveLength(12);
    const activityLogs = host.logsOf(FLEET_SWEEP_ACTIVITIES.record).map((log) => log.message);
    expect(activityLogs.some((message) => message.includes(`sweep ${record!.sweepId} (fan-out): Sweep succeeded: 12 clusters in 4/4 subscriptions`))).toBe(
      true,
    );
  });

  it("a shard that fails past its retries is an error naming its subscriptions; the others' findings land and the record is partial", async () => {
    useSettings(FAN_OUT);
    durable.clock.advanceTo(durable.clock.now() + 15 * 60_000);
    let failing: string[] = [];
    const failuresBefore = durable.activityFailures;
    const executedBefore = durable.activitiesByName.get(FLEET_SWEEP_ACTIVITIES.shard) ?? 0;
    let summary: FleetSweepSummary | undefined;
    await withShardHandler(
      (original) =>
        (input, ...rest) => {
          const { shard } = input as ShardInput;
          if (shard.index !== 1) return original(input, ...rest);
          failing = shard.subscriptions;
          return Promise.reject(new Error('findings table write failed (503)'));
        },
      async () => {
        summary = (await fanOutTick()).summary;
      },
    );
    // 3 attempts with Durable's retry, then the tolerant one.
    expect(durable.activityFailures - failuresBefore).toBe(4);
    expect((durable.activitiesByName.get(FLEET_SWEEP_ACTIVITIES.shard) ?? 0) - executedBefore).toBe(3 + 4);
    expect(summary).toMatchObject({ status: 'partial', shards: 4, failedShards: [1], clusters: 9 });

    const { sweeps } = stores();
    const [record] = await sweeps.latest(1);
    expect(record).toMatchObject({ status: 'partial', subscriptions: 4, subscriptionsFailed: 1, clusters: 9 });
    expect(record?.errors).toContain(`shard 1 (subscriptions ${failing[0]}) not swept: failed after 4 attempts: findings table write failed (503)`);
    const expected = single.findings.filter((line) => !line.includes(`/subscriptions/${failing[0]}/`));
    expect(expected.length).toBeLessThan(single.findings.length);
    expect(await openFindings()).toEqual(expected);
  });

  it('a listing that fails past its retries records the sweep failed, naming the discovery error', async () => {
    useSettings(FAN_OUT);
    durable.clock.advanceTo(durable.clock.now() + 15 * 60_000);
    const captured = host.get(FLEET_SWEEP_ACTIVITIES.list);
    host.functions.set(FLEET_SWEEP_ACTIVITIES.list, { ...captured, handler: () => Promise.reject(new Error('subscriptions: HTTP 503')) });
    let summary: FleetSweepSummary | undefined;
    try {
      summary = (await fanOutTick()).summary;
    } finally {
      host.functions.set(FLEET_SWEEP_ACTIVITIES.list, captured);
    }
    expect(summary).toMatchObject({ status: 'failed', shards: 0, subscriptions: 0, recorded: true });
    const [record] = await stores().sweeps.latest(1);
    expect(record).toMatchObject({ status: 'failed', subscriptions: 0, clusters: 0 });
    expect(record?.errors).toContain('listing the subscriptions: subscriptions: HTTP 503');
    expect(host.logsOf(FLEET_SWEEP_ACTIVITIES.record).some((log) => log.level === 'error' && log.message.includes(`sweep ${record!.sweepId} failed`))).toBe(
      true,
    );
  });

  it('a fan-out still running after the stale bound is terminated by a tick; the next tick starts a new one', async () => {
    useSettings(FAN_OUT);
    await host.invokeTimer('fleetSweep');
    expect(durable.getStatus(FLEET_SWEEP_INSTANCE_ID)?.runtimeStatus).toBe('Pending');
    const created = Date.parse(durable.getStatus(FLEET_SWEEP_INSTANCE_ID)!.createdTime);
    const starter = {
      startNew: (name: string, options: { instanceId: string; input: unknown }) => Promise.resolve(durable.startNew(name, options.input, options.instanceId)),
      getStatus: (instanceId: string) => Promise.resolve(durable.getStatus(instanceId)),
      terminate: (instanceId: string, reason: string) => Promise.resolve(durable.terminate(instanceId, reason)),
    };
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const soon = await runFleetSweepTick(() => starter, log, { now: new Date(created + 60_000), isPastDue: false });
    expect(soon).toMatchObject({ path: 'fanOut', skipped: 'running' });
    const late = await runFleetSweepTick(() => starter, log, { now: new Date(created + FAN_OUT_STALE_AFTER_MS + 60_000), isPastDue: false });
    expect(late).toMatchObject({ path: 'fanOut', skipped: 'terminatedHung' });
    expect(durable.getStatus(FLEET_SWEEP_INSTANCE_ID)?.runtimeStatus).toBe('Terminated');
    const next = await runFleetSweepTick(() => starter, log, { now: new Date(created + FAN_OUT_STALE_AFTER_MS + 120_000), isPastDue: false });
    expect(next).toMatchObject({ path: 'fanOut', subscriptions: 4, started: expect.any(String) });
    expect(durable.getStatus(FLEET_SWEEP_INSTANCE_ID)?.runtimeStatus).toBe('Pending');
  });

  it('a shard activity throws for a retry when a subscription 500s, not when one refuses the identity; its tolerant attempt keeps the rest', async () => {
    useSettings(FAN_OUT);
    const [failing, forbidden, healthy] = generatedSubscriptions({ clusters: 12, subscriptions: 4, locations: 1 });
    const clients = createAzureClients(parseConfig(process.env));
    const { inCluster: _none, ...deps } = sweepDependencies(clients);
    void _none;
    // The simulator has no per-subscription 500: the real reader, its listing of one subscription failing as the SDK adapter reports a 500 past its retries.
    const fleet = {
      ...deps.fleet,
      listClusters: (subscriptionId: string) =>
        subscriptionId === failing
          ? Promise.reject(new FleetGuardError('serverError', `listing clusters of ${subscriptionId}: HTTP 500`, { status: 500 }))
          : deps.fleet.listClusters(subscriptionId),
    };
    const activities = createFleetSweepActivities({ sweep: { ...deps, fleet }, subscriptions: [] });
    const context = { sweepId: 'shard-test', startedAt: new Date().toISOString(), trigger: 'timer', concurrency: 4 };
    const shard = { index: 0, subscriptions: [failing!, forbidden!, healthy!] };
    local.simulator.faults.configure({ forbiddenSubscriptions: [forbidden!] });
    try {
      await expect(activities.shardActivity({ context, shard, tolerant: false })).rejects.toThrow(
        new RegExp(`shard 0: 1 subscription\\(s\\) not swept \\(subscription ${failing}: .*HTTP 500`),
      );
      const outcome = await activities.shardActivity({ context, shard, tolerant: true });
      expect(outcome.stats.subscriptions).toEqual({ total: 3, succeeded: 1, failed: 2 });
      expect(outcome.errors.map((error) => `${error.scope} ${error.target} ${error.reason}`).sort()).toEqual(
        [`subscription ${failing} serverError`, `subscription ${forbidden} authError`].sort(),
      );
      // Refused alone: a retry cannot help, the outcome comes back at once.
      await expect(activities.shardActivity({ context, shard: { index: 1, subscriptions: [forbidden!, healthy!] }, tolerant: false })).resolves.toMatchObject({
        stats: { subscriptions: { succeeded: 1, failed: 1 } },
      });
    } finally {
      local.simulator.faults.configure({});
    }
  });
});
