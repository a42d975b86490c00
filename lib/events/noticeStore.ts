/**
 * Event Grid bookkeeping in one table: which event ids were processed (dedup across at-least-once
 * delivery), AKS notices (support, rolling, rolling progress), the latest versions seen per
 * location, and when each cluster's policy findings were last re-evaluated (to drop stale policy
 * events).
 */
import { createHash } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, safeParseEntity } from '../azure/tableEntity.js';
import { ensureTable } from '../azure/tables.js';
import { toFleetGuardError } from '../errors.js';
import { resourceKey } from '../model/cluster.js';
import {
  type ClusterNotices,
  latestPoolRolling,
  type PoolRollingProgress,
  type RollingNotice,
  type RollingProgressNotice,
  type SupportNotice,
} from '../model/notice.js';

function key(...parts: string[]): string {
  // Table keys forbid / \ # ? and control characters; event ids and resource ids may contain them.
  return createHash('sha256')
    .update(parts.map((part) => part.toLowerCase()).join('\n'))
    .digest('hex');
}

/** Characters of an informational string property (Tables allow 32K UTF-16 units). */
const MAX_NOTE = 1_000;

/**
 * The notices as read back, one schema per partition. A row a schema does not accept is skipped,
 * as before: a notice we cannot read is one we never got, and the sweep must go on.
 */
const supportEntity = z.object({
  clusterId: z.string(),
  state: z.enum(['ending', 'ended']),
  kubernetesVersion: z.string(),
  eventTime: z.string(),
}) satisfies z.ZodType<SupportNotice>;
const rollingEntity = z.object({
  clusterId: z.string(),
  nodePool: z.string(),
  state: z.enum(['started', 'succeeded', 'failed']),
  eventTime: z.string(),
}) satisfies z.ZodType<RollingNotice>;
const progressEntity = z.object({
  clusterId: z.string(),
  nodePool: z.string(),
  state: z.string(),
  eventTime: z.string(),
}) satisfies z.ZodType<RollingProgressNotice>;
const policyEvaluationEntity = z.object({ clusterId: z.string().optional(), eventTime: z.string() });

/** A notice row as written: the schema's fields, plus the cluster key the queries filter on. */
type NoticeRow<Schema extends z.ZodType> = Omit<EntityOf<Schema>, 'partitionKey' | 'rowKey'> & { clusterKey?: string };

function isStatus(error: unknown, status: number): boolean {
  return (error as { statusCode?: number }).statusCode === status;
}

export class NoticeStore {
  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  async wasProcessed(eventId: string): Promise<boolean> {
    try {
      await this.table.getEntity('processed', key(eventId));
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw toFleetGuardError(error, `reading event ${eventId}`);
    }
  }

  async markProcessed(eventId: string, eventType: string): Promise<void> {
    try {
      // The row key is a hash of the id; id and type are kept for people only, so they are cut to
      // what a Tables property holds (64 KiB): an oversized id must not make the write fail
      // after the event was handled, which would have Event Grid redeliver it for a day.
      await this.table.createEntity({
        partitionKey: 'processed',
        rowKey: key(eventId),
        eventId: eventId.slice(0, MAX_NOTE),
        eventType: eventType.slice(0, MAX_NOTE),
        processedAt: new Date().toISOString(),
      });
    } catch (error) {
      // A concurrent delivery of the same event got there first: same outcome.
      if (!isStatus(error, 409)) throw toFleetGuardError(error, `recording event ${eventId.slice(0, 200)}`);
    }
  }

