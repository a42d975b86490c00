/**
 * `fleetguard rollout`: rehearses a rollout on a fleet snapshot. The simulator serves the snapshot
 * (upgrades take simulated time), Azurite holds the app's tables, and the app's own registered
 * orchestrations run on the local durable host with a virtual clock shared with the simulator.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createAzureClients } from '../app/clients.js';
import { resetRuntimeForLocalHost } from '../app/runtime.js';
import { FleetGuardError } from '../errors.js';
import { LocalDurableHost, VirtualClock } from '../local/durableHost.js';
import { LocalFunctionsHost } from '../local/functionsHost.js';
import { type LocalAzure, startLocalAzure } from '../simulator/localAzure.js';
import type { FleetSnapshot } from '../simulator/snapshot.js';
import { planFromFleet } from './fleetPlanner.js';
import { DEFAULT_GATES, type GateSettings, ORCHESTRATIONS, type RolloutInput, type RolloutOutcome } from './orchestrators.js';
import { clustersToUpgrade, nothingToUpgradeLine, planNotUpgrading, requireWaveTag, type RolloutPlan, type RolloutRequest } from './plan.js';

export interface RehearsalOptions {
  snapshot: FleetSnapshot;
  request: RolloutRequest;
  injectAnomaly?: string[];
  injectFailure?: string[];
  gates?: Partial<GateSettings>;
  /** Reuse this Azurite (tests); otherwise one starts in-process. */
  tablesConnectionString?: string;
  /** More app settings (alert routing, for instance). */
  settings?: Record<string, string>;
  /**
   * Deprecated Kubernetes API use AKS has seen on these clusters within the last hour, which its
   * pre-flight refuses minor upgrades over (lib/simulator/upgradeSimulation.ts).
   */
  deprecatedApiUsage?: Array<{ cluster: string; api: string; removedIn: string }>;
  /** How long a halted rollout waits for resume or abort (the HTTP API: 7 days); 0, the default, ends it Halted at once. */
  haltWaitMinutes?: number;
  /** Between host steps, e.g. to crash the host at chosen points. */
  onStep?: (step: number, host: LocalDurableHost) => void;
}

export interface Rehearsal {
  outcome: RolloutOutcome;
  /** Writes (PUT/POST) the simulator saw per cluster name. */
  writesByCluster: Record<string, number>;
  /** Orchestrator replays, activities run, largest history. */
  stats: { replays: number; activities: number; largestHistory: number; virtualMinutes: number };
  local: LocalAzure;
  host: LocalDurableHost;
}

/** The compiled functions entry next to this module (dist), or the TypeScript one (tests). */
function functionsEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? path.resolve(path.dirname(here), '..', '..', 'functions', 'index.ts') : path.resolve(path.dirname(here), '..', '..', 'functions', 'index.js');
}

export interface PreparedRehearsal {
  host: LocalDurableHost;
  local: LocalAzure;
  instanceId: string;
  clock: VirtualClock;
}

/** Sets everything up and starts the orchestration, without running it. */
export async function prepareRehearsal(options: RehearsalOptions, env: Record<string, string | undefined>): Promise<PreparedRehearsal> {
  const clock = new VirtualClock();
  const local = await startLocalAzure({
    snapshot: options.snapshot,
    withTables: options.tablesConnectionString === undefined,
    ...(options.tablesConnectionString === undefined ? {} : { tablesConnectionString: options.tablesConnectionString }),
    upgrades: { now: clock.now, upgradeMinutes: 10 },
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  });
  try {
    return await startOrchestration(local, clock, options, env);
  } catch (error) {
    // Setup failed (an unusable target, say): leave nothing running.
    await local.close();
    throw error;
  }
}

async function startOrchestration(local: LocalAzure, clock: VirtualClock, options: RehearsalOptions, env: Record<string, string | undefined>): Promise<PreparedRehearsal> {
  for (const name of options.injectAnomaly ?? []) local.simulator.upgrades.anomalousClusters.add(name.toLowerCase());
  for (const name of options.injectFailure ?? []) local.simulator.upgrades.failingClusters.add(name.toLowerCase());
  for (const usage of options.deprecatedApiUsage ?? []) local.simulator.upgrades.deprecatedApiUsage.set(usage.cluster.toLowerCase(), { api: usage.api, removedIn: usage.removedIn, lastSeen: clock.now() - 60 * 60_000 });

  // The app reads its settings from the environment, as in Azure; the rehearsal points it here.
  Object.assign(env, local.settings);
  resetRuntimeForLocalHost();
  const functions = await LocalFunctionsHost.load(functionsEntry());

  const clients = createAzureClients(local.config);
  const plan = await planFromFleet(clients, [], options.request);
  // Inputs that cannot mean what they say are refused before anything runs (CONTRACTS.md §4: exit 2).
  requireWaveTag(plan, options.request, '--waves-by-tag');
  requireInjectedInPlan(plan, 'inject-anomaly', options.injectAnomaly ?? []);
  requireInjectedInPlan(plan, 'inject-failure', options.injectFailure ?? []);
  const host = new LocalDurableHost(functions, clock);
  const requestedBy = 'fleetguard rollout (rehearsal)';
  const input: RolloutInput = { rolloutId: 'rehearsal', plan, gates: { ...DEFAULT_GATES, ...options.gates }, requestedBy, haltWaitMinutes: options.haltWaitMinutes ?? 0 };
  const instanceId = host.startNew(ORCHESTRATIONS.rollout, input, 'rehearsal');
  // As the HTTP API does, so the history (and the fleet report) shows what was started and by whom.
  if (clients.rollouts !== undefined) {
    await clients.rollouts.ensureTable();
    await clients.rollouts.recordStart({
      rolloutId: 'rehearsal',
      target: plan.target,
      upgradeType: plan.upgradeType,
      requestedBy,
      createdAt: new Date(clock.now()).toISOString(),
      waves: plan.waves.length,
      clusters: plan.waves.reduce((sum, wave) => sum + wave.clusters.length, 0),
    }, 'replace');
  }
  return { host, local, instanceId, clock };
}

