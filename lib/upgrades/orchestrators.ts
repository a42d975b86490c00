/**
 * Progressive upgrades as Durable Functions orchestrations: a rollout runs one sub-orchestration
 * per wave, a wave one per cluster, so every history stays small. Deterministic generators only:
 * time comes from `context.df.currentUtcDateTime`, everything else from activities.
 *
 * Gates follow Argo Rollouts analysis: a number of measurements at an interval during the soak,
 * a failure limit, and `inconclusive` (no data) pausing for a human instead of guessing.
 */
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import * as df from 'durable-functions';

import type { AbortCheck, AdvanceResult, ClusterSnapshot } from './activities.js';
import { degradedSignal, type HealthSample, type ProbeResult } from './healthGate.js';
import type { WindowVerdict } from './maintenanceWindow.js';
import type { PlannedCluster, PlannedWave, RolloutPlan } from './plan.js';

export const ORCHESTRATIONS = { rollout: 'rolloutOrchestrator', wave: 'rolloutWaveOrchestrator', cluster: 'rolloutClusterOrchestrator' } as const;
export const ACTIVITIES = {
  precheck: 'rolloutPrecheck',
  advance: 'rolloutAdvance',
  health: 'rolloutHealth',
  healthBatch: 'rolloutHealthBatch',
  inhibit: 'rolloutInhibit',
  haltAlert: 'rolloutHaltAlert',
  recordStatus: 'rolloutRecordStatus',
  maintenanceWindow: 'rolloutMaintenanceWindow',
  abortRequested: 'rolloutAbortRequested',
} as const;
export const EVENTS = { approve: 'approve', resume: 'resume', abort: 'abort' } as const;

export interface GateSettings {
  intervalMinutes: number;
  failureLimit: number;
  pollMinutes: number;
  upgradeTimeoutMinutes: number;
  approvalTimeoutMinutes: number;
}

/**
 * Every activity call's retry budget (Durable's own retry: a durable timer between attempts, the
 * history keeps each attempt). Activities throw only what a retry can fix (429, 5xx, network), so a
 * budget spent means Azure kept failing for about 40 minutes: the rollout halts saying so.
 * 30 s, 1, 2, 4, then 5 min between the 10 attempts (the extension waits once more after the last).
 * An advance attempt makes up to three ARM calls, so at 20 % faulty calls (and no SDK retries) half
 * its attempts fail: 10 attempts keep a spent budget below 1 in 1,000 per call.
 */
export const ACTIVITY_RETRY: df.RetryOptions = Object.assign(new df.RetryOptions(30_000, 10), {
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 5 * 60_000,
});

/** An activity call with the retry budget. */
function call(context: OrchestrationContext, name: string, input: unknown): df.Task {
  return context.df.callActivityWithRetry(name, ACTIVITY_RETRY, input);
}

/** The text of a failed activity as the orchestrator sees it (the library appends the details). */
function failureText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() ?? message;
}

function gaveUp(error: unknown): string {
  return `gave up after ${ACTIVITY_RETRY.maxNumberOfAttempts} attempts: ${failureText(error)}`;
}

/**
 * Waits until `fireAt` unless the rollout is aborted first (true). `abort` is the orchestration's one
 * abort waiter: once the event arrived it stays completed, so every later wait sees it at once.
 */
function* waitUnlessAborted(context: OrchestrationContext, abort: df.Task, fireAt: Date): Generator<df.Task, boolean, unknown> {
  if (abort.isCompleted) return true;
  const timer = context.df.createTimer(fireAt);
  const winner: unknown = yield context.df.Task.any([timer, abort]);
  if (winner === timer) return false;
  timer.cancel();
  return true;
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
  /** `Aborted`: the rollout was aborted after this cluster's upgrade began and before it finished. */
  status: 'Upgraded' | 'Failed' | 'Skipped' | 'Excluded' | 'NotStarted' | 'Aborted';
  fromVersion: string;
  toVersion: string;
  reason: string | null;
  /** Set when the cluster's health gate failed or could not decide. */
  gate?: 'failed' | 'inconclusive';
  /** What a later gate needs to measure this cluster again (wave gate, resume). */
  gateContext?: GateContext;
  /** The operation AKS was still running when the rollout was aborted: left to finish (AKS's own abort is the operator's call). */
  inFlight?: string;
  /** Set when this cluster stopped because the rollout was aborted. */
  aborted?: true;
  /** Set when Azure kept failing past the retry budget: the rollout halts whatever maxFailedClusters says. */
  retriesExhausted?: true;
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
  status: 'Completed' | 'Halted' | 'Skipped' | 'NotStarted' | 'Aborted';
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
  return {
    upgradeType: plan.upgradeType,
    target: plan.target,
    maxFailedClusters: plan.maxFailedClusters,
    respectMaintenanceWindows: plan.respectMaintenanceWindows,
  };
}

