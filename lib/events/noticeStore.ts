/**
 * Event Grid bookkeeping in one table: which event ids were processed (dedup across at-least-once
 * delivery), AKS notices (support, rolling, rolling progress), the latest versions seen per
 * location, and when each cluster's policy findings were last re-evaluated (to drop stale policy
 * events).
 */
import { createHash } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';

import { ensureTable } from '../azure/tables.js';
import { toFleetGuardError } from '../errors.js';
import { resourceKey } from '../model/cluster.js';
import { type ClusterNotices, latestPoolRolling, type PoolRollingProgress, type RollingNotice, type RollingProgressNotice, type SupportNotice } from '../model/notice.js';

function key(...parts: string[]): string {
  // Table keys forbid / \ # ? and control characters; event ids and resource ids may contain them.
  return createHash('sha256').update(parts.map((part) => part.toLowerCase()).join('\n')).digest('hex');
}

/** Characters of an informational string property (Tables allow 32K UTF-16 units). */
const MAX_NOTE = 1_000;

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
      await this.table.createEntity({ partitionKey: 'processed', rowKey: key(eventId), eventId: eventId.slice(0, MAX_NOTE), eventType: eventType.slice(0, MAX_NOTE), processedAt: new Date().toISOString() });
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
    return this.putIfNewer('support', key(resourceKey(notice.clusterId)), { ...notice, clusterKey: resourceKey(notice.clusterId) });
  }

  putRolling(notice: RollingNotice): Promise<boolean> {
    return this.putIfNewer('rolling', key(resourceKey(notice.clusterId), notice.nodePool), { ...notice, clusterKey: resourceKey(notice.clusterId) });
  }

  /** The pool's latest `NodePoolRollingProgress` (partition `progress`); an older report never replaces a newer one. */
  putProgress(notice: RollingProgressNotice): Promise<boolean> {
    return this.putIfNewer('progress', key(resourceKey(notice.clusterId), notice.nodePool), { ...notice, state: notice.state.slice(0, MAX_NOTE), clusterKey: resourceKey(notice.clusterId) });
  }

  putLocationVersions(location: string, versions: string[], eventTime: string): Promise<boolean> {
    return this.putIfNewer('versions', key(location), { location, versions: versions.join(','), eventTime });
  }

  /** When the cluster's policy findings were last re-evaluated from Policy Insights, if ever. */
  async policyEvaluatedAt(clusterId: string): Promise<string | undefined> {
    try {
      const entity = await this.table.getEntity<{ eventTime?: unknown }>('policy', key(resourceKey(clusterId)));
      return typeof entity.eventTime === 'string' ? entity.eventTime : undefined;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw toFleetGuardError(error, `reading policy evaluation time of ${clusterId}`);
    }
  }

  async setPolicyEvaluatedAt(clusterId: string, evaluatedAt: string): Promise<void> {
    await this.putIfNewer('policy', key(resourceKey(clusterId)), { clusterId, eventTime: evaluatedAt });
  }

  /** The notices of one cluster, for reacting to one event. */
  async noticesForCluster(clusterId: string): Promise<ClusterNotices> {
    const all = await this.listClusterNotices(odata` and clusterKey eq ${resourceKey(clusterId)}`);
    const key = resourceKey(clusterId);
    return { support: all.support.filter((notice) => resourceKey(notice.clusterId) === key), rolling: all.rolling.filter((notice) => resourceKey(notice.clusterId) === key) };
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
    const progress = await this.readPartition('progress', extraFilter, (entity): RollingProgressNotice | undefined =>
      typeof entity['clusterId'] === 'string' && typeof entity['nodePool'] === 'string' && typeof entity['state'] === 'string' && typeof entity['eventTime'] === 'string'
        ? { clusterId: entity['clusterId'], nodePool: entity['nodePool'], state: entity['state'], eventTime: entity['eventTime'] }
        : undefined,
    );
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
    const support = await this.readPartition('support', extraFilter, (entity): SupportNotice | undefined => {
      const state = entity['state'];
      return typeof entity['clusterId'] === 'string' && (state === 'ending' || state === 'ended') && typeof entity['kubernetesVersion'] === 'string' && typeof entity['eventTime'] === 'string'
        ? { clusterId: entity['clusterId'], state, kubernetesVersion: entity['kubernetesVersion'], eventTime: entity['eventTime'] }
        : undefined;
    });
    return { support, rolling: await this.readRolling(extraFilter) };
  }

  private readRolling(extraFilter: string): Promise<RollingNotice[]> {
    return this.readPartition('rolling', extraFilter, (entity): RollingNotice | undefined => {
      const state = entity['state'];
      return typeof entity['clusterId'] === 'string' && typeof entity['nodePool'] === 'string' && (state === 'started' || state === 'succeeded' || state === 'failed') && typeof entity['eventTime'] === 'string'
        ? { clusterId: entity['clusterId'], nodePool: entity['nodePool'], state, eventTime: entity['eventTime'] }
        : undefined;
    });
  }

  /** The rows of one partition that `parse` understands (others are skipped). */
  private async readPartition<T>(partition: string, extraFilter: string, parse: (entity: Record<string, unknown>) => T | undefined): Promise<T[]> {
    const rows: T[] = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partition}` + extraFilter } })) {
        const parsed = parse(entity);
        if (parsed !== undefined) rows.push(parsed);
      }
    } catch (error) {
      // No event has been processed yet: no notices, not a failure.
      if (isStatus(error, 404)) return rows;
      throw toFleetGuardError(error, `reading ${partition} notices`);
    }
    return rows;
  }
}
