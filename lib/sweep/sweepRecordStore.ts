import { createHash } from 'node:crypto';

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, numberOr, parseEntity, textMapJson, textOrEmpty } from '../azure/tableEntity.js';
import { ensureTable } from '../azure/tables.js';
import { toFleetGuardError } from '../errors.js';
import type { InClusterRunRecord } from './inClusterOrchestrator.js';
import type { ClusterSummary, SweepResult } from './sweepResult.js';

/** Table properties hold at most 64 KiB; keep the error list well inside that. */
const MAX_ERRORS_JSON = 30_000;
/** Newest first: RowKey is the inverted start time (Tables sort rows by key, ascending). */
const MAX_TIME = 9_999_999_999_999;
/** Summary rows of the in-cluster runs (lib/sweep/inClusterOrchestrator.ts): apart from the fleet sweeps', so the charts and "latest sweep" stay the fleet's. */
const IN_CLUSTER_PARTITION = 'inClusterSweep';

function newestFirstKey(startedAt: string, id: string): string {
  return `${String(MAX_TIME - Date.parse(startedAt)).padStart(13, '0')}-${id}`;
}

export interface SweepRecord {
  sweepId: string;
  startedAt: string;
  endedAt: string;
  status: string;
  trigger: string;
  subscriptions: number;
  subscriptionsFailed: number;
  clusters: number;
  findings: number;
  opened: number;
  resolved: number;
  /** Fleet-wide share of compliant Azure Policy states, -1 when none were evaluated. */
  policyCompliancePercent: number;
  /** Alert messages queued, and firing alerts held back by silences or upgrades. */
  alertsQueued: number;
  alertsSilenced: number;
  alertsInhibited: number;
  /** Clusters whose Kubernetes objects were read, and those that could not be (unreachable, unauthorized, not Entra-integrated). */
  inClusterChecked?: number;
  inClusterNotChecked?: number;
  errors: string;
}

export interface ClusterRecord {
  resourceId: string;
  name: string;
  subscriptionId: string;
  location: string;
  /** Empty when ARM did not report one. */
  kubernetesVersion: string;
  tags: Record<string, string>;
  findings: number;
  worstSeverity: string;
  /** Share of compliant Azure Policy states, -1 when none were evaluated. */
  policyCompliancePercent: number;
  /** In-cluster coverage (`checked`, `unreachable`, ...) and why; absent when the sweep had no in-cluster stage. */
  inCluster?: { state: string; reason: string };
}

/**
 * The summary row of a sweep (partition `sweep`). Columns were added over time (policy, alert
 * counts): rows written before they existed read as zero, -1 (no compliance) or empty.
 */
const sweepEntity = z.object({
  sweepId: z.string(),
  startedAt: z.string(),
  endedAt: textOrEmpty,
  status: textOrEmpty,
  trigger: textOrEmpty,
  subscriptions: numberOr(0),
  subscriptionsFailed: numberOr(0),
  clusters: numberOr(0),
  findings: numberOr(0),
  opened: numberOr(0),
  resolved: numberOr(0),
  policyCompliancePercent: numberOr(-1),
  alertsQueued: numberOr(0),
  alertsSilenced: numberOr(0),
  alertsInhibited: numberOr(0),
  inClusterChecked: numberOr(0),
  inClusterNotChecked: numberOr(0),
  errors: z.string().catch('[]'),
}) satisfies z.ZodType<SweepRecord>;

/** One cluster of a sweep (partition `clusters-{sweepId}`). Tables has no map type: tags travel as JSON. */
const clusterEntity = z
  .object({
    resourceId: z.string(),
    name: z.string(),
    subscriptionId: z.string(),
    // Rows written before these columns existed read as unknown.
    location: textOrEmpty,
    kubernetesVersion: textOrEmpty,
    tagsJson: textMapJson,
    findings: numberOr(0),
    worstSeverity: textOrEmpty,
    policyCompliancePercent: numberOr(-1),
    inClusterState: textOrEmpty,
    inClusterReason: textOrEmpty,
  })
  .transform(({ tagsJson, inClusterState, inClusterReason, ...row }): ClusterRecord => ({
    ...row,
    tags: tagsJson,
    ...(inClusterState === '' ? {} : { inCluster: { state: inClusterState, reason: inClusterReason } }),
  }));