  /** Stores a notice unless a newer one for the same subject is already there; true when stored. */
  private async putIfNewer(partitionKey: string, rowKey: string, entity: Record<string, string>): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      let existing: { eventTime?: unknown; etag: string } | undefined;
      try {
        existing = await this.table.getEntity<{ eventTime?: unknown }>(partitionKey, rowKey);
      } catch (error) {
        if (!isStatus(error, 404)) throw toFleetGuardError(error, `reading notice ${partitionKey}`);
      }
      if (existing !== undefined && typeof existing.eventTime === 'string' && existing.eventTime >= (entity['eventTime'] ?? '')) return false;
      try {
        if (existing === undefined) await this.table.createEntity({ partitionKey, rowKey, ...entity });
        else await this.table.updateEntity({ partitionKey, rowKey, ...entity }, 'Replace', { etag: existing.etag });
        return true;
      } catch (error) {
        if (!isStatus(error, 409) && !isStatus(error, 412)) throw toFleetGuardError(error, `writing notice ${partitionKey}`);
      }
    }
    throw toFleetGuardError(new Error('the notice kept changing'), `writing notice ${partitionKey}`);
  }

  putSupport(notice: SupportNotice): Promise<boolean> {
    const row: NoticeRow<typeof supportEntity> = { ...notice, clusterKey: resourceKey(notice.clusterId) };
    return this.putIfNewer('support', key(resourceKey(notice.clusterId)), row);
  }

  putRolling(notice: RollingNotice): Promise<boolean> {
    const row: NoticeRow<typeof rollingEntity> = { ...notice, clusterKey: resourceKey(notice.clusterId) };
    return this.putIfNewer('rolling', key(resourceKey(notice.clusterId), notice.nodePool), row);
  }

  /** The pool's latest `NodePoolRollingProgress` (partition `progress`); an older report never replaces a newer one. */
  putProgress(notice: RollingProgressNotice): Promise<boolean> {
    const row: NoticeRow<typeof progressEntity> = { ...notice, state: notice.state.slice(0, MAX_NOTE), clusterKey: resourceKey(notice.clusterId) };
    return this.putIfNewer('progress', key(resourceKey(notice.clusterId), notice.nodePool), row);
  }

  putLocationVersions(location: string, versions: string[], eventTime: string): Promise<boolean> {
    // Written for people and for the newer-than check only: no reader needs a schema for it.
    const row = { location, versions: versions.join(','), eventTime };
    return this.putIfNewer('versions', key(location), row);
  }

  /** When the cluster's policy findings were last re-evaluated from Policy Insights, if ever. */
  async policyEvaluatedAt(clusterId: string): Promise<string | undefined> {
    try {
      const parsed = safeParseEntity(
        policyEvaluationEntity,
        this.table.tableName,
        await this.table.getEntity<Record<string, unknown>>('policy', key(resourceKey(clusterId))),
      );
      return 'value' in parsed ? parsed.value.eventTime : undefined;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw toFleetGuardError(error, `reading policy evaluation time of ${clusterId}`);
    }
  }

  async setPolicyEvaluatedAt(clusterId: string, evaluatedAt: string): Promise<void> {
    const row: NoticeRow<typeof policyEvaluationEntity> = { clusterId, eventTime: evaluatedAt };
    await this.putIfNewer('policy', key(resourceKey(clusterId)), row);
  }

  /** The notices of one cluster, for reacting to one event. */
  async noticesForCluster(clusterId: string): Promise<ClusterNotices> {
    const all = await this.listClusterNotices(odata` and clusterKey eq ${resourceKey(clusterId)}`);
    const key = resourceKey(clusterId);
    return {
      support: all.support.filter((notice) => resourceKey(notice.clusterId) === key),
      rolling: all.rolling.filter((notice) => resourceKey(notice.clusterId) === key),
    };
  }

  /** Where each pool of one cluster stands in its rolling, as AKS last reported it (see {@link latestPoolRolling}). */
  async poolRollingForCluster(clusterId: string): Promise<PoolRollingProgress[]> {
    return (await this.poolRollingByCluster(odata` and clusterKey eq ${resourceKey(clusterId)}`)).get(resourceKey(clusterId)) ?? [];
  }

  /**
   * Where each pool of every cluster stands in its rolling, keyed by {@link resourceKey} of the
   * cluster: two partition queries (progress and rolling), whatever the number of clusters, so a
   * rollout's status can show its clusters' pools in one read.
   */
  async poolRollingByCluster(extraFilter = ''): Promise<Map<string, PoolRollingProgress[]>> {
    const progress = await this.readPartition('progress', extraFilter, progressEntity);
    const rolling = await this.readRolling(extraFilter);
    const byCluster = new Map<string, { progress: RollingProgressNotice[]; rolling: RollingNotice[] }>();
    const entry = (clusterId: string) => {
      const found = byCluster.get(resourceKey(clusterId)) ?? { progress: [], rolling: [] };
      byCluster.set(resourceKey(clusterId), found);
      return found;
    };
    for (const notice of progress) entry(notice.clusterId).progress.push(notice);
    for (const notice of rolling) entry(notice.clusterId).rolling.push(notice);
    return new Map([...byCluster].map(([clusterKey, notices]) => [clusterKey, latestPoolRolling(notices.progress, notices.rolling)]));
  }

  /** Every support and rolling notice: two partition queries, for the sweep. */
  async listClusterNotices(extraFilter = ''): Promise<ClusterNotices> {
    const support = await this.readPartition('support', extraFilter, supportEntity);
    return { support, rolling: await this.readRolling(extraFilter) };
  }

  private readRolling(extraFilter: string): Promise<RollingNotice[]> {
    return this.readPartition('rolling', extraFilter, rollingEntity);
  }

  /** The rows of one partition that `schema` accepts (others are skipped). */
  private async readPartition<Schema extends z.ZodType>(partition: string, extraFilter: string, schema: Schema): Promise<Array<z.output<Schema>>> {
    const rows: Array<z.output<Schema>> = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${partition}` + extraFilter },
      })) {
        const parsed = safeParseEntity(schema, this.table.tableName, entity);
        if ('value' in parsed) rows.push(parsed.value);
      }
    } catch (error) {
      // No event has been processed yet: no notices, not a failure.
      if (isStatus(error, 404)) return rows;
      throw toFleetGuardError(error, `reading ${partition} notices`);
    }
    return rows;
  }
}
