/**
 * Progressive upgrades as Durable Functions orchestrations: a rollout runs one sub-orchestration
 * per wave, a wave one per cluster, so every history stays small. Deterministic generators only:
 * time comes from `context.df.currentUtcDateTime`, everything else from activities.
 *
 * Gates follow Argo Rollouts analysis: a number of measurements at an interval during the soak,
 * a failure limit, and `inconclusive` (no data) pausing for a human instead of guessing.
 */
import type * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

import type { AdvanceResult, ClusterSnapshot } from './activities.js';
import type { HealthSample } from './health.js';
import { healthDegraded } from './health.js';
import type { WindowVerdict } from './maintenanceWindow.js';
import type { PlannedCluster, PlannedWave, RolloutPlan } from './plan.js';

export const ORCHESTRATIONS = { rollout: 'rolloutOrchestrator', wave: 'rolloutWaveOrchestrator', cluster: 'rolloutClusterOrchestrator' } as const;
export const ACTIVITIES = { precheck: 'rolloutPrecheck', advance: 'rolloutAdvance', health: 'rolloutHealth', healthBatch: 'rolloutHealthBatch', inhibit: 'rolloutInhibit', haltAlert: 'rolloutHaltAlert', recordStatus: 'rolloutRecordStatus', maintenanceWindow: 'rolloutMaintenanceWindow' } as const;
export const EVENTS = { approve: 'approve', resume: 'resume', abort: 'abort' } as const;

export interface GateSettings {
  intervalMinutes: number;
  failureLimit: number;
  pollMinutes: number;
  upgradeTimeoutMinutes: number;
  approvalTimeoutMinutes: number;
}

export const DEFAULT_GATES: GateSettings = { intervalMinutes: 5, failureLimit: 0, pollMinutes: 1, upgradeTimeoutMinutes: 240, approvalTimeoutMinutes: 24 * 60 };

export interface RolloutInput {
  rolloutId: string;
  plan: RolloutPlan;
  gates: GateSettings;
  requestedBy: string;
  /** A halted rollout waits this long for resume or abort; 0 ends it as Halted at once (rehearsals). */
  haltWaitMinutes: number;
}

export type ClusterOutcome = {
  resourceId: string;
  status: 'Upgraded' | 'Failed' | 'Skipped' | 'Excluded' | 'NotStarted';
  fromVersion: string;
  toVersion: string;
  reason: string | null;
  /** Set when the cluster's health gate failed or could not decide. */
  gate?: 'failed' | 'inconclusive';
  /** What a later gate needs to measure this cluster again (wave gate, resume). */
  gateContext?: GateContext;
};

export interface GateContext {
  clusterId: string;
  workspaces: string[];
  baseline: Record<string, number>;
  /** When the upgrade began: NodePoolRollingFailed events count from here. */
  since: string;
}

export interface WaveOutcome {
  name: string;
  status: 'Completed' | 'Halted' | 'Skipped' | 'NotStarted';
  clusters: ClusterOutcome[];
  haltReason: string | null;
}

export interface RolloutOutcome {
  status: 'Completed' | 'Halted' | 'Failed' | 'Aborted';
  haltReason: string | null;
  waves: WaveOutcome[];
  excluded: Array<{ resourceId: string; reason: string }>;
}

/**
 * What a wave, and a cluster, need of the plan. Children get these settings, never the whole plan:
 * with the plan (every wave and cluster) in each child's input, a 1,000-cluster rollout stored and
 * replayed the fleet once per cluster orchestration, and every wave replay serialised it once per
 * cluster it had started.
 */
export type WavePlanSettings = Pick<RolloutPlan, 'upgradeType' | 'target' | 'maxFailedClusters' | 'respectMaintenanceWindows'>;
export type ClusterPlanSettings = Pick<RolloutPlan, 'upgradeType' | 'target' | 'respectMaintenanceWindows'>;

function wavePlanSettings(plan: WavePlanSettings): WavePlanSettings {
  return { upgradeType: plan.upgradeType, target: plan.target, maxFailedClusters: plan.maxFailedClusters, respectMaintenanceWindows: plan.respectMaintenanceWindows };
}

function clusterPlanSettings(plan: ClusterPlanSettings): ClusterPlanSettings {
  return { upgradeType: plan.upgradeType, target: plan.target, respectMaintenanceWindows: plan.respectMaintenanceWindows };
}

function minutesAfter(context: OrchestrationContext, minutes: number): Date {
  return new Date(context.df.currentUtcDateTime.getTime() + minutes * 60_000);
}