/** Table properties hold at most 64 KiB of UTF-16: a reason is cut well inside that. */
const MAX_REASON = 4_000;

function toClusterEntity(partitionKey: string, { tags, inCluster, ...cluster }: ClusterRecord): EntityOf<typeof clusterEntity> {
  return {
    partitionKey,
    rowKey: createHash('sha256').update(cluster.resourceId.toLowerCase()).digest('hex'),
    ...cluster,
    tagsJson: JSON.stringify(tags),
    inClusterState: inCluster?.state ?? '',
    inClusterReason: (inCluster?.reason ?? '').slice(0, MAX_REASON),
  };
}

/** One row per sweep run: when, how it went, what changed and which parts failed. */
export class SweepRecordStore {
  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  /**
   * `clusterRowsWritten`: a sharded sweep wrote its cluster rows shard by shard
   * ({@link recordClusterRows}); the summary row alone is left.
   */
  async record(result: SweepResult, trigger: string, options: { clusterRowsWritten?: boolean } = {}): Promise<void> {
    let errors = JSON.stringify(result.errors);
    if (errors.length > MAX_ERRORS_JSON) errors = `${errors.slice(0, MAX_ERRORS_JSON)}…(truncated)`;
    const row: Required<SweepRecord> = {
      sweepId: result.sweepId,
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      status: result.status,
      trigger,
      subscriptions: result.stats.subscriptions.total,
      subscriptionsFailed: result.stats.subscriptions.failed,
      clusters: result.stats.clusters,
      findings: result.stats.findings.total,
      opened: (result.stats.store?.opened ?? 0) + (result.stats.store?.reopened ?? 0),
      resolved: result.stats.store?.resolved ?? 0,
      policyCompliancePercent: result.stats.policy.percent ?? -1,
      alertsQueued: result.stats.alerts?.messages ?? 0,
      alertsSilenced: result.stats.alerts?.silenced ?? 0,
      alertsInhibited: result.stats.alerts?.inhibited ?? 0,
      inClusterChecked: result.stats.inCluster?.checked ?? 0,
      inClusterNotChecked: result.stats.inCluster
        ? result.stats.inCluster.unreachable + result.stats.inCluster.unauthorized + result.stats.inCluster.notEntraIntegrated
        : 0,
      errors,
    };
    const rowKey = newestFirstKey(result.startedAt, result.sweepId);
    try {
      if (options.clusterRowsWritten !== true) await this.recordClusterRows(result.sweepId, result.clusters);
      // The summary row goes last: a reader that finds it can rely on the cluster rows being there.
      const entity: EntityOf<typeof sweepEntity> = { partitionKey: 'sweep', rowKey, ...row };
      await this.table.upsertEntity(entity, 'Replace');
    } catch (error) {
      throw toFleetGuardError(error, `writing sweep record ${result.sweepId}`);
    }
  }

  /**
   * An in-cluster run of the fan-out: its summary (partition `inClusterSweep`) and one row per
   * cluster with its coverage (partition `clusters-{runId}`, read by {@link clusters}).
   */
  async recordInCluster(run: InClusterRunRecord): Promise<void> {
    let errors = JSON.stringify(run.errors);
    if (errors.length > MAX_ERRORS_JSON) errors = `${errors.slice(0, MAX_ERRORS_JSON)}…(truncated)`;
    const rows: ClusterRecord[] = run.clusters.map((cluster) => ({
      resourceId: cluster.resourceId,
      name: cluster.name,
      subscriptionId: cluster.subscriptionId,
      location: cluster.location,
      kubernetesVersion: '',
      tags: {},
      findings: cluster.findings,
      worstSeverity: '',
      policyCompliancePercent: -1,
      inCluster: { state: cluster.state, reason: cluster.reason ?? '' },
    }));
    const summary: EntityOf<typeof sweepEntity> = {
      partitionKey: IN_CLUSTER_PARTITION,
      rowKey: newestFirstKey(run.startedAt, run.runId),
      sweepId: run.runId,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      status: run.status,
      trigger: 'inCluster',
      subscriptions: run.subscriptions,
      subscriptionsFailed: run.subscriptionsFailed,
      clusters: run.clusters.length,
      findings: run.findings,
      opened: run.store.opened + run.store.reopened,
      resolved: run.store.resolved,
      policyCompliancePercent: -1,
      alertsQueued: run.alertsQueued,
      alertsSilenced: 0,
      alertsInhibited: 0,
      inClusterChecked: run.counts.checked,
      inClusterNotChecked: run.counts.unreachable + run.counts.unauthorized + run.counts.notEntraIntegrated,
      errors,
    };
    try {
      await this.writeRows(`clusters-${run.runId}`, rows);
      await this.table.upsertEntity(summary, 'Replace');
    } catch (error) {
      throw toFleetGuardError(error, `writing in-cluster run record ${run.runId}`);
    }
  }