/**
 * Throws `badInput` naming an injected cluster the plan does not upgrade: a typo, or a cluster that
 * is excluded or already at the target, would otherwise make a halt drill pass without testing anything.
 */
function requireInjectedInPlan(plan: RolloutPlan, flag: string, names: readonly string[]): void {
  const upgrading = new Set(clustersToUpgrade(plan).map((cluster) => cluster.name.toLowerCase()));
  for (const name of names) {
    if (upgrading.has(name.toLowerCase())) continue;
    const other = planNotUpgrading(plan).find((entry) => (entry.resourceId.split('/').at(-1) ?? '').toLowerCase() === name.toLowerCase());
    const why = other === undefined ? `is not a cluster in the plan (it upgrades: ${[...upgrading].join(', ') || 'none'})` : `is not upgraded by the plan (${other.kind}: ${other.reason})`;
    throw new FleetGuardError('badInput', `--${flag}: '${name}' ${why}`);
  }
}

/** The CONTRACTS.md §4 document: the gates' internal context is not part of it. */
function withoutGateContext(outcome: RolloutOutcome): RolloutOutcome {
  return { ...outcome, waves: outcome.waves.map((wave) => ({ ...wave, clusters: wave.clusters.map(({ gateContext: _context, ...cluster }) => cluster) })) };
}

/** The outcome of a prepared rehearsal once its host has run. */
export function rehearsalResult(prepared: PreparedRehearsal, started: number): Rehearsal {
  const { host, local, instanceId, clock } = prepared;
  const status = host.getStatus(instanceId);
  const outcome: RolloutOutcome =
    status?.runtimeStatus === 'Completed'
      ? withoutGateContext(status.output as RolloutOutcome)
      : { status: 'Failed', haltReason: status?.error ?? `the orchestration ended ${status?.runtimeStatus ?? 'unknown'}`, waves: [], excluded: [] };
  const writesByCluster: Record<string, number> = {};
  for (const [clusterId, count] of local.simulator.upgrades.writesByCluster) writesByCluster[clusterId.split('/').at(-1) ?? clusterId] = count;
  return {
    outcome,
    writesByCluster,
    stats: {
      replays: host.replays,
      activities: host.activityExecutions,
      largestHistory: Math.max(0, ...host.listInstances().map((instance) => instance.historyLength)),
      virtualMinutes: Math.round((clock.now() - started) / 60_000),
    },
    local,
    host,
  };
}

/** Clusters the rehearsal upgraded. */
export function upgradedCount(outcome: RolloutOutcome): number {
  return outcome.waves.reduce((sum, wave) => sum + wave.clusters.filter((cluster) => cluster.status === 'Upgraded').length, 0);
}

/**
 * One line saying why a rehearsal that ran to completion upgraded nothing (every cluster excluded,
 * by the plan or by AKS, or already at the target); null when something was upgraded, or when the
 * rollout halted or failed, which its status already says.
 */
export function nothingUpgraded(outcome: RolloutOutcome, target: string): string | null {
  if (outcome.status !== 'Completed' || upgradedCount(outcome) > 0) return null;
  const skipped = outcome.waves.flatMap((wave) => wave.clusters.filter((cluster) => cluster.status === 'Skipped').map((cluster) => ({ resourceId: cluster.resourceId, reason: cluster.reason ?? '', kind: 'skipped' as const })));
  return nothingToUpgradeLine(target, [...outcome.excluded.map((entry) => ({ ...entry, kind: 'excluded' as const })), ...skipped]);
}

export async function rehearseRollout(options: RehearsalOptions, env: Record<string, string | undefined>): Promise<Rehearsal> {
  const prepared = await prepareRehearsal(options, env);
  const started = prepared.clock.now();
  await prepared.host.run({ ...(options.onStep ? { onStep: (step: number) => options.onStep?.(step, prepared.host) } : {}) });
  return rehearsalResult(prepared, started);
}