function notStarted(cluster: PlannedCluster, reason: string | null = null): ClusterOutcome {
  return { resourceId: cluster.resourceId, status: cluster.skipReason === undefined ? 'NotStarted' : 'Skipped', fromVersion: cluster.fromVersion, toVersion: cluster.toVersion, reason: cluster.skipReason ?? reason };
}

/** Measurements during a soak; returns the first failure, or inconclusive, or undefined when healthy. */
function* runGate(context: OrchestrationContext, clusterId: string, workspaces: string[], baseline: HealthSample, soakMinutes: number, gates: GateSettings, since: string): Generator<df.Task, { verdict: 'passed' | 'failed' | 'inconclusive'; reason: string | null }, unknown> {
  const measurements = Math.max(1, Math.floor(soakMinutes / gates.intervalMinutes));
  let failures = 0;
  let lastReason: string | null = null;
  for (let index = 0; index < measurements; index += 1) {
    yield context.df.createTimer(minutesAfter(context, Math.min(gates.intervalMinutes, Math.max(soakMinutes, 1))));
    const sample = (yield context.df.callActivity(ACTIVITIES.health, { clusterId, workspaces, windowMinutes: gates.intervalMinutes, since })) as HealthSample;
    if (sample.kind === 'inconclusive' || baseline.kind === 'inconclusive') {
      return { verdict: 'inconclusive', reason: sample.kind === 'inconclusive' ? sample.reason : 'no baseline' };
    }
    const degraded = healthDegraded(baseline.counts, sample.counts);
    if (degraded !== undefined) {
      failures += 1;
      lastReason = degraded;
      if (failures > gates.failureLimit) return { verdict: 'failed', reason: degraded };
    }
  }
  return { verdict: 'passed', reason: lastReason };
}

export const clusterOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ rolloutId: string; cluster: PlannedCluster; plan: ClusterPlanSettings; soakMinutes: number; gates: GateSettings }>();
  const { cluster, gates } = input;
  const outcome = (status: ClusterOutcome['status'], reason: string | null, extra: Partial<ClusterOutcome> = {}): ClusterOutcome => ({
    resourceId: cluster.resourceId,
    status,
    fromVersion: cluster.fromVersion,
    toVersion: cluster.toVersion,
    reason,
    ...extra,
  });
  if (cluster.skipReason !== undefined) return outcome('Skipped', cluster.skipReason);

  const snapshot = (yield context.df.callActivity(ACTIVITIES.precheck, { cluster })) as ClusterSnapshot;
  if (!snapshot.exists) return outcome('Failed', 'the cluster no longer exists');
  if ((snapshot.powerState ?? 'Running').toLowerCase() === 'stopped') return outcome('Failed', 'the cluster was stopped after planning');
  if (input.plan.respectMaintenanceWindows) {
    const window = (yield context.df.callActivity(ACTIVITIES.maintenanceWindow, { cluster, now: context.df.currentUtcDateTime.toISOString() })) as WindowVerdict | { kind: 'none' };
    if (window.kind === 'unsupported') return outcome('Failed', `maintenance window: ${window.reason}`);
    if (window.kind === 'wait') {
      context.df.setCustomStatus({ cluster: cluster.name, phase: 'waiting for the maintenance window', opensAt: window.opensAt });
      yield context.df.createTimer(new Date(window.opensAt));
    }
  }
  const now = context.df.currentUtcDateTime.toISOString();
  const baseline = (yield context.df.callActivity(ACTIVITIES.health, { clusterId: cluster.resourceId, workspaces: snapshot.workspaces, windowMinutes: gates.intervalMinutes, since: now })) as HealthSample;

  yield context.df.callActivity(ACTIVITIES.inhibit, { clusterId: cluster.resourceId, minutes: gates.upgradeTimeoutMinutes + input.soakMinutes, release: false, now });
  const hops = input.plan.upgradeType === 'NodeImageOnly' ? [cluster.toVersion] : cluster.hops;
  for (const hop of hops) {
    const deadline = minutesAfter(context, gates.upgradeTimeoutMinutes).getTime();
    context.df.setCustomStatus({ cluster: cluster.name, phase: 'upgrading', hop });
    for (;;) {
      const step = (yield context.df.callActivity(ACTIVITIES.advance, { cluster, target: hop, upgradeType: input.plan.upgradeType, startingNodeImages: snapshot.nodeImages })) as AdvanceResult;
      if (step.state === 'done') break;
      if (step.state === 'failed') return outcome('Failed', step.reason);
      if (step.state === 'excluded') {
        // Refused by AKS's pre-flight: nothing is upgrading, so alerts need not stay held back.
        yield context.df.callActivity(ACTIVITIES.inhibit, { clusterId: cluster.resourceId, minutes: 0, release: true, now: context.df.currentUtcDateTime.toISOString() });
        return outcome('Excluded', step.reason);
      }
      if (context.df.currentUtcDateTime.getTime() >= deadline) return outcome('Failed', `the upgrade to ${hop} did not finish within ${gates.upgradeTimeoutMinutes} minutes`);
      // Poll with a durable timer: the orchestration sleeps without holding a worker.
      yield context.df.createTimer(minutesAfter(context, gates.pollMinutes));
    }
  }
  context.df.setCustomStatus({ cluster: cluster.name, phase: 'soaking' });
  const gate = yield* runGate(context, cluster.resourceId, snapshot.workspaces, baseline, input.soakMinutes, gates, now);
  yield context.df.callActivity(ACTIVITIES.inhibit, { clusterId: cluster.resourceId, minutes: 0, release: true, now: context.df.currentUtcDateTime.toISOString() });
  const gateContext: GateContext | undefined = baseline.kind === 'measured' ? { clusterId: cluster.resourceId, workspaces: snapshot.workspaces, baseline: baseline.counts, since: now } : undefined;
  const withContext = gateContext === undefined ? {} : { gateContext };
  if (gate.verdict === 'failed') return outcome('Upgraded', `health gate failed: ${gate.reason ?? ''}`, { gate: 'failed', ...withContext });
  if (gate.verdict === 'inconclusive') return outcome('Upgraded', `health gate inconclusive: ${gate.reason ?? ''}`, { gate: 'inconclusive', ...withContext });
  return outcome('Upgraded', null, withContext);
};