function clusterPlanSettings(plan: ClusterPlanSettings): ClusterPlanSettings {
  return { upgradeType: plan.upgradeType, target: plan.target, respectMaintenanceWindows: plan.respectMaintenanceWindows };
}

function minutesAfter(context: OrchestrationContext, minutes: number): Date {
  return new Date(context.df.currentUtcDateTime.getTime() + minutes * 60_000);
}

function notStarted(cluster: PlannedCluster, reason: string | null = null): ClusterOutcome {
  return {
    resourceId: cluster.resourceId,
    status: cluster.skipReason === undefined ? 'NotStarted' : 'Skipped',
    fromVersion: cluster.fromVersion,
    toVersion: cluster.toVersion,
    reason: cluster.skipReason ?? reason,
  };
}

/** Measurements during a soak; returns the first failure, or inconclusive, or undefined when healthy. */
function* runGate(
  context: OrchestrationContext,
  abort: df.Task,
  clusterId: string,
  workspaces: string[],
  baseline: HealthSample,
  soakMinutes: number,
  gates: GateSettings,
  since: string,
): Generator<df.Task, { verdict: 'passed' | 'failed' | 'inconclusive' | 'aborted'; reason: string | null }, unknown> {
  const measurements = Math.max(1, Math.floor(soakMinutes / gates.intervalMinutes));
  let failures = 0;
  let lastReason: string | null = null;
  for (let index = 0; index < measurements; index += 1) {
    if (yield* waitUnlessAborted(context, abort, minutesAfter(context, Math.min(gates.intervalMinutes, Math.max(soakMinutes, 1)))))
      return { verdict: 'aborted', reason: null };
    const sample = (yield call(context, ACTIVITIES.health, { clusterId, workspaces, windowMinutes: gates.intervalMinutes, since })) as HealthSample;
    if (sample.kind === 'inconclusive' || baseline.kind === 'inconclusive') {
      return { verdict: 'inconclusive', reason: sample.kind === 'inconclusive' ? sample.reason : 'no baseline' };
    }
    const degraded = degradedSignal(baseline.counts, sample.counts, sample.anyRise ?? []);
    if (degraded !== undefined) {
      failures += 1;
      lastReason = degraded;
      if (failures > gates.failureLimit) return { verdict: 'failed', reason: degraded };
    }
  }
  return { verdict: 'passed', reason: lastReason };
}

type ClusterInput = { rolloutId: string; cluster: PlannedCluster; plan: ClusterPlanSettings; soakMinutes: number; gates: GateSettings };

const ABORTED_BEFORE_START = "the rollout was aborted before this cluster's upgrade started";

export const clusterOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ClusterInput>();
  const { cluster } = input;
  if (cluster.skipReason !== undefined) return clusterOutcome(cluster, 'Skipped', cluster.skipReason);
  // One abort waiter for the whole orchestration (raised by the API to every running instance).
  const abort = context.df.waitForExternalEvent(EVENTS.abort);
  try {
    return yield* upgradeCluster(context, input, abort);
  } catch (error) {
    // The retry budget of an activity is spent: reported, and the wave halts on it.
    return { ...clusterOutcome(cluster, 'Failed', gaveUp(error)), retriesExhausted: true } satisfies ClusterOutcome;
  }
};

function clusterOutcome(cluster: PlannedCluster, status: ClusterOutcome['status'], reason: string | null, extra: Partial<ClusterOutcome> = {}): ClusterOutcome {
  return { resourceId: cluster.resourceId, status, fromVersion: cluster.fromVersion, toVersion: cluster.toVersion, reason, ...extra };
}

