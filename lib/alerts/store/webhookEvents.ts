/**
 * Processed webhook event ids (partitions `whevent-{source}-{YYYYMMDDHH}`, by the hour the event
 * occurred in; row key: a hash of the id): a signed body delivered again, by the vendor's
 * at-least-once delivery or by someone replaying it, is handled once. Insert-if-absent, so two
 * instances handling the same delivery at once agree on which one acts.
 *
 * The partition comes from the event's own time, so a replay of the same body finds the same row,
 * and rows only need to outlive the window in which an event is accepted at all: the handler
 * refuses events older than that as stale. {@link WebhookEventStore.expire} deletes older hours.
 */
import { createHash } from 'node:crypto';

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';

import { toFleetGuardError } from '../../errors.js';
import { isStatus } from './tableWrites.js';

const HOUR_MS = 3_600_000;

/** Rows one {@link WebhookEventStore.expire} call deletes at most (webhook volumes are small; the rest go next time). */
const EXPIRY_ROWS_PER_RUN = 2_000;

function hourOf(at: Date): string {
  return at.toISOString().slice(0, 13).replace(/[-T]/g, '');
}

function eventPartition(source: string, occurredAt: Date): string {
  return `whevent-${source}-${hourOf(occurredAt)}`;
}

function eventRowKey(eventId: string): string {
  // Table keys forbid / \ # ? and control characters; ids come from outside.
  return createHash('sha256').update(eventId).digest('hex');
}

export class WebhookEventStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Records the event as processed; false when it already was (a redelivery or a replay).
   * `occurredAt` must be the event's own, signed time.
   */
  async markProcessed(source: 'pagerduty', eventId: string, occurredAt: Date, now: Date): Promise<boolean> {
    try {
      await this.table.createEntity({
        partitionKey: eventPartition(source, occurredAt),
        rowKey: eventRowKey(eventId),
        eventId: eventId.slice(0, 200),
        processedAt: now.toISOString(),
      });
      return true;
    } catch (error) {
      if (isStatus(error, 409)) return false;
      throw toFleetGuardError(error, 'recording a processed webhook event');
    }
  }

  /** Forgets a mark, so a delivery whose handling failed after marking is handled again on PagerDuty's retry. */
  async unmark(source: 'pagerduty', eventId: string, occurredAt: Date): Promise<void> {
    try {
      await this.table.deleteEntity(eventPartition(source, occurredAt), eventRowKey(eventId));
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, 'forgetting a processed webhook event');
    }
  }

  /** Deletes the rows of hours that ended more than `keepMs` before `now`; returns how many went. */
  async expire(source: 'pagerduty', now: Date, keepMs: number): Promise<number> {
    const prefix = `whevent-${source}-`;
    const before = eventPartition(source, new Date(now.getTime() - keepMs - HOUR_MS));
    const rows: { partitionKey: string; rowKey: string }[] = [];
    try {
      for await (const entity of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey ge ${prefix} and PartitionKey le ${before}`, select: ['PartitionKey', 'RowKey'] },
      })) {
        if (rows.length >= EXPIRY_ROWS_PER_RUN) break;
        rows.push({ partitionKey: entity.partitionKey!, rowKey: entity.rowKey! });
      }
      const byPartition = new Map<string, TransactionAction[]>();
      for (const row of rows) byPartition.set(row.partitionKey, [...(byPartition.get(row.partitionKey) ?? []), ['delete', row]]);
      for (const actions of byPartition.values()) {
        for (let start = 0; start < actions.length; start += 100) await this.table.submitTransaction(actions.slice(start, start + 100));
      }
    } catch (error) {
      if (isStatus(error, 404)) return 0;
      throw toFleetGuardError(error, 'expiring processed webhook events');
    }
    return rows.length;
  }
}