/** What one more measurement against a cluster's baseline asks for. */
function healthProbe(gate: GateContext, gates: GateSettings) {
  return { clusterId: gate.clusterId, workspaces: gate.workspaces, windowMinutes: gates.intervalMinutes, since: gate.since };
}

/** One more measurement against a cluster's baseline. */
function measureAgain(context: OrchestrationContext, gate: GateContext, gates: GateSettings): df.Task {
  return context.df.callActivity(ACTIVITIES.health, healthProbe(gate, gates));
}

/** Clusters per wave-gate activity. */
const WAVE_GATE_BATCH = 50;

function verdictOf(gate: GateContext, sample: HealthSample): string | null {
  if (sample.kind === 'inconclusive') return `inconclusive: ${sample.reason}`;
  return healthDegraded(gate.baseline, sample.counts) ?? null;
}

export const waveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ rolloutId: string; wave: PlannedWave; plan: WavePlanSettings; failedBefore: number; gates: GateSettings }>();
  const { wave } = input;
  const outcomes: ClusterOutcome[] = [];
  let failed = input.failedBefore;
  let haltReason: string | null = null;
  const runnable = wave.clusters.filter((cluster) => cluster.skipReason === undefined);
  for (const cluster of wave.clusters.filter((candidate) => candidate.skipReason !== undefined)) outcomes.push(notStarted(cluster));
  for (let start = 0; start < runnable.length; start += wave.maxParallel) {
    if (haltReason !== null) {
      for (const cluster of runnable.slice(start)) outcomes.push(notStarted(cluster, 'the rollout halted'));
      break;
    }
    const batch = runnable.slice(start, start + wave.maxParallel);
    context.df.setCustomStatus({ wave: wave.name, running: batch.map((cluster) => cluster.name), done: outcomes.length });
    const results = (yield context.df.Task.all(
      batch.map((cluster) =>
        context.df.callSubOrchestrator(ORCHESTRATIONS.cluster, { rolloutId: input.rolloutId, cluster, plan: clusterPlanSettings(input.plan), soakMinutes: wave.soakMinutes, gates: input.gates }, `${context.df.instanceId}:${cluster.name}`),
      ),
    )) as ClusterOutcome[];
    // Clusters in flight finish; the decision to halt is made before the next batch starts.
    for (const result of results) {
      outcomes.push(result);
      if (result.status === 'Failed') failed += 1;
      if (result.gate === 'failed' || result.gate === 'inconclusive') haltReason ??= `${result.resourceId.split('/').at(-1) ?? ''}: ${result.reason ?? ''}`;
    }
    if (failed > input.plan.maxFailedClusters) haltReason ??= `${failed} failed clusters exceed maxFailedClusters ${input.plan.maxFailedClusters}`;
  }
  // Wave gate: after the wave's soak, every upgraded cluster is measured again before the next wave.
  const upgraded = outcomes.filter((outcome) => outcome.status === 'Upgraded' && outcome.gateContext !== undefined && outcome.gate === undefined);
  if (haltReason === null && upgraded.length > 0) {
    context.df.setCustomStatus({ wave: wave.name, phase: 'wave gate' });
    yield context.df.createTimer(minutesAfter(context, Math.max(1, wave.soakMinutes)));
    // A few batched activities rather than one per cluster keep the wave's history and replays small.
    const chunks: ClusterOutcome[][] = [];
    for (let start = 0; start < upgraded.length; start += WAVE_GATE_BATCH) chunks.push(upgraded.slice(start, start + WAVE_GATE_BATCH));
    const measured = (yield context.df.Task.all(
      chunks.map((chunk) => context.df.callActivity(ACTIVITIES.healthBatch, { probes: chunk.map((outcome) => healthProbe(outcome.gateContext as GateContext, input.gates)) })),
    )) as HealthSample[][];
    const samples = measured.flat();
    const verdicts = samples.map((sample, index) => verdictOf(upgraded[index]?.gateContext as GateContext, sample));
    verdicts.forEach((verdict, index) => {
      const outcome = upgraded[index];
      if (verdict === null || outcome === undefined) return;
      outcome.gate = 'failed';
      outcome.reason = `wave gate failed: ${verdict}`;
      haltReason ??= `${outcome.resourceId.split('/').at(-1) ?? ''}: wave gate failed: ${verdict}`;
    });
  }
  return { name: wave.name, status: haltReason === null ? 'Completed' : 'Halted', clusters: outcomes, haltReason } satisfies WaveOutcome;
};