function* upgradeCluster(context: OrchestrationContext, input: ClusterInput, abort: df.Task): Generator<df.Task, ClusterOutcome, unknown> {
  const { cluster, gates } = input;
  const outcome = (status: ClusterOutcome['status'], reason: string | null, extra: Partial<ClusterOutcome> = {}) =>
    clusterOutcome(cluster, status, reason, extra);
  const release = () =>
    call(context, ACTIVITIES.inhibit, { clusterId: cluster.resourceId, minutes: 0, release: true, now: context.df.currentUtcDateTime.toISOString() });

  const snapshot = (yield call(context, ACTIVITIES.precheck, { cluster })) as ClusterSnapshot & { problem?: string };
  if (snapshot.problem !== undefined) return outcome('Failed', snapshot.problem);
  if (!snapshot.exists) return outcome('Failed', 'the cluster no longer exists');
  if ((snapshot.powerState ?? 'Running').toLowerCase() === 'stopped') return outcome('Failed', 'the cluster was stopped after planning');
  if (input.plan.respectMaintenanceWindows) {
    const window = (yield call(context, ACTIVITIES.maintenanceWindow, { cluster, now: context.df.currentUtcDateTime.toISOString() })) as
      WindowVerdict | { kind: 'none' };
    if (window.kind === 'unsupported') return outcome('Failed', `maintenance window: ${window.reason}`);
    if (window.kind === 'wait') {
      context.df.setCustomStatus({
        cluster: cluster.name,
        phase: 'waiting for the maintenance window',
        opensAt: window.opensAt,
        ...(window.reason === undefined ? {} : { reason: window.reason }),
      });
      if (yield* waitUnlessAborted(context, abort, new Date(window.opensAt)))
        return outcome('NotStarted', `${ABORTED_BEFORE_START} (it was waiting for its maintenance window)`, { aborted: true });
    }
  }
  const now = context.df.currentUtcDateTime.toISOString();
  const baseline = (yield call(context, ACTIVITIES.health, {
    clusterId: cluster.resourceId,
    workspaces: snapshot.workspaces,
    windowMinutes: gates.intervalMinutes,
    since: now,
  })) as HealthSample;

  yield call(context, ACTIVITIES.inhibit, { clusterId: cluster.resourceId, minutes: gates.upgradeTimeoutMinutes + input.soakMinutes, release: false, now });
  const hops = input.plan.upgradeType === 'NodeImageOnly' ? [cluster.toVersion] : cluster.hops;
  /** What the last step reported while something was under way (for an abort between polls). */
  let underWay: string | null = null;
  for (const hop of hops) {
    const deadline = minutesAfter(context, gates.upgradeTimeoutMinutes).getTime();
    context.df.setCustomStatus({ cluster: cluster.name, phase: 'upgrading', hop });
    for (;;) {
      const step = (yield call(context, ACTIVITIES.advance, {
        rolloutId: input.rolloutId,
        cluster,
        target: hop,
        upgradeType: input.plan.upgradeType,
        startingNodeImages: snapshot.nodeImages,
      })) as AdvanceResult;
      if (step.state === 'done') {
        underWay = null;
        break;
      }
      if (step.state === 'aborted') return yield* abortedUpgrade(step.inFlight, hop);
      if (step.state === 'failed') return outcome('Failed', step.reason);
      if (step.state === 'excluded') {
        // Refused by AKS's pre-flight: nothing is upgrading, so alerts need not stay held back.
        yield release();
        return outcome('Excluded', step.reason);
      }
      underWay = step.detail;
      if (context.df.currentUtcDateTime.getTime() >= deadline)
        return outcome('Failed', `the upgrade to ${hop} did not finish within ${gates.upgradeTimeoutMinutes} minutes`);
      // Poll with a durable timer: the orchestration sleeps without holding a worker.
      if (yield* waitUnlessAborted(context, abort, minutesAfter(context, gates.pollMinutes))) return yield* abortedUpgrade(underWay, hop);
    }
  }
  context.df.setCustomStatus({ cluster: cluster.name, phase: 'soaking' });
  const gate = yield* runGate(context, abort, cluster.resourceId, snapshot.workspaces, baseline, input.soakMinutes, gates, now);
  yield release();
  if (gate.verdict === 'aborted') return outcome('Upgraded', 'the rollout was aborted during the soak: the health gate did not finish', { aborted: true });
  const gateContext: GateContext | undefined =
    baseline.kind === 'measured' ? { clusterId: cluster.resourceId, workspaces: snapshot.workspaces, baseline: baseline.counts, since: now } : undefined;
  const withContext = gateContext === undefined ? {} : { gateContext };
  if (gate.verdict === 'failed') return outcome('Upgraded', `health gate failed: ${gate.reason ?? ''}`, { gate: 'failed', ...withContext });
  if (gate.verdict === 'inconclusive') return outcome('Upgraded', `health gate inconclusive: ${gate.reason ?? ''}`, { gate: 'inconclusive', ...withContext });
  return outcome('Upgraded', null, withContext);

  /** Stopped by an abort during the upgrade: nothing new is started; what AKS still runs is reported. */
  function* abortedUpgrade(inFlight: string | null, hop: string): Generator<df.Task, ClusterOutcome, unknown> {
    const started = hops.indexOf(hop) > 0 || underWay !== null || inFlight !== null;
    if (!started) {
      yield release();
      return outcome('NotStarted', ABORTED_BEFORE_START, { aborted: true });
    }
    const running = inFlight ?? underWay;
    const reason =
      running === null
        ? `the rollout was aborted during the upgrade to ${hop}: no operation was running; no further step was started`
        : `the rollout was aborted during the upgrade to ${hop}: ${running} was left to finish (a rollout abort does not abort AKS operations; 'az aks operation-abort' can, Learn: manage-abort-operations); no further step was started`;
    return outcome('Aborted', reason, { aborted: true, ...(running === null ? {} : { inFlight: running }) });
  }
}

