/**
 * Event Grid bookkeeping in one table: which event ids were processed (dedup across at-least-once
 * delivery), AKS notices (support, rolling, rolling progress), the latest versions seen per
 * location, and when each cluster's policy findings were last re-evaluated (to drop stale policy
 * events). Processed-id rows are bounded twice: each topic may add only so many per hour (partition
 * `rate` counts them), and {@link NoticeStore.expireProcessed} deletes them once no redelivery can
 * come.
 */
import { createHash } from 'node:crypto';

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
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
 * How long a processed-id row is kept. Event Grid stops redelivering an event once its time to live
 * runs out, at most 1,440 minutes (24 h), which infra/modules/eventTopic.bicep sets (Learn, "Event
 * Grid message delivery and retry", https://learn.microsoft.com/azure/event-grid/delivery-and-retry:
 * retries go on "every 12 hours up to 24 hours"). Twice that leaves a day of margin for clock
 * differences and late retries. A redelivery after the row is gone is handled again, which is safe:
 * notices only replace older ones and findings reconcile to the same state.
 */
export const PROCESSED_RETENTION_MS = 48 * 60 * 60_000;

/** The window `markProcessed` counts a topic's new rows in. */
export const RATE_WINDOW_MS = 60 * 60_000;

/** Rows one {@link NoticeStore.expireProcessed} run deletes at most, so one timer tick stays short; the rest go next tick. */
export const EXPIRY_ROWS_PER_RUN = 5_000;

/** Entities per Tables batch: at most 100, one partition (Learn: "Performing entity group transactions"). */
const BATCH_SIZE = 100;

/** What {@link NoticeStore.markProcessed} did. */
export type ProcessedMark = { recorded: true } | { recorded: false; reason: string };

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

  /**
   * Records the event as processed, unless its topic has already added `maxPerTopicHour` rows in
   * the current hour: then nothing is written and the reason is returned (a redelivery will be
   * handled again, idempotently).
   */
  async markProcessed(event: { eventId: string; eventType: string; topic: string }, at: Date, maxPerTopicHour: number): Promise<ProcessedMark> {
    const counted = await this.countNewRow(event.topic, at, maxPerTopicHour);
    if (!counted.recorded) return counted;
    try {
      // The row key is a hash of the id; id and type are kept for people only, so they are cut to
      // what a Tables property holds (64 KiB): an oversized id must not make the write fail
      // after the event was handled, which would have Event Grid redeliver it for a day.
      await this.table.createEntity({
        partitionKey: 'processed',
        rowKey: key(event.eventId),
        eventId: event.eventId.slice(0, MAX_NOTE),
        eventType: event.eventType.slice(0, MAX_NOTE),
        topic: event.topic.slice(0, MAX_NOTE),
        processedAt: at.toISOString(),
      });
    } catch (error) {
      // A concurrent delivery of the same event got there first: same outcome.
      if (!isStatus(error, 409)) throw toFleetGuardError(error, `recording event ${event.eventId.slice(0, 200)}`);
    }
    return { recorded: true };
  }

  /** Takes one of the topic's new rows for the hour `at` is in, if any is left (partition `rate`, ETag-conditional). */
  private async countNewRow(topic: string, at: Date, maxPerTopicHour: number): Promise<ProcessedMark> {
    const windowStart = new Date(Math.floor(at.getTime() / RATE_WINDOW_MS) * RATE_WINDOW_MS).toISOString();
    const rowKey = key(resourceKey(topic), windowStart);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      let existing: { count?: unknown; etag: string } | undefined;
      try {
        existing = await this.table.getEntity<{ count?: unknown }>('rate', rowKey);
      } catch (error) {
        if (!isStatus(error, 404)) throw toFleetGuardError(error, 'reading the topic rate');
      }
      const count = typeof existing?.count === 'number' ? existing.count : 0;
      if (count >= maxPerTopicHour) {
        return { recorded: false, reason: `its topic already added ${maxPerTopicHour} processed-event rows this hour (FLEETGUARD_EVENT_ROWS_PER_TOPIC_HOUR)` };
      }
      const row = { partitionKey: 'rate', rowKey, topic: topic.slice(0, MAX_NOTE), windowStart, count: count + 1 };
      try {
        if (existing === undefined) await this.table.createEntity(row);
        else await this.table.updateEntity(row, 'Replace', { etag: existing.etag });
        return { recorded: true };
      } catch (error) {
        if (!isStatus(error, 409) && !isStatus(error, 412)) throw toFleetGuardError(error, 'counting the topic rate');
      }
    }
    return { recorded: false, reason: "its topic's row count kept changing under concurrent deliveries" };
  }

  /**
   * Deletes processed-id rows older than {@link PROCESSED_RETENTION_MS} and rate counters of hours
   * that ended, in batches of 100, at most `maxRows` per call. Returns how many rows went.
   */
  async expireProcessed(now: Date, maxRows = EXPIRY_ROWS_PER_RUN): Promise<number> {
    const processedBefore = new Date(now.getTime() - PROCESSED_RETENTION_MS).toISOString();
    const hourEndedBefore = new Date(now.getTime() - RATE_WINDOW_MS).toISOString();
    const processed = await this.deleteRows('processed', odata`PartitionKey eq ${'processed'} and processedAt lt ${processedBefore}`, maxRows);
    return processed + (await this.deleteRows('rate', odata`PartitionKey eq ${'rate'} and windowStart lt ${hourEndedBefore}`, maxRows - processed));
  }

  private async deleteRows(partition: string, filter: string, maxRows: number): Promise<number> {
    const rowKeys: string[] = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey'] } })) {
        if (rowKeys.length >= maxRows) break;
        rowKeys.push(entity.rowKey!);
      }
    } catch (error) {
      if (isStatus(error, 404)) return 0;
      throw toFleetGuardError(error, `listing expired ${partition} rows`);
    }
    for (let start = 0; start < rowKeys.length; start += BATCH_SIZE) {
      const chunk = rowKeys.slice(start, start + BATCH_SIZE);
      const actions: TransactionAction[] = chunk.map((rowKey) => ['delete', { partitionKey: partition, rowKey }]);
      try {
        await this.table.submitTransaction(actions);
      } catch {
        // One row went meanwhile (a batch fails whole): delete the chunk one by one, gone rows being fine.
        for (const rowKey of chunk) {
          try {
            await this.table.deleteEntity(partition, rowKey);
          } catch (error) {
            if (!isStatus(error, 404)) throw toFleetGuardError(error, `deleting expired ${partition} rows`);
          }
        }
      }
    }
    return rowKeys.length;
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
