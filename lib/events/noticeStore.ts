/**
 * Event Grid bookkeeping in one table: which event ids were processed (dedup across at-least-once
 * delivery), AKS notices (support, rolling), the latest versions seen per location, and when each
 * cluster's policy findings were last re-evaluated (to drop stale policy events).
 */
import { createHash } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';

import { ensureTable } from '../azure/tables.js';
import { toFleetGuardError } from '../errors.js';
import { resourceKey } from '../model/cluster.js';
import type { ClusterNotices, RollingNotice, SupportNotice } from '../model/notice.js';

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

  /** Every support and rolling notice: two partition queries, for the sweep. */
  async listClusterNotices(extraFilter = ''): Promise<ClusterNotices> {
    const notices: ClusterNotices = { support: [], rolling: [] };
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'support'}` + extraFilter } })) {
        const state = entity['state'];
        if (typeof entity['clusterId'] === 'string' && (state === 'ending' || state === 'ended') && typeof entity['kubernetesVersion'] === 'string' && typeof entity['eventTime'] === 'string') {
          notices.support.push({ clusterId: entity['clusterId'], state, kubernetesVersion: entity['kubernetesVersion'], eventTime: entity['eventTime'] });
        }
      }
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'rolling'}` + extraFilter } })) {
        const state = entity['state'];
        if (typeof entity['clusterId'] === 'string' && typeof entity['nodePool'] === 'string' && (state === 'started' || state === 'succeeded' || state === 'failed') && typeof entity['eventTime'] === 'string') {
          notices.rolling.push({ clusterId: entity['clusterId'], nodePool: entity['nodePool'], state, eventTime: entity['eventTime'] });
        }
      }
    } catch (error) {
      // No event has been processed yet: no notices, not a failure.
      if (isStatus(error, 404)) return notices;
      throw toFleetGuardError(error, 'reading cluster notices');
    }
    return notices;
  }
}