/** What one more measurement against a cluster's baseline asks for. */
function healthProbe(gate: GateContext, gates: GateSettings) {
  return { clusterId: gate.clusterId, workspaces: gate.workspaces, windowMinutes: gates.intervalMinutes, since: gate.since };
}

/** One more measurement against a cluster's baseline. */
function measureAgain(context: OrchestrationContext, gate: GateContext, gates: GateSettings): df.Task {
  return call(context, ACTIVITIES.health, healthProbe(gate, gates));
}

/** Clusters per wave-gate activity. */
const WAVE_GATE_BATCH = 50;

function verdictOf(gate: GateContext, sample: HealthSample): string | null {
  if (sample.kind === 'inconclusive') return `inconclusive: ${sample.reason}`;
  return degradedSignal(gate.baseline, sample.counts, sample.anyRise ?? []) ?? null;
}

/**
 * Whether the rollout was aborted, read from its abort marker before anything new starts. A marker
 * that cannot be read halts: nothing starts blind.
 */
function* checkAbort(context: OrchestrationContext, rolloutId: string): Generator<df.Task, { aborted: string | null; halt: string | null }, unknown> {
  try {
    const check = (yield call(context, ACTIVITIES.abortRequested, { rolloutId })) as AbortCheck;
    if (check.state === 'aborted') return { aborted: `aborted by ${check.by} at ${check.at}`, halt: null };
    if (check.state === 'unknown') return { aborted: null, halt: `the abort marker cannot be read: ${check.reason}` };
    return { aborted: null, halt: null };
  } catch (error) {
    return { aborted: null, halt: `the abort marker cannot be read: ${gaveUp(error)}` };
  }
}

const ABORTED = 'the rollout was aborted';

