/**
 * Alerts kept for later, in the alert table:
 *   digest-{route hash}  what a digest route would have sent, the latest state per fingerprint
 *                        (RowKey), and the row `~schedule` (the last occurrence sent, the claim)
 *   held                 resolves a muted route held back, RowKey `{route hash}-{fingerprint}`
 * Rows are deleted only with the ETag read, so a newer state written meanwhile is kept.
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';

import { safeParseEntity, textOrEmpty } from '../../azure/tableEntity.js';
import { toFleetGuardError } from '../../errors.js';
import { fromFindingEntity, toFindingEntity } from '../../findings/findingEntity.js';
import type { StoredFinding } from '../../findings/lifecycle.js';
import type { Alert } from '../alert.js';
import { addTo, isStatus, keyHash, submitAll } from './tableWrites.js';

const SCHEDULE_ROW = '~schedule';

export function digestPartition(route: string): string {
  return `digest-${keyHash(route)}`;
}

/** An alert kept for a route. */
export interface KeptAlert {
  route: string;
  alert: Alert;
  /** Digests: the schedule's latest occurrence when it was kept ('' when none); sent from the next one on. */
  after: string;
}

export interface StoredKeptAlert extends KeptAlert {
  partitionKey: string;
  rowKey: string;
  etag: string;
}

/** The `~schedule` row of a digest route. */
export interface DigestScheduleRow {
  etag: string;
  /** The last occurrence whose digest is in the outbox. */
  done: string;
  /** The occurrence a flush is sending, and since when (a claim older than the lease may be taken over). */
  claimed: string;
  claimedAt: string;
}

/**
 * A kept row: the finding's properties as the findings table stores them (one property per field,
 * each within the Tables property limit, lib/findings/findingEntity.ts) with its keys moved aside
 * (`findingPartitionKey`, `findingRowKey`), plus the route, the alert's status and `after`.
 */
const keptEntity = z.looseObject({
  partitionKey: textOrEmpty,
  rowKey: textOrEmpty,
  etag: textOrEmpty,
  route: textOrEmpty,
  alertStatus: z.enum(['firing', 'resolved']),
  after: textOrEmpty,
  findingPartitionKey: z.string(),
  findingRowKey: z.string(),
});
const scheduleEntity = z.object({ etag: textOrEmpty, done: textOrEmpty, claimed: textOrEmpty, claimedAt: textOrEmpty });

export class DigestStore {
  constructor(private readonly table: TableClient) {}

  private async write(rows: Array<KeptAlert & { partitionKey: string; rowKey: string }>, what: string): Promise<void> {
    const byPartition = new Map<string, typeof rows>();
    for (const row of rows) addTo(byPartition, row.partitionKey, row);
    const toAction = (row: (typeof rows)[number]): TransactionAction => {
      const { partitionKey, rowKey, ...finding } = toFindingEntity(row.alert.finding);
      const kept = { partitionKey: row.partitionKey, rowKey: row.rowKey, route: row.route, alertStatus: row.alert.status, after: row.after };
      return ['upsert', { ...finding, findingPartitionKey: partitionKey, findingRowKey: rowKey, ...kept }, 'Replace'];
    };
    try {
      await submitAll(this.table, byPartition, toAction);
    } catch (error) {
      throw toFleetGuardError(error, what);
    }
  }

  /** Keeps the latest state per route and fingerprint for the route's next digest. */
  buffer(alerts: readonly KeptAlert[]): Promise<void> {
    return this.write(
      alerts.map((kept) => ({ ...kept, partitionKey: digestPartition(kept.route), rowKey: kept.alert.finding.fingerprint })),
      'buffering digest alerts',
    );
  }

  /** Keeps resolves a muted route held back. */
  hold(alerts: readonly KeptAlert[]): Promise<void> {
    return this.write(
      alerts.map((kept) => ({ ...kept, partitionKey: 'held', rowKey: `${keyHash(kept.route)}-${kept.alert.finding.fingerprint}` })),
      'holding resolves of muted routes',
    );
  }

  private async list(partitionKey: string): Promise<{ rows: StoredKeptAlert[]; schedule: DigestScheduleRow | undefined }> {
    const rows: StoredKeptAlert[] = [];
    let schedule: DigestScheduleRow | undefined;
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })) {
        if (row.rowKey === SCHEDULE_ROW) {
          const parsed = safeParseEntity(scheduleEntity, this.table.tableName, row);
          if (!('error' in parsed)) schedule = parsed.value;
          continue;
        }
        const parsed = safeParseEntity(keptEntity, this.table.tableName, row);
        if ('error' in parsed) continue;
        const { partitionKey: keptPartition, rowKey: keptRow, etag, route, alertStatus, after, findingPartitionKey, findingRowKey, ...finding } = parsed.value;
        let stored: StoredFinding;
        try {
          stored = fromFindingEntity({ ...finding, partitionKey: findingPartitionKey, rowKey: findingRowKey }, this.table.tableName);
        } catch {
          continue; // As an unreadable notification log row: skipped, never blocking the others.
        }
        rows.push({ partitionKey: keptPartition, rowKey: keptRow, etag, route, after, alert: { status: alertStatus, finding: stored } });
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, `reading ${partitionKey} alerts`);
    }
    return { rows, schedule };
  }

  /** The alerts buffered for a digest route and its schedule row. */
  buffered(route: string): Promise<{ rows: StoredKeptAlert[]; schedule: DigestScheduleRow | undefined }> {
    return this.list(digestPartition(route));
  }

  async held(): Promise<StoredKeptAlert[]> {
    return (await this.list('held')).rows;
  }

  /**
   * Claims an occurrence for one flush: creates the schedule row, or replaces it under the ETag
   * read. Returns the new ETag, or undefined when another flush changed it first (409/412).
   */
  async claim(route: string, occurrence: string, now: Date, previous: DigestScheduleRow | undefined): Promise<string | undefined> {
    const row = { partitionKey: digestPartition(route), rowKey: SCHEDULE_ROW, done: previous?.done ?? '', claimed: occurrence, claimedAt: now.toISOString() };
    try {
      const response = previous === undefined ? await this.table.createEntity(row) : await this.table.updateEntity(row, 'Replace', { etag: previous.etag });
      return response.etag ?? '';
    } catch (error) {
      if (isStatus(error, 409, 412)) return undefined;
      throw toFleetGuardError(error, 'claiming a digest');
    }
  }

  /** Marks the claimed occurrence sent; false when the claim was taken over meanwhile. */
  async complete(route: string, occurrence: string, etag: string): Promise<boolean> {
    try {
      await this.table.updateEntity({ partitionKey: digestPartition(route), rowKey: SCHEDULE_ROW, done: occurrence, claimed: '', claimedAt: '' }, 'Replace', {
        etag,
      });
      return true;
    } catch (error) {
      if (isStatus(error, 412)) return false;
      throw toFleetGuardError(error, 'completing a digest');
    }
  }

  /** Deletes kept rows as read: a row rewritten since (412) or gone (404) is left alone. */
  async remove(rows: readonly StoredKeptAlert[]): Promise<void> {
    try {
      for (const row of rows) {
        try {
          await this.table.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag });
        } catch (error) {
          if (!isStatus(error, 404, 412)) throw error;
        }
      }
    } catch (error) {
      throw toFleetGuardError(error, 'removing kept alerts');
    }
  }
}