  /** The most recent in-cluster runs, newest first. */
  latestInCluster(limit: number): Promise<SweepRecord[]> {
    return this.latest(limit, IN_CLUSTER_PARTITION);
  }

  /**
   * Each cluster's coverage in the latest in-cluster run (lower-cased id → state and reason), for
   * the report when the fleet sweep leaves the in-cluster stage to its own schedule.
   */
  async latestInClusterCoverage(): Promise<Map<string, { state: string; reason: string }>> {
    const [run] = await this.latestInCluster(1);
    const coverage = new Map<string, { state: string; reason: string }>();
    if (run === undefined) return coverage;
    for (const cluster of await this.clusters(run.sweepId)) if (cluster.inCluster) coverage.set(cluster.resourceId.toLowerCase(), cluster.inCluster);
    return coverage;
  }

  /** One row per cluster (partition `clusters-{sweepId}`): findings and policy compliance. A shard's rows can be written on their own. */
  async recordClusterRows(sweepId: string, clusters: readonly ClusterSummary[]): Promise<void> {
    const rows: ClusterRecord[] = clusters.map((cluster) => ({
      resourceId: cluster.resourceId,
      name: cluster.name,
      subscriptionId: cluster.subscriptionId,
      location: cluster.location,
      kubernetesVersion: cluster.kubernetesVersion ?? '',
      tags: cluster.tags,
      findings: cluster.findings,
      worstSeverity: cluster.worstSeverity ?? '',
      policyCompliancePercent: cluster.policyCompliancePercent ?? -1,
      ...(cluster.inCluster
        ? {
            inCluster: {
              state: cluster.inCluster.state,
              reason: [cluster.inCluster.reason, cluster.inCluster.unread ? `unread: ${cluster.inCluster.unread.join(', ')}` : undefined]
                .filter(Boolean)
                .join('; '),
            },
          }
        : {}),
    }));
    await this.writeRows(`clusters-${sweepId}`, rows);
  }

  private async writeRows(partitionKey: string, rows: readonly ClusterRecord[]): Promise<void> {
    for (let start = 0; start < rows.length; start += 100) {
      const actions: TransactionAction[] = rows.slice(start, start + 100).map((cluster) => ['upsert', toClusterEntity(partitionKey, cluster), 'Replace']);
      await this.table.submitTransaction(actions);
    }
  }

  /** The per-cluster rows of one sweep. */
  async clusters(sweepId: string): Promise<ClusterRecord[]> {
    const records: ClusterRecord[] = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${`clusters-${sweepId}`}` },
      })) {
        records.push(parseEntity(clusterEntity, this.table.tableName, entity));
      }
    } catch (error) {
      throw toFleetGuardError(error, `reading cluster records of sweep ${sweepId}`);
    }
    return records;
  }

  /** The most recent sweeps, newest first. */
  async latest(limit: number, partition = 'sweep'): Promise<SweepRecord[]> {
    const records: SweepRecord[] = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } })) {
        records.push(parseEntity(sweepEntity, this.table.tableName, entity));
        if (records.length >= limit) break;
      }
    } catch (error) {
      throw toFleetGuardError(error, `reading table ${this.table.tableName}`);
    }
    return records;
  }
}