export const waveOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ rolloutId: string; wave: PlannedWave; plan: WavePlanSettings; failedBefore: number; gates: GateSettings }>();
  const { wave } = input;
  const abort = context.df.waitForExternalEvent(EVENTS.abort);
  const outcomes: ClusterOutcome[] = [];
  let failed = input.failedBefore;
  let haltReason: string | null = null;
  let aborted: string | null = null;
  const runnable = wave.clusters.filter((cluster) => cluster.skipReason === undefined);
  for (const cluster of wave.clusters.filter((candidate) => candidate.skipReason !== undefined)) outcomes.push(notStarted(cluster));
  for (let start = 0; start < runnable.length; start += wave.maxParallel) {
    if (haltReason === null && aborted === null) {
      // Read before each batch: an abort recorded now starts no cluster.
      const check = yield* checkAbort(context, input.rolloutId);
      aborted = check.aborted;
      haltReason = check.halt;
    }
    if (haltReason !== null || aborted !== null) {
      for (const cluster of runnable.slice(start)) outcomes.push(notStarted(cluster, aborted === null ? 'the rollout halted' : ABORTED));
      break;
    }
    const batch = runnable.slice(start, start + wave.maxParallel);
    context.df.setCustomStatus({ wave: wave.name, running: batch.map((cluster) => cluster.name), done: outcomes.length });
    const results = (yield context.df.Task.all(
      batch.map((cluster) =>
        context.df.callSubOrchestrator(
          ORCHESTRATIONS.cluster,
          { rolloutId: input.rolloutId, cluster, plan: clusterPlanSettings(input.plan), soakMinutes: wave.soakMinutes, gates: input.gates },
          `${context.df.instanceId}:${cluster.name}`,
        ),
      ),
    )) as ClusterOutcome[];
    // Clusters in flight finish; the decision to halt is made before the next batch starts.
    for (const result of results) {
      outcomes.push(result);
      if (result.aborted === true) aborted ??= ABORTED;
      if (result.status === 'Failed') failed += 1;
      if (result.gate === 'failed' || result.gate === 'inconclusive' || result.retriesExhausted === true)
        haltReason ??= `${result.resourceId.split('/').at(-1) ?? ''}: ${result.reason ?? ''}`;
    }
    if (failed > input.plan.maxFailedClusters) haltReason ??= `${failed} failed clusters exceed maxFailedClusters ${input.plan.maxFailedClusters}`;
  }
  // Wave gate: after the wave's soak, every upgraded cluster is measured again before the next wave.
  const upgraded = outcomes.filter((outcome) => outcome.status === 'Upgraded' && outcome.gateContext !== undefined && outcome.gate === undefined);
  if (haltReason === null && aborted === null && upgraded.length > 0) {
    context.df.setCustomStatus({ wave: wave.name, phase: 'wave gate' });
    if (yield* waitUnlessAborted(context, abort, minutesAfter(context, Math.max(1, wave.soakMinutes)))) {
      aborted = ABORTED;
    } else {
      const gate = yield* waveGate(context, abort, wave.name, input.gates, upgraded);
      haltReason = gate.haltReason;
      if (gate.aborted) aborted = ABORTED;
    }
  }
  const status: WaveOutcome['status'] = aborted !== null ? 'Aborted' : haltReason === null ? 'Completed' : 'Halted';
  return { name: wave.name, status, clusters: outcomes, haltReason } satisfies WaveOutcome;
};

/**
 * Measures every upgraded cluster of the wave again: the halt reason, or null when all pass; or
 * `aborted` when the rollout was aborted while failed probes waited to be measured again.
 *
 * A batch keeps what it measured: a probe that failed for a reason a retry can fix (`retry`) is
 * measured again alone, after the durable timer `ACTIVITY_RETRY` would wait, within the same budget
 * of attempts per probe. (Retrying whole batches made a wave's measurement succeed only when every
 * one of its probes did at once (about 2 faultable calls each): at 21 % faulty calls two clusters
 * spent the 10 attempts in about 1 gate of 130; at 1 % 50 clusters lost 63 % of the attempts and
 * about 1 gate of 100. Probe by probe it is 0.38^10, 6 in 100,000 per cluster at 21 %.) The first
 * round is the call and input the gate always made, so histories recorded before probes were
 * retried one by one, which hold plain samples, replay as they ran.
 */
