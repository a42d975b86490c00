/**
 * `fleetguard rollout`: rehearses a rollout on a fleet snapshot. The simulator serves the snapshot
 * (upgrades take simulated time), Azurite holds the app's tables, and the app's own registered
 * orchestrations run on the local durable host with a virtual clock shared with the simulator.
 * Those are local tooling: the caller supplies them (`RehearsalTooling`, tooling/local/rehearsal.ts),
 * so this feature imports none of them.
 */
import { FleetGuardError } from '../errors.js';
import { planFromFleet, type PlanningSources } from './fleetPlanner.js';
import { DEFAULT_GATES, type GateSettings, ORCHESTRATIONS, type RolloutInput, type RolloutOutcome } from './orchestrators.js';
import { clustersToUpgrade, nothingToUpgradeLine, planNotUpgrading, requireWaveTag, type RolloutPlan, type RolloutRequest } from './plan.js';
import type { RolloutStore } from './rolloutStore.js';

/** The simulated Azure a rehearsal runs on. */
export interface RehearsalAzure {
  close(): Promise<void>;
}

/** The virtual clock the simulator and the durable host share. */
export interface RehearsalClock {
  now(): number;
}

/** The durable host that runs the app's registered orchestrations. */
export interface RehearsalHost {
  startNew(name: string, input: unknown, instanceId: string): string;
  run(options: { onStep?: (step: number) => void }): Promise<void>;
  getStatus(instanceId: string): { runtimeStatus: string; output: unknown; error: string | undefined } | undefined;
  listInstances(): Array<{ historyLength: number }>;
  readonly replays: number;
  readonly activityExecutions: number;
}

/** The concrete types a tooling works with, so a caller gets its own simulator and host back. */
export interface RehearsalKinds {
  snapshot: unknown;
  azure: RehearsalAzure;
  host: RehearsalHost;
  clock: RehearsalClock;
}

/** What to make go wrong in the simulated fleet. */
export interface RehearsalFaults {
  anomalous: readonly string[];
  failing: readonly string[];
  deprecatedApiUsage: ReadonlyArray<{ cluster: string; api: string; removedIn: string }>;
}

/** Local tooling a rehearsal runs on, injected by the caller (the CLI, tests): tooling/local/rehearsal.ts. */
export interface RehearsalTooling<K extends RehearsalKinds> {
  newClock(): K['clock'];
  /** The simulated Azure serving the snapshot on `clock`, with its tables and the faults injected. */
  startAzure(options: {
    snapshot: K['snapshot'];
    clock: K['clock'];
    tablesConnectionString?: string;
    settings?: Record<string, string>;
    faults: RehearsalFaults;
  }): Promise<K['azure']>;
  /** Points the app at `azure` (its settings into `env`) and loads its registered functions onto a durable host on `clock`. */
  startHost(azure: K['azure'], clock: K['clock'], env: Record<string, string | undefined>): Promise<K['host']>;
  /** The app's own clients for the simulated Azure (its composition root). */
  sources(azure: K['azure']): PlanningSources & { rollouts?: Pick<RolloutStore, 'ensureTable' | 'recordStart'> | undefined };
  /** Writes (PUT/POST) the simulator saw, by cluster resource id. */
  writesByCluster(azure: K['azure']): Iterable<[string, number]>;
}

export interface RehearsalOptions<K extends RehearsalKinds> {
  snapshot: K['snapshot'];
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
   * pre-flight refuses minor upgrades over (tooling/simulator/upgradeSimulation.ts).
   */
  deprecatedApiUsage?: Array<{ cluster: string; api: string; removedIn: string }>;
  /** How long a halted rollout waits for resume or abort (the HTTP API: 7 days); 0, the default, ends it Halted at once. */
  haltWaitMinutes?: number;
  /** Between host steps, e.g. to crash the host at chosen points. */
  onStep?: (step: number, host: K['host']) => void;
}

export interface Rehearsal<K extends RehearsalKinds> {
  outcome: RolloutOutcome;
  /** Writes (PUT/POST) the simulator saw per cluster name. */
  writesByCluster: Record<string, number>;
  /** Orchestrator replays, activities run, largest history. */
  stats: { replays: number; activities: number; largestHistory: number; virtualMinutes: number };
  local: K['azure'];
  host: K['host'];
}

export interface PreparedRehearsal<K extends RehearsalKinds> {
  host: K['host'];
  local: K['azure'];
  instanceId: string;
  clock: K['clock'];
  tooling: RehearsalTooling<K>;
}