/** Cluster outcomes without the gates' internal context, for records. */
function stripContext(waves: readonly WaveOutcome[]): WaveOutcome[] {
  return waves.map((wave) => ({ ...wave, clusters: wave.clusters.map((cluster) => ({ resourceId: cluster.resourceId, status: cluster.status, fromVersion: cluster.fromVersion, toVersion: cluster.toVersion, reason: cluster.reason })) }));
}

type HaltDecision = { kind: 'resumed' } | { kind: 'aborted' } | { kind: 'expired' } | { kind: 'refused'; reason: string };

/**
 * A halted rollout waits for resume or abort. Resume re-runs the gate that tripped and continues
 * only if it passes; otherwise the rollout stays halted and waits again.
 */
function* awaitResumeOrAbort(context: OrchestrationContext, input: RolloutInput, wave: WaveOutcome | undefined): Generator<df.Task, HaltDecision, unknown> {
  if (input.haltWaitMinutes <= 0) return { kind: 'expired' };
  const deadline = minutesAfter(context, input.haltWaitMinutes);
  let refusal: string | undefined;
  for (;;) {
    context.df.setCustomStatus({ rolloutId: input.rolloutId, status: 'Halted', haltReason: refusal ?? wave?.haltReason ?? null, wave: wave?.name ?? null });
    const resume = context.df.waitForExternalEvent(EVENTS.resume);
    const abort = context.df.waitForExternalEvent(EVENTS.abort);
    const expiry = context.df.createTimer(deadline);
    const decision: unknown = yield context.df.Task.any([resume, abort, expiry]);
    if (decision === expiry) return refusal === undefined ? { kind: 'expired' } : { kind: 'refused', reason: refusal };
    expiry.cancel();
    if (decision === abort) return { kind: 'aborted' };
    const tripped = (wave?.clusters ?? []).filter((cluster) => cluster.gate !== undefined && cluster.gateContext !== undefined);
    const samples = (yield context.df.Task.all(tripped.map((cluster) => measureAgain(context, cluster.gateContext as GateContext, input.gates)))) as HealthSample[];
    const stillFailing = samples.map((sample, position) => verdictOf(tripped[position]?.gateContext as GateContext, sample)).find((verdict) => verdict !== null);
    if (stillFailing === undefined) {
      for (const cluster of tripped) delete cluster.gate;
      return { kind: 'resumed' };
    }
    refusal = `resume refused, the gate still fails: ${stillFailing}`;
  }
}