function* waveGate(
  context: OrchestrationContext,
  abort: df.Task,
  wave: string,
  gates: GateSettings,
  upgraded: ClusterOutcome[],
): Generator<df.Task, { haltReason: string | null; aborted: boolean }, unknown> {
  const samples = new Map<number, HealthSample>();
  /** Why each probe's last attempt failed, for the probes that spent their attempts. */
  let failing = new Map<number, string>();
  let pending = upgraded.map((_, index) => index);
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    // A few batched activities rather than one per cluster keep the wave's history and replays small.
    const chunks: number[][] = [];
    for (let start = 0; start < pending.length; start += WAVE_GATE_BATCH) chunks.push(pending.slice(start, start + WAVE_GATE_BATCH));
    let answers: ProbeResult[][];
    try {
      answers = (yield context.df.Task.all(
        chunks.map((chunk) =>
          call(context, ACTIVITIES.healthBatch, { probes: chunk.map((index) => healthProbe(upgraded[index]?.gateContext as GateContext, gates)) }),
        ),
      )) as ProbeResult[][];
    } catch (error) {
      // The activity itself kept failing (not one of its probes): nothing to measure the wave with.
      return { haltReason: `wave gate: ${gaveUp(error)}`, aborted: false };
    }
    failing = new Map();
    answers.flat().forEach((answer, position) => {
      const index = pending[position];
      if (index === undefined) return;
      if (answer.kind === 'retry') failing.set(index, answer.reason);
      else samples.set(index, answer);
    });
    pending = [...failing.keys()];
    if (pending.length === 0 || attempt >= ACTIVITY_RETRY.maxNumberOfAttempts) break;
    context.df.setCustomStatus({ wave, phase: 'wave gate', retrying: pending.length, attempt });
    if (yield* waitUnlessAborted(context, abort, new Date(context.df.currentUtcDateTime.getTime() + retryDelayMs(attempt))))
      return { haltReason: null, aborted: true };
  }
  let haltReason: string | null = null;
  upgraded.forEach((outcome, index) => {
    const name = outcome.resourceId.split('/').at(-1) ?? '';
    const spent = failing.get(index);
    if (spent !== undefined) {
      // Not measured: no data, so a human decides (resume measures it again).
      const reason = `wave gate: gave up after ${ACTIVITY_RETRY.maxNumberOfAttempts} attempts: ${failureText(spent)}`;
      outcome.gate = 'inconclusive';
      outcome.reason = reason;
      haltReason ??= `${name}: ${reason}`;
      return;
    }
    const sample = samples.get(index);
    const verdict = sample === undefined ? null : verdictOf(outcome.gateContext as GateContext, sample);
    if (verdict === null) return;
    outcome.gate = 'failed';
    outcome.reason = `wave gate failed: ${verdict}`;
    haltReason ??= `${name}: wave gate failed: ${verdict}`;
  });
  return { haltReason, aborted: false };
}

/** The wait after failed attempt `attempt` (1-based), as the extension computes it for {@link ACTIVITY_RETRY}. */
export function retryDelayMs(attempt: number): number {
  const { firstRetryIntervalInMilliseconds: first, backoffCoefficient, maxRetryIntervalInMilliseconds } = ACTIVITY_RETRY;
  return Math.min(first * backoffCoefficient ** (attempt - 1), maxRetryIntervalInMilliseconds);
}

/** Cluster outcomes without the gates' internal context, for records. */
function stripContext(waves: readonly WaveOutcome[]): WaveOutcome[] {
  return waves.map((wave) => ({
    ...wave,
    clusters: wave.clusters.map((cluster) => ({
      resourceId: cluster.resourceId,
      status: cluster.status,
      fromVersion: cluster.fromVersion,
      toVersion: cluster.toVersion,
      reason: cluster.reason,
    })),
  }));
}

type HaltDecision = { kind: 'resumed' } | { kind: 'aborted' } | { kind: 'expired' } | { kind: 'refused'; reason: string };

/**
 * A halted rollout waits for resume or abort. Resume re-runs the gate that tripped and continues
 * only if it passes; otherwise the rollout stays halted and waits again.
 */
