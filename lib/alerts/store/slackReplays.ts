/**
 * Slack request signatures already acted on (partition `slackreplay`), so a captured request replayed
 * within Slack's five-minute window is refused: one row per verified signature, written with an
 * insert that fails when the row exists (Azure Tables Insert Entity answers 409 EntityAlreadyExists,
 * https://learn.microsoft.com/rest/api/storageservices/insert-entity), so two copies arriving at once
 * cannot both pass. The row key starts with the signed timestamp, so rows past the window are one
 * range query away; they are deleted as later requests arrive (a few per request).
 */
import { createHash } from 'node:crypto';

import { odata, type TableClient } from '@azure/data-tables';

import { toFleetGuardError } from '../../errors.js';
import { isStatus } from './tableWrites.js';

const PARTITION = 'slackreplay';
/** Expired rows deleted per request: enough to keep up with any press rate, cheap for each request. */
const PURGE_PER_CALL = 20;

/** Seconds as fixed-width digits, so row keys sort by time (12 digits reach beyond year 30000). */
const seconds = (value: number) => String(Math.max(0, Math.floor(value))).padStart(12, '0');

export class SlackReplayStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Records a verified request's signature; false when it was recorded before (a replay). `windowMs`
   * is how long the row must outlive the signed timestamp: past it the timestamp check refuses anyway.
   */
  async claim(signature: string, timestampSeconds: number, windowMs: number, now: Date): Promise<boolean> {
    const rowKey = `${seconds(timestampSeconds)}-${createHash('sha256').update(signature).digest('hex')}`;
    try {
      await this.table.createEntity({ partitionKey: PARTITION, rowKey, expiresAt: new Date(timestampSeconds * 1000 + windowMs).toISOString() });
    } catch (error) {
      if (isStatus(error, 409)) return false;
      throw toFleetGuardError(error, 'recording a Slack request signature');
    }
    await this.purge(windowMs, now).catch(() => undefined);
    return true;
  }

  /** Deletes a few rows whose timestamp is past the window (best effort: a leftover row is only storage). */
  private async purge(windowMs: number, now: Date): Promise<void> {
    const before = seconds((now.getTime() - windowMs) / 1000 - 60);
    const pages = this.table
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and RowKey lt ${before}`, select: ['RowKey'] } })
      .byPage({ maxPageSize: PURGE_PER_CALL });
    for await (const page of pages) {
      await Promise.all(page.map((row) => this.table.deleteEntity(PARTITION, row.rowKey ?? '').catch(() => undefined)));
      break;
    }
  }
}
