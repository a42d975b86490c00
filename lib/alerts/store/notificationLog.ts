/**
 * The notification log (partitions `nflog-{receiver hash}-{0-f}`): what was last notified per
 * receiver and finding, for dedup and the repeat interval.
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, safeParseEntity, textOrEmpty } from '../../azure/tableEntity.js';
import { toFleetGuardError } from '../../errors.js';
import type { NotificationLogEntry } from '../alert.js';
import { addTo, isStatus, keyHash, submitAll } from './tableWrites.js';

/**
 * The notification log of a receiver is spread over 16 partitions by the fingerprint's first hex
 * digit: large fleets would otherwise put every row of a receiver in one hot partition.
 */
function logPartition(receiver: string, fingerprint: string): string {
  return `nflog-${keyHash(receiver)}-${fingerprint.slice(0, 1)}`;
}

/** A log row; one without a known state is skipped, as if nothing had been notified. */
const logEntity = z.object({ rowKey: textOrEmpty, receiver: textOrEmpty, state: z.enum(['firing', 'resolved']), lastNotifiedAt: textOrEmpty });

export class NotificationLogStore {
  constructor(private readonly table: TableClient) {}

  /** The log of the receivers, keyed by `{receiver}|{fingerprint}`. */
  async readLog(receivers: readonly string[]): Promise<Map<string, NotificationLogEntry>> {
    const log = new Map<string, NotificationLogEntry>();
    try {
      for (const receiver of receivers) {
        const prefix = `nflog-${keyHash(receiver)}`;
        // '-' < '.' : one range query covers the receiver's 16 partitions.
        for await (const row of this.table.listEntities<Record<string, unknown>>({
          queryOptions: { filter: odata`PartitionKey ge ${`${prefix}-`} and PartitionKey lt ${`${prefix}.`}` },
        })) {
          const parsed = safeParseEntity(logEntity, this.table.tableName, row);
          if ('error' in parsed) continue;
          const { rowKey: fingerprint, state, lastNotifiedAt } = parsed.value;
          log.set(`${receiver}|${fingerprint}`, { receiver, fingerprint, state, lastNotifiedAt });
        }
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, 'reading the notification log');
    }
    return log;
  }

  async writeLog(entries: readonly NotificationLogEntry[]): Promise<void> {
    const byPartition = new Map<string, NotificationLogEntry[]>();
    for (const entry of entries) addTo(byPartition, logPartition(entry.receiver, entry.fingerprint), entry);
    const toAction = (entry: NotificationLogEntry): TransactionAction => {
      const row: EntityOf<typeof logEntity> = {
        partitionKey: logPartition(entry.receiver, entry.fingerprint),
        rowKey: entry.fingerprint,
        receiver: entry.receiver,
        state: entry.state,
        lastNotifiedAt: entry.lastNotifiedAt,
      };
      return ['upsert', row, 'Replace'];
    };
    try {
      await submitAll(this.table, byPartition, toAction);
    } catch (error) {
      throw toFleetGuardError(error, 'writing the notification log');
    }
  }
}