function* awaitResumeOrAbort(
  context: OrchestrationContext,
  input: RolloutInput,
  wave: WaveOutcome | undefined,
  abort: df.Task,
): Generator<df.Task, HaltDecision, unknown> {
  if (input.haltWaitMinutes <= 0) return { kind: 'expired' };
  const deadline = minutesAfter(context, input.haltWaitMinutes);
  let refusal: string | undefined;
  for (;;) {
    context.df.setCustomStatus({ rolloutId: input.rolloutId, status: 'Halted', haltReason: refusal ?? wave?.haltReason ?? null, wave: wave?.name ?? null });
    if (abort.isCompleted) return { kind: 'aborted' };
    const resume = context.df.waitForExternalEvent(EVENTS.resume);
    const expiry = context.df.createTimer(deadline);
    const decision: unknown = yield context.df.Task.any([resume, abort, expiry]);
    if (decision === expiry) return refusal === undefined ? { kind: 'expired' } : { kind: 'refused', reason: refusal };
    expiry.cancel();
    if (decision === abort) return { kind: 'aborted' };
    const tripped = (wave?.clusters ?? []).filter((cluster) => cluster.gate !== undefined && cluster.gateContext !== undefined);
    let samples: HealthSample[];
    try {
      samples = (yield context.df.Task.all(tripped.map((cluster) => measureAgain(context, cluster.gateContext as GateContext, input.gates)))) as HealthSample[];
    } catch (error) {
      refusal = `resume refused, the gate cannot be measured: ${gaveUp(error)}`;
      continue;
    }
    const stillFailing = samples
      .map((sample, position) => verdictOf(tripped[position]?.gateContext as GateContext, sample))
      .find((verdict) => verdict !== null);
    if (stillFailing === undefined) {
      for (const cluster of tripped) delete cluster.gate;
      return { kind: 'resumed' };
    }
    refusal = `resume refused, the gate still fails: ${stillFailing}`;
  }
}

/** Runs an activity whose failure must not fail the rollout: its problem (spent budget or permanent) as text. */
function* attempt(context: OrchestrationContext, name: string, input: unknown): Generator<df.Task, string | null, unknown> {
  try {
    const result: unknown = yield call(context, name, input);
    return typeof result === 'object' && result !== null && 'problem' in result ? String(result.problem) : null;
  } catch (error) {
    return gaveUp(error);
  }
}

