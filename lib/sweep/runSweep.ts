/**
 * The fleet sweep: inventory → rules → findings store. The same function serves the timer
 * function, the CLI and the demo; only the dependencies differ.
 */
import { randomUUID } from 'node:crypto';

import pLimit, { type LimitFunction } from 'p-limit';

import type { AlertPipeline, EnqueueResult } from '../alerts/alertPipeline.js';
import { toFleetGuardError } from '../errors.js';
import type { FindingsStore } from '../findings/findingsStore.js';
import type { LifecycleChange } from '../findings/lifecycle.js';
import { type Cluster, resourceKey } from '../model/cluster.js';
import type { DiagnosticSettingsReader } from '../model/diagnosticSettings.js';
import { type Finding, SEVERITIES, type Severity, severityRank } from '../model/finding.js';
import type { InClusterReader } from '../model/inCluster.js';
import type { KubernetesVersionCatalog } from '../model/kubernetesVersions.js';
import type { ClusterNotices } from '../model/notice.js';
import { type ClusterCompliance } from '../policy/policyRules.js';
import { evaluateCluster } from '../posture/evaluateCluster.js';
import { evaluateNotices, NOTICE_RULE_IDS } from '../posture/noticeRules.js';
import type { PostureSettings } from '../posture/rule.js';
import { type Coverage, markEvaluated } from './coverage.js';
import { type DetectionSettings, type DetectionStageResult, type LogsReader, runDetectionStage } from './detectionStage.js';
import type { FleetReader } from './fleetReader.js';
import { type InClusterCoverage, type InClusterStageResult, runInClusterStage } from './inClusterStage.js';
import { collectInventory, type Inventory, type InventoryProgress, type KubernetesVersionsCache } from './inventory.js';
import { type PolicyReader, type PolicyStageResult, runPolicyStage } from './policyStage.js';
import type { SweepRecordStore } from './sweepRecordStore.js';
import type { ClusterSummary, SweepError, SweepResult, SweepStats, SweepStatus } from './sweepResult.js';

export interface SweepDependencies {
  fleet: FleetReader;
  /** Azure Policy compliance; without it POLICY-* rules are not evaluated. */
  policy?: PolicyReader;
  /** AKS Event Grid notices (support ending/ended, rolling failures); without it those rules are not evaluated. */
  notices?: { listClusterNotices(): Promise<ClusterNotices> };
  /** Alert pipeline: the lifecycle changes the store wrote are routed and queued for delivery. */
  alerts?: Pick<AlertPipeline, 'enqueue'>;
  /** Log Analytics detections; without it LOG-* rules are not evaluated. */
  logs?: { reader: LogsReader; settings: DetectionSettings };
  /** The clusters' Kubernetes objects (CONTRACTS.md §5); without it K8S-* rules are not evaluated. */
  inCluster?: InClusterReader;
  /** Each cluster's diagnostic settings, read in the in-cluster stage; without it AKS-AUDIT-LOGS is not evaluated. */
  diagnostics?: DiagnosticSettingsReader;
  /** FLEETGUARD_PRODUCTION_TAG and the like; the defaults when absent. */
  posture?: PostureSettings;
  /** Without a store the sweep only reports (offline snapshot audits). */
  findings?: FindingsStore;
  sweeps?: SweepRecordStore;
  /** Each location's Kubernetes versions, shared by the shards of one sweep (lib/sweep/streamingSweep.ts); asked afresh without it. */
  versions?: KubernetesVersionsCache;
  now?: () => Date;
}

export interface SweepOptions {
  /** Subscriptions to sweep; empty = discover every subscription the identity can read. */
  subscriptions: readonly string[];
  concurrency: number;
  /** Recorded with the sweep: `timer`, `cli`, `demo`. */
  trigger: string;
  onProgress?: (progress: InventoryProgress | { stage: 'store'; done: number; total: number }) => void;
  /** The sweep this run belongs to, when it is one shard of a larger sweep (lib/sweep/sweepShard.ts); a new one otherwise. */
  identity?: { sweepId: string; startedAt: Date };
  /**
   * The sweep's call slots, when shards of one sweep overlap (lib/sweep/streamingSweep.ts): together
   * they stay within `concurrency`. Its own otherwise.
   */
  limit?: LimitFunction;
}

