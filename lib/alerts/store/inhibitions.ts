/** Inhibitions (partition `inhibit`): clusters whose per-finding alerts are held back while they upgrade. */
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, parseEntity, textOrEmpty } from '../../azure/tableEntity.js';
import { toFleetGuardError } from '../../errors.js';
import { resourceKey } from '../../model/cluster.js';
import { isStatus, keyHash } from './tableWrites.js';

/** An inhibition row; an unreadable `until` holds nothing back (the comparison with now fails). */
const inhibitionEntity = z.object({ clusterId: textOrEmpty, reason: textOrEmpty, until: textOrEmpty });

export class InhibitionStore {
  constructor(private readonly table: TableClient) {}

  /** Holds back a cluster's per-finding alerts until `until` (the rollout issue sets these). */
  async inhibitCluster(clusterId: string, reason: string, until: Date): Promise<void> {
    try {
      const row: EntityOf<typeof inhibitionEntity> = {
        partitionKey: 'inhibit',
        rowKey: keyHash(resourceKey(clusterId)),
        clusterId,
        reason,
        until: until.toISOString(),
      };
      await this.table.upsertEntity(row, 'Replace');
    } catch (error) {
      throw toFleetGuardError(error, `inhibiting alerts of ${clusterId}`);
    }
  }

  async releaseCluster(clusterId: string): Promise<void> {
    try {
      await this.table.deleteEntity('inhibit', keyHash(resourceKey(clusterId)));
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, `releasing alerts of ${clusterId}`);
    }
  }

  /** The clusters (by resource key) whose alerts are held back at `now`. */
  async inhibitedClusters(now: Date): Promise<Set<string>> {
    const clusters = new Set<string>();
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'inhibit'}` } })) {
        const { clusterId, until } = parseEntity(inhibitionEntity, this.table.tableName, row);
        if (Date.parse(until) > now.getTime()) clusters.add(resourceKey(clusterId));
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, 'reading alert inhibitions');
    }
    return clusters;
  }
}