/** Sets everything up and starts the orchestration, without running it. */
export async function prepareRehearsal<K extends RehearsalKinds>(
  options: RehearsalOptions<K>,
  env: Record<string, string | undefined>,
  tooling: RehearsalTooling<K>,
): Promise<PreparedRehearsal<K>> {
  const clock = tooling.newClock();
  const local = await tooling.startAzure({
    snapshot: options.snapshot,
    clock,
    ...(options.tablesConnectionString === undefined ? {} : { tablesConnectionString: options.tablesConnectionString }),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    faults: { anomalous: options.injectAnomaly ?? [], failing: options.injectFailure ?? [], deprecatedApiUsage: options.deprecatedApiUsage ?? [] },
  });
  try {
    return await startOrchestration(local, clock, options, env, tooling);
  } catch (error) {
    // Setup failed (an unusable target, say): leave nothing running.
    await local.close();
    throw error;
  }
}

async function startOrchestration<K extends RehearsalKinds>(
  local: K['azure'],
  clock: K['clock'],
  options: RehearsalOptions<K>,
  env: Record<string, string | undefined>,
  tooling: RehearsalTooling<K>,
): Promise<PreparedRehearsal<K>> {
  const host = await tooling.startHost(local, clock, env);
  const clients = tooling.sources(local);
  const plan = await planFromFleet(clients, [], options.request);
  // Inputs that cannot mean what they say are refused before anything runs (CONTRACTS.md §4: exit 2).
  requireWaveTag(plan, options.request, '--waves-by-tag');
  requireInjectedInPlan(plan, 'inject-anomaly', options.injectAnomaly ?? []);
  requireInjectedInPlan(plan, 'inject-failure', options.injectFailure ?? []);
  const requestedBy = 'fleetguard rollout (rehearsal)';
  const input: RolloutInput = {
    rolloutId: 'rehearsal',
    plan,
    gates: { ...DEFAULT_GATES, ...options.gates },
    requestedBy,
    haltWaitMinutes: options.haltWaitMinutes ?? 0,
  };
  const instanceId = host.startNew(ORCHESTRATIONS.rollout, input, 'rehearsal');
  // As the HTTP API does, so the history (and the fleet report) shows what was started and by whom.
  if (clients.rollouts !== undefined) {
    await clients.rollouts.ensureTable();
    await clients.rollouts.recordStart(
      {
        rolloutId: 'rehearsal',
        target: plan.target,
        upgradeType: plan.upgradeType,
        requestedBy,
        createdAt: new Date(clock.now()).toISOString(),
        waves: plan.waves.length,
        clusters: plan.waves.reduce((sum, wave) => sum + wave.clusters.length, 0),
      },
      'replace',
    );
  }
  return { host, local, instanceId, clock, tooling };
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
    const why =
      other === undefined
        ? `is not a cluster in the plan (it upgrades: ${[...upgrading].join(', ') || 'none'})`
        : `is not upgraded by the plan (${other.kind}: ${other.reason})`;
    throw new FleetGuardError('badInput', `--${flag}: '${name}' ${why}`);
  }
}

/** The CONTRACTS.md §4 document: the gates' internal context is not part of it. */
function withoutGateContext(outcome: RolloutOutcome): RolloutOutcome {
  return { ...outcome, waves: outcome.waves.map((wave) => ({ ...wave, clusters: wave.clusters.map(({ gateContext: _context, ...cluster }) => cluster) })) };
}

/** The outcome of a prepared rehearsal once its host has run. */
export function rehearsalResult<K extends RehearsalKinds>(prepared: PreparedRehearsal<K>, started: number): Rehearsal<K> {
  const { host, local, instanceId, clock, tooling } = prepared;
  const status = host.getStatus(instanceId);
  const outcome: RolloutOutcome =
    status?.runtimeStatus === 'Completed'
      ? withoutGateContext(status.output as RolloutOutcome)
      : { status: 'Failed', haltReason: status?.error ?? `the orchestration ended ${status?.runtimeStatus ?? 'unknown'}`, waves: [], excluded: [] };
  const writesByCluster: Record<string, number> = {};
  for (const [clusterId, count] of tooling.writesByCluster(local)) writesByCluster[clusterId.split('/').at(-1) ?? clusterId] = count;
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
  const skipped = outcome.waves.flatMap((wave) =>
    wave.clusters
      .filter((cluster) => cluster.status === 'Skipped')
      .map((cluster) => ({ resourceId: cluster.resourceId, reason: cluster.reason ?? '', kind: 'skipped' as const })),
  );
  return nothingToUpgradeLine(target, [...outcome.excluded.map((entry) => ({ ...entry, kind: 'excluded' as const })), ...skipped]);
}

export async function rehearseRollout<K extends RehearsalKinds>(
  options: RehearsalOptions<K>,
  env: Record<string, string | undefined>,
  tooling: RehearsalTooling<K>,
): Promise<Rehearsal<K>> {
  const prepared = await prepareRehearsal(options, env, tooling);
  const started = prepared.clock.now();
  await prepared.host.run({ ...(options.onStep ? { onStep: (step: number) => options.onStep?.(step, prepared.host) } : {}) });
  return rehearsalResult(prepared, started);
}