export async function runSweep(deps: SweepDependencies, options: SweepOptions): Promise<SweepResult> {
  const now = deps.now ?? (() => new Date());
  const started = options.identity?.startedAt ?? now();
  const sweepId = options.identity?.sweepId ?? randomUUID();
  const errors: SweepError[] = [];

  const subscriptions = await resolveSubscriptions(deps.fleet, options.subscriptions, errors);
  // Policy and detections need only the listed clusters, not each other nor the versions: they run
  // while the versions load, all sharing one limit so the sweep never has more than `concurrency`
  // calls in flight. Posture rules run as soon as the versions are in, while policy and log calls
  // are still in flight: their CPU overlaps the waits instead of following them.
  const limit = options.limit ?? pLimit(options.concurrency);
  const coverage: Coverage = new Map();
  let policy: PolicyStageResult | undefined;
  let detections: DetectionStageResult | undefined;
  let inCluster: InClusterStageResult | undefined;
  let posture: Finding[] = [];
  // Kept apart so the report lists errors in stage order, whatever order they happened in.
  const policyErrors: SweepError[] = [];
  const detectionErrors: SweepError[] = [];
  const inClusterErrors: SweepError[] = [];
  const inventory = await collectInventory(deps.fleet, {
    subscriptions,
    concurrency: options.concurrency,
    limit,
    alongsideVersions: async (listed, versions) => {
      [policy, detections, inCluster, posture] = await Promise.all([
        deps.policy
          ? runPolicyStage(deps.policy, listed.clusters, listed.listedSubscriptions, limit, coverage, policyErrors, {
              acrossSubscriptions: listed.viaResourceGraph,
            })
          : undefined,
        deps.logs ? runDetectionStage(deps.logs.reader, listed.clusters, deps.logs.settings, limit, coverage, detectionErrors) : undefined,
        deps.inCluster ? runInClusterStage(deps.inCluster, listed.clusters, limit, coverage, inClusterErrors, deps.diagnostics) : undefined,
        versions.then((byLocation) => evaluatePosture(listed.clusters, byLocation, coverage, deps.posture)),
      ]);
    },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(deps.versions ? { versionsCache: deps.versions } : {}),
  });
  errors.push(...inventory.errors, ...policyErrors, ...detectionErrors, ...inClusterErrors);

  const findings: Finding[] = [...posture, ...(policy?.findings ?? []), ...(detections?.findings ?? []), ...(inCluster?.findings ?? [])];

  if (deps.notices) {
    try {
      const notices = await deps.notices.listClusterNotices();
      for (const cluster of inventory.clusters) {
        findings.push(...evaluateNotices(cluster, notices));
        markEvaluated(coverage, cluster.id, NOTICE_RULE_IDS);
      }
    } catch (error) {
      const failure = toFleetGuardError(error, 'reading Event Grid notices');
      errors.push({ scope: 'store', target: 'notices', reason: failure.reason, message: `${failure.message} (support and rolling rules skipped)` });
    }
  }

  const changes: LifecycleChange[] = [];
  const store = deps.findings
    ? await reconcile(deps.findings, findings, inventory, coverage, { sweepId, observedAt: started.toISOString() }, options, errors, changes)
    : undefined;
  let alerts: EnqueueResult | undefined;
  if (deps.alerts && deps.findings) {
    try {
      alerts = await deps.alerts.enqueue(changes, now());
    } catch (error) {
      const failure = toFleetGuardError(error, 'queueing alerts');
      errors.push({ scope: 'alerts', target: 'outbox', reason: failure.reason, message: failure.message });
    }
  }

  const ended = now();
  const result: SweepResult = {
    sweepId,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    status: sweepStatus(subscriptions.length, inventory.listedSubscriptions.length, errors),
    findings: sortFindings(findings),
    clusters: summarizeClusters(inventory.clusters, findings, policy?.compliance.perCluster, inCluster?.coverage),
    stats: {
      ...buildStats(subscriptions.length, inventory, findings, ended.getTime() - started.getTime(), store, policy?.compliance.overall, detections),
      ...(inCluster ? { inCluster: inCluster.counts } : {}),
      alerts,
    },
    errors,
  };

  if (deps.sweeps) {
    try {
      await deps.sweeps.ensureTable();
      await deps.sweeps.record(result, options.trigger);
    } catch (error) {
      const failure = toFleetGuardError(error, 'recording the sweep');
      result.errors.push({ scope: 'store', target: 'sweeps', reason: failure.reason, message: failure.message });
      result.status = result.status === 'failed' ? 'failed' : 'partial';
    }
  }
  return result;
}

