/**
 * The activities of the in-cluster fan-out (lib/sweep/inClusterOrchestrator.ts): list the clusters,
 * check one batch, record the run. Created from their dependencies (no service locator); the
 * composition root (lib/app/inClusterRun.ts) binds them to the worker's clients.
 *
 * A batch checks its clusters with the same per-cluster check as the CLI's in-process stage
 * (`checkClusterInside`), at most `clusterConcurrency` at once, each within the per-cluster
 * deadline, then applies the findings to the store with the lifecycle restricted to what it
 * evaluated: only its own `checked` clusters' K8S rules may resolve a finding, and the listing is
 * declared incomplete, so no other cluster's findings (nor an unread cluster's) are touched.
 */
import pLimit from 'p-limit';

import type { AlertPipeline } from '../alerts/alertPipeline.js';
import { toFleetGuardError } from '../errors.js';
import type { FindingsStore } from '../findings/findingsStore.js';
import type { LifecycleChange } from '../findings/lifecycle.js';
import type { Finding } from '../model/finding.js';
import { type Coverage, markEvaluated } from './coverage.js';
import type { FleetReader } from './fleetReader.js';
import type { BatchInput, BatchResult, ClusterCoverageRow, InClusterRunRecord, ListedClusters } from './inClusterOrchestrator.js';
import { checkClusterInside, type ClusterCheckDeps } from './inClusterStage.js';
import { collectInventory } from './inventory.js';
import type { SweepRecordStore } from './sweepRecordStore.js';
import type { SweepError } from './sweepResult.js';

export interface InClusterActivityDeps {
  fleet: FleetReader;
  /** The per-cluster check's readers (and its deadline, from the settings). */
  check: ClusterCheckDeps;
  /** Subscriptions to list; empty = every subscription the identity can read. */
  subscriptions: readonly string[];
  /** Concurrent ARM calls of the listing. */
  listConcurrency: number;
  /** Clusters one batch reads at once. */
  clusterConcurrency: number;
  findings?: FindingsStore;
  alerts?: Pick<AlertPipeline, 'enqueue'>;
  sweeps?: SweepRecordStore;
  now?: () => Date;
}

export interface InClusterActivities {
  listActivity(input: { runId: string }): Promise<ListedClusters>;
  batchActivity(input: BatchInput): Promise<BatchResult>;
  recordActivity(input: InClusterRunRecord): Promise<void>;
}

/** Problems a batch reports in full; the rest are counted. */
const MAX_BATCH_ERRORS = 10;

/** The versions catalog is not needed here: the listing asks for none (one call per location saved). */
const NO_VERSIONS = (_subscriptionId: string, location: string) => Promise.resolve({ location, minors: [] });

export function createInClusterActivities(deps: InClusterActivityDeps): InClusterActivities {
  const now = deps.now ?? (() => new Date());
  return {
    async listActivity() {
      const errors: SweepError[] = [];
      let subscriptions = [...new Set(deps.subscriptions.map((id) => id.toLowerCase()))];
      if (subscriptions.length === 0) subscriptions = await deps.fleet.listSubscriptionIds();
      const inventory = await collectInventory({ ...deps.fleet, listKubernetesVersions: NO_VERSIONS }, { subscriptions, concurrency: deps.listConcurrency });
      errors.push(...inventory.errors);
      return { clusters: inventory.clusters, subscriptions: subscriptions.length, subscriptionsFailed: inventory.failedSubscriptions.length, errors };
    },

    async batchActivity(input) {
      const limit = pLimit(deps.clusterConcurrency);
      const checks = await Promise.all(input.clusters.map((cluster) => limit(async () => ({ cluster, check: await checkClusterInside(deps.check, cluster) }))));
      const errors = checks.flatMap(({ check }) => check.errors);
      const rows: ClusterCoverageRow[] = checks.map(({ cluster, check }) => ({
        resourceId: cluster.id,
        name: cluster.name,
        subscriptionId: cluster.subscriptionId,
        location: cluster.location,
        state: check.coverage.state,
        ...(recordedReason(check.coverage) === undefined ? {} : { reason: recordedReason(check.coverage) }),
        findings: check.findings.length,
      }));

      // Per subscription (the store's partition): the findings observed and the rules evaluated.
      const bySubscription = new Map<string, { findings: Finding[]; coverage: Coverage }>();
      for (const { cluster, check } of checks) {
        const key = cluster.subscriptionId.toLowerCase();
        const entry = bySubscription.get(key) ?? { findings: [] as Finding[], coverage: new Map() as Coverage };
        // Unchecked clusters still carry what was read from ARM (AKS-AUDIT-LOGS); their K8S-* rules are not in evaluatedRuleIds.
        entry.findings.push(...check.findings);
        markEvaluated(entry.coverage, cluster.id, check.evaluatedRuleIds);
        bySubscription.set(key, entry);
      }
      const store = { opened: 0, reopened: 0, updated: 0, resolved: 0 };
      const changes: LifecycleChange[] = [];
      if (deps.findings) {
        for (const [subscriptionId, entry] of bySubscription) {
          if (entry.coverage.size === 0) continue;
          // Throws on a storage failure: the orchestration retries the batch (reads are idempotent, writes ETag-conditional).
          const counts = await deps.findings.reconcileSubscription(entry.findings, {
            subscriptionId,
            sweepId: input.runId,
            observedAt: input.observedAt,
            coverage: entry.coverage,
            // Other clusters of the subscription are not in this batch: none of theirs may be resolved as gone.
            listingComplete: false,
          });
          store.opened += counts.opened;
          store.reopened += counts.reopened;
          store.updated += counts.updated;
          store.resolved += counts.resolved;
          // Also the `updated` changes the partition mark carries without rewriting their rows: alerts repeat on them.
          changes.push(...counts.changes);
          // Other writers kept changing the partition: what was written stays, the rest is reported (the next run re-observes it).
          if (counts.gaveUp) errors.push({ scope: 'store', target: subscriptionId, reason: counts.gaveUp.reason, message: counts.gaveUp.message });
        }
      }
      let alertsQueued = 0;
      if (deps.alerts && deps.findings) {
        try {
          alertsQueued = (await deps.alerts.enqueue(changes, now())).messages;
        } catch (error) {
          // Not thrown: a retried batch would find its findings written and alert nothing (as a sweep, runSweep.ts).
          const failure = toFleetGuardError(error, 'queueing alerts');
          errors.push({ scope: 'alerts', target: 'outbox', reason: failure.reason, message: failure.message });
        }
      }
      return {
        clusters: rows,
        findings: checks.reduce((total, { check }) => total + check.findings.length, 0),
        store,
        alertsQueued,
        errors: errors.slice(0, MAX_BATCH_ERRORS),
        errorCount: errors.length,
      };
    },

    async recordActivity(record) {
      if (deps.sweeps === undefined) return;
      await deps.sweeps.ensureTable();
      await deps.sweeps.recordInCluster(record);
    },
  };
}

function recordedReason(coverage: { reason?: string; unread?: readonly string[] }): string | undefined {
  const parts = [coverage.reason, coverage.unread ? `unread: ${coverage.unread.join(', ')}` : undefined].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