export const rolloutOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<RolloutInput>();
  const { plan } = input;
  const excludedOf = (wave: PlannedWave): ClusterOutcome[] =>
    wave.excluded.map((entry) => ({ resourceId: entry.resourceId, status: 'Excluded', fromVersion: entry.fromVersion, toVersion: entry.fromVersion, reason: entry.reason }));
  const waves: WaveOutcome[] = plan.waves.map((wave) => ({ name: wave.name, status: 'NotStarted', clusters: [...wave.clusters.map((cluster) => notStarted(cluster)), ...excludedOf(wave)], haltReason: null }));
  let status: RolloutOutcome['status'] = 'Completed';
  let haltReason: string | null = null;
  let failed = 0;
  const publish = () => context.df.setCustomStatus({ rolloutId: input.rolloutId, status: haltReason === null ? 'Running' : 'Halted', haltReason, waves: waves.map((wave) => ({ name: wave.name, status: wave.status, upgraded: wave.clusters.filter((cluster) => cluster.status === 'Upgraded').length, total: wave.clusters.length })) });

  for (let index = 0; index < plan.waves.length; index += 1) {
    const wave = plan.waves[index];
    const slot = waves[index];
    if (wave === undefined || slot === undefined) continue;
    if (wave.requireApproval) {
      publish();
      context.df.setCustomStatus({ rolloutId: input.rolloutId, status: 'WaitingForApproval', wave: wave.name });
      const approval = context.df.waitForExternalEvent(EVENTS.approve);
      const timeout = context.df.createTimer(minutesAfter(context, input.gates.approvalTimeoutMinutes));
      const winner: unknown = yield context.df.Task.any([approval, timeout]);
      if (winner === timeout) {
        haltReason = `wave ${wave.name} was not approved within ${input.gates.approvalTimeoutMinutes} minutes`;
      } else {
        timeout.cancel();
      }
    }
    if (haltReason === null) {
      slot.status = 'Halted';
      const result = (yield context.df.callSubOrchestrator(ORCHESTRATIONS.wave, { rolloutId: input.rolloutId, wave, plan: wavePlanSettings(plan), failedBefore: failed, gates: input.gates }, `${context.df.instanceId}:wave-${wave.name}`)) as WaveOutcome;
      waves[index] = { ...result, clusters: [...result.clusters, ...excludedOf(wave)] };
      failed += result.clusters.filter((cluster) => cluster.status === 'Failed').length;
      if (result.status === 'Halted') haltReason = `wave ${wave.name}: ${result.haltReason ?? ''}`;
      publish();
      yield context.df.callActivity(ACTIVITIES.recordStatus, { rolloutId: input.rolloutId, status: haltReason === null ? 'Running' : 'Halted', waves: stripContext(waves), at: context.df.currentUtcDateTime.toISOString() });
    }
    if (haltReason !== null) {
      for (const later of waves.slice(index + 1)) later.status = 'NotStarted';
      if (slot.status === 'NotStarted') slot.status = 'Skipped';
      const where = waves[index]?.clusters.find((cluster) => cluster.gate !== undefined || cluster.status === 'Failed');
      const firstCluster = wave.clusters[0];
      yield context.df.callActivity(ACTIVITIES.haltAlert, {
        rolloutId: input.rolloutId,
        reason: haltReason,
        where: `wave ${wave.name}`,
        subscriptionId: firstCluster?.subscriptionId ?? '',
        resourceId: where?.resourceId ?? firstCluster?.resourceId ?? `/rollouts/${input.rolloutId}`,
        now: context.df.currentUtcDateTime.toISOString(),
      });
      status = 'Halted';
      const decision = yield* awaitResumeOrAbort(context, input, waves[index]);
      publish();
      if (decision.kind === 'resumed') {
        haltReason = null;
        status = 'Completed';
        continue;
      }
      if (decision.kind === 'aborted') status = 'Aborted';
      if (decision.kind === 'refused') haltReason = decision.reason;
      break;
    }
  }
  publish();
  yield context.df.callActivity(ACTIVITIES.recordStatus, { rolloutId: input.rolloutId, status, waves: stripContext(waves), at: context.df.currentUtcDateTime.toISOString() });
  // Clusters AKS refused at upgrade time are excluded as much as those the plan left out.
  const refused = waves.flatMap((wave) => wave.clusters).filter((cluster) => cluster.status === 'Excluded' && !plan.excluded.some((entry) => entry.resourceId === cluster.resourceId));
  return { status, haltReason, waves, excluded: [...plan.excluded, ...refused.map((cluster) => ({ resourceId: cluster.resourceId, reason: cluster.reason ?? '' }))] } satisfies RolloutOutcome;
};