/** The configured subscriptions (lower-cased, de-duplicated), or every one the identity can read; a failed discovery is an error of scope `discovery`. */
export async function resolveSubscriptions(fleet: FleetReader, configured: readonly string[], errors: SweepError[]): Promise<string[]> {
  if (configured.length > 0) return [...new Set(configured.map((id) => id.toLowerCase()))];
  try {
    return await fleet.listSubscriptionIds();
  } catch (error) {
    const failure = toFleetGuardError(error, 'discovering subscriptions');
    errors.push({ scope: 'discovery', target: 'subscriptions', reason: failure.reason, message: failure.message });
    return [];
  }
}

async function reconcile(
  store: FindingsStore,
  findings: readonly Finding[],
  inventory: Pick<Inventory, 'listedSubscriptions' | 'incompleteSubscriptions' | 'clusters'>,
  coverage: Coverage,
  sweep: { sweepId: string; observedAt: string },
  options: SweepOptions,
  errors: SweepError[],
  changes: LifecycleChange[],
): Promise<SweepStats['store']> {
  const totals: NonNullable<SweepStats['store']> = {
    opened: 0,
    reopened: 0,
    updated: 0,
    resolved: 0,
    conflicts: 0,
    subscriptions: 0,
    rowsWritten: 0,
    transactions: 0,
  };
  try {
    await store.ensureTable();
  } catch (error) {
    const failure = toFleetGuardError(error, 'preparing the findings table');
    errors.push({ scope: 'store', target: 'findings', reason: failure.reason, message: failure.message });
    return totals;
  }
  const findingsBySubscription = new Map<string, Finding[]>();
  for (const finding of findings) {
    const list = findingsBySubscription.get(finding.subscriptionId) ?? [];
    list.push(finding);
    findingsBySubscription.set(finding.subscriptionId, list);
  }
  const limit = options.limit ?? pLimit(options.concurrency);
  let done = 0;
  // Only subscriptions whose listing completed are reconciled: a failed one keeps its findings as they were.
  const listedSubscriptions = inventory.listedSubscriptions;
  await Promise.all(
    listedSubscriptions.map((subscriptionId) =>
      limit(async () => {
        try {
          const counts = await store.reconcileSubscription(findingsBySubscription.get(subscriptionId) ?? [], {
            subscriptionId,
            sweepId: sweep.sweepId,
            observedAt: sweep.observedAt,
            coverage: coverageOfSubscription(coverage, inventory.clusters, subscriptionId),
            listingComplete: !inventory.incompleteSubscriptions.has(subscriptionId),
          });
          totals.opened += counts.opened;
          totals.reopened += counts.reopened;
          totals.updated += counts.updated;
          totals.resolved += counts.resolved;
          totals.conflicts += counts.conflicts;
          totals.rowsWritten += counts.rowsWritten;
          totals.transactions += counts.transactions;
          // Every change goes to the alert pipeline, also the `updated` ones the partition mark carries (not rewritten): the planner re-notifies after repeatInterval.
          changes.push(...counts.changes);
          if (counts.gaveUp === undefined) totals.subscriptions += 1;
          else errors.push({ scope: 'store', target: subscriptionId, reason: counts.gaveUp.reason, message: counts.gaveUp.message });
        } catch (error) {
          const failure = toFleetGuardError(error, `storing findings of subscription ${subscriptionId}`);
          errors.push({ scope: 'store', target: subscriptionId, reason: failure.reason, message: failure.message });
        }
        options.onProgress?.({ stage: 'store', done: (done += 1), total: listedSubscriptions.length });
      }),
    ),
  );
  return totals;
}