export const rolloutOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<RolloutInput>();
  const { plan } = input;
  const excludedOf = (wave: PlannedWave): ClusterOutcome[] =>
    wave.excluded.map((entry) => ({
      resourceId: entry.resourceId,
      status: 'Excluded',
      fromVersion: entry.fromVersion,
      toVersion: entry.fromVersion,
      reason: entry.reason,
    }));
  const waves: WaveOutcome[] = plan.waves.map((wave) => ({
    name: wave.name,
    status: 'NotStarted',
    clusters: [...wave.clusters.map((cluster) => notStarted(cluster)), ...excludedOf(wave)],
    haltReason: null,
  }));
  let status: RolloutOutcome['status'] = 'Completed';
  let haltReason: string | null = null;
  let failed = 0;
  // One abort waiter for the whole orchestration: raised by the API, it ends every wait at once.
  const abort = context.df.waitForExternalEvent(EVENTS.abort);
  const publish = () =>
    context.df.setCustomStatus({
      rolloutId: input.rolloutId,
      status: status === 'Aborted' ? 'Aborted' : haltReason === null ? 'Running' : 'Halted',
      haltReason,
      waves: waves.map((wave) => ({
        name: wave.name,
        status: wave.status,
        upgraded: wave.clusters.filter((cluster) => cluster.status === 'Upgraded').length,
        total: wave.clusters.length,
      })),
    });
  const record = (recorded: RolloutOutcome['status'] | 'Running') =>
    attempt(context, ACTIVITIES.recordStatus, {
      rolloutId: input.rolloutId,
      status: recorded,
      waves: stripContext(waves),
      at: context.df.currentUtcDateTime.toISOString(),
    });
  const abortedFrom = (index: number) => {
    for (const later of waves.slice(index)) {
      if (later.status !== 'NotStarted') continue;
      later.clusters = later.clusters.map((cluster) =>
        cluster.status === 'NotStarted' && cluster.reason === null ? { ...cluster, reason: ABORTED } : cluster,
      );
    }
  };

  for (let index = 0; index < plan.waves.length; index += 1) {
    const wave = plan.waves[index];
    const slot = waves[index];
    if (wave === undefined || slot === undefined) continue;
    if (wave.requireApproval) {
      publish();
      context.df.setCustomStatus({ rolloutId: input.rolloutId, status: 'WaitingForApproval', wave: wave.name });
      const approval = context.df.waitForExternalEvent(EVENTS.approve);
      const timeout = context.df.createTimer(minutesAfter(context, input.gates.approvalTimeoutMinutes));
      const winner: unknown = abort.isCompleted ? abort : yield context.df.Task.any([approval, abort, timeout]);
      if (winner === timeout) {
        haltReason = `wave ${wave.name} was not approved within ${input.gates.approvalTimeoutMinutes} minutes`;
      } else {
        timeout.cancel();
        if (winner === abort) {
          status = 'Aborted';
          haltReason = `aborted while wave ${wave.name} waited for approval`;
        }
      }
    }
    if (haltReason === null) {
      // The abort marker is read before each wave: an abort recorded now starts no wave.
      const check = yield* checkAbort(context, input.rolloutId);
      if (check.aborted !== null) {
        status = 'Aborted';
        haltReason = check.aborted;
      } else {
        haltReason = check.halt;
      }
    }
    if (status === 'Aborted') {
      abortedFrom(index);
      break;
    }
    if (haltReason === null) {
      slot.status = 'Halted';
      const result = (yield context.df.callSubOrchestrator(
        ORCHESTRATIONS.wave,
        { rolloutId: input.rolloutId, wave, plan: wavePlanSettings(plan), failedBefore: failed, gates: input.gates },
        `${context.df.instanceId}:wave-${wave.name}`,
      )) as WaveOutcome;
      waves[index] = { ...result, clusters: [...result.clusters, ...excludedOf(wave)] };
      failed += result.clusters.filter((cluster) => cluster.status === 'Failed').length;
      if (result.status === 'Aborted') {
        status = 'Aborted';
        haltReason = `aborted during wave ${wave.name}`;
        abortedFrom(index + 1);
        break;
      }
      if (result.status === 'Halted') haltReason = `wave ${wave.name}: ${result.haltReason ?? ''}`;
      publish();
      const recordProblem: string | null = yield* record(haltReason === null ? 'Running' : 'Halted');
      // A status that cannot be recorded halts the rollout: nobody could follow it any more.
      if (recordProblem !== null) haltReason ??= `recording the rollout status failed: ${recordProblem}`;
    }
    if (haltReason !== null) {
      for (const later of waves.slice(index + 1)) later.status = 'NotStarted';
      if (slot.status === 'NotStarted') slot.status = 'Skipped';
      const where = waves[index]?.clusters.find((cluster) => cluster.gate !== undefined || cluster.status === 'Failed');
      const firstCluster = wave.clusters[0];
      const alertProblem = yield* attempt(context, ACTIVITIES.haltAlert, {
        rolloutId: input.rolloutId,
        reason: haltReason,
        where: `wave ${wave.name}`,
        subscriptionId: firstCluster?.subscriptionId ?? '',
        resourceId: where?.resourceId ?? firstCluster?.resourceId ?? `/rollouts/${input.rolloutId}`,
        now: context.df.currentUtcDateTime.toISOString(),
      });
      if (alertProblem !== null) haltReason = `${haltReason} (the halt alert could not be sent: ${alertProblem})`;
      status = 'Halted';
      const decision = yield* awaitResumeOrAbort(context, input, waves[index], abort);
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
  const problem: string | null = yield* record(status);
  if (problem !== null) context.df.setCustomStatus({ rolloutId: input.rolloutId, status, haltReason, recordProblem: problem });
  // Clusters AKS refused at upgrade time are excluded as much as those the plan left out.
  const refused = waves
    .flatMap((wave) => wave.clusters)
    .filter((cluster) => cluster.status === 'Excluded' && !plan.excluded.some((entry) => entry.resourceId === cluster.resourceId));
  return {
    status,
    haltReason,
    waves,
    excluded: [...plan.excluded, ...refused.map((cluster) => ({ resourceId: cluster.resourceId, reason: cluster.reason ?? '' }))],
  } satisfies RolloutOutcome;
};