function evaluatePosture(
  clusters: readonly Cluster[],
  versionsByLocation: ReadonlyMap<string, KubernetesVersionCatalog>,
  coverage: Coverage,
  settings: PostureSettings | undefined,
): Finding[] {
  const findings: Finding[] = [];
  for (const cluster of clusters) {
    const evaluation = evaluateCluster(cluster, versionsByLocation.get(cluster.location), settings);
    findings.push(...evaluation.findings);
    markEvaluated(coverage, cluster.id, evaluation.evaluatedRuleIds);
  }
  return findings;
}

function sweepStatus(subscriptions: number, listed: number, errors: readonly SweepError[]): SweepStatus {
  if (errors.some((error) => error.scope === 'discovery') || (subscriptions > 0 && listed === 0)) return 'failed';
  return errors.length > 0 ? 'partial' : 'succeeded';
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (left, right) =>
      left.resourceId.toLowerCase().localeCompare(right.resourceId.toLowerCase()) ||
      severityRank(right.severity) - severityRank(left.severity) ||
      left.ruleId.localeCompare(right.ruleId),
  );
}

/** The part of the coverage that belongs to one subscription's clusters. */
function coverageOfSubscription(coverage: Coverage, clusters: readonly Cluster[], subscriptionId: string): Coverage {
  const own: Coverage = new Map();
  for (const cluster of clusters) {
    if (cluster.subscriptionId !== subscriptionId) continue;
    const rules = coverage.get(resourceKey(cluster.id));
    if (rules) own.set(resourceKey(cluster.id), rules);
  }
  return own;
}

function summarizeClusters(
  clusters: readonly Cluster[],
  findings: readonly Finding[],
  compliance: Map<string, ClusterCompliance> | undefined,
  inCluster: ReadonlyMap<string, InClusterCoverage> | undefined,
): ClusterSummary[] {
  const findingsByCluster = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = resourceKey(finding.resourceId);
    findingsByCluster.set(key, [...(findingsByCluster.get(key) ?? []), finding]);
  }
  return clusters.map((cluster) => {
    const key = resourceKey(cluster.id);
    const summary = summarize(cluster, findingsByCluster.get(key) ?? [], compliance?.get(key)?.percent);
    const coverage = inCluster?.get(key);
    return coverage === undefined ? summary : { ...summary, inCluster: coverage };
  });
}

function summarize(cluster: Cluster, own: readonly Finding[], policyCompliancePercent: number | undefined): ClusterSummary {
  const worst = own.reduce<Severity | undefined>(
    (current, finding) => (current === undefined || severityRank(finding.severity) > severityRank(current) ? finding.severity : current),
    undefined,
  );
  return {
    resourceId: cluster.id,
    name: cluster.name,
    subscriptionId: cluster.subscriptionId,
    resourceGroup: cluster.resourceGroup,
    location: cluster.location,
    kubernetesVersion: cluster.kubernetesVersion,
    provisioningState: cluster.provisioningState,
    powerState: cluster.powerState,
    tags: cluster.tags,
    findings: own.length,
    worstSeverity: worst,
    policyCompliancePercent,
  };
}

function buildStats(
  subscriptions: number,
  inventory: Inventory,
  findings: readonly Finding[],
  durationMs: number,
  store: SweepStats['store'],
  policy: ClusterCompliance | undefined,
  detections: DetectionStageResult | undefined,
): SweepStats {
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  const byRule: Record<string, number> = {};
  for (const finding of findings) {
    bySeverity[finding.severity] += 1;
    byRule[finding.ruleId] = (byRule[finding.ruleId] ?? 0) + 1;
  }
  const locations = new Set(inventory.clusters.map((cluster) => cluster.location));
  return {
    subscriptions: { total: subscriptions, succeeded: inventory.listedSubscriptions.length, failed: inventory.failedSubscriptions.length },
    clusters: inventory.clusters.length,
    locations: { total: locations.size, failed: [...locations].filter((location) => !inventory.versionsByLocation.has(location)).length },
    findings: { total: findings.length, bySeverity, byRule },
    policy: policy ?? { compliant: 0, nonCompliant: 0, percent: undefined },
    logs: detections ? { workspaces: detections.workspaces.total, failedWorkspaces: detections.workspaces.failed, queries: detections.queries } : undefined,
    durationMs,
    store,
  };
}
