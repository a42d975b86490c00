/**
 * The alert outbox (partition `outbox-{receiver hash}`): messages written before anything is sent,
 * in creation order (RowKey), with their delivery status.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, numberOr, parseEntity, textOrEmpty } from '../../azure/tableEntity.js';
import { toFleetGuardError } from '../../errors.js';
import type { RenderedMessage } from '../notifiers/common.js';
import { addTo, isStatus, keyHash, submitAll } from './tableWrites.js';

export type OutboxStatus = 'pending' | 'sending' | 'retrying' | 'sent' | 'failed' | 'uncertain';

export interface OutboxEntry {
  partitionKey: string;
  rowKey: string;
  etag: string;
  receiver: string;
  route: string;
  kind: RenderedMessage['kind'];
  /** JSON of the request body, without secrets. */
  body: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  attemptStartedAt: string;
  createdAt: string;
  deliveryId: string;
  alertCount: number;
  summary: string;
  /** HTTP status of the last attempt (0: no answer). */
  lastStatus: number;
  lastError: string;
  sentAt: string;
}

export interface NewOutboxMessage {
  receiver: string;
  route: string;
  message: RenderedMessage;
}

const ACTIVE: OutboxStatus[] = ['pending', 'retrying', 'sending'];

/** Outbox rows read per request by a drain. */
const ACTIVE_PAGE_SIZE = 100;

export function outboxPartition(receiver: string): string {
  return `outbox-${keyHash(receiver)}`;
}

/**
 * An outbox row as read back. Lenient, as it always was: a missing property reads as empty or zero
 * (the drain then treats the entry by its status), so one odd row never stops a receiver's queue.
 * Kind and status are only ever written by this store.
 */
const outboxEntity = z.object({
  partitionKey: textOrEmpty,
  rowKey: textOrEmpty,
  etag: textOrEmpty,
  receiver: textOrEmpty,
  route: textOrEmpty,
  kind: textOrEmpty.transform((kind) => kind),
  body: textOrEmpty,
  status: textOrEmpty.transform((status) => status as OutboxStatus),
  attempts: numberOr(0),
  nextAttemptAt: textOrEmpty,
  attemptStartedAt: textOrEmpty,
  createdAt: textOrEmpty,
  deliveryId: textOrEmpty,
  alertCount: numberOr(0),
  summary: textOrEmpty,
  lastStatus: numberOr(0),
  lastError: textOrEmpty,
  sentAt: textOrEmpty,
}) satisfies z.ZodType<OutboxEntry>;

type OutboxRow = Omit<EntityOf<typeof outboxEntity>, 'etag'>;

/** Messages to send per receiver, and their delivery state. */
export class OutboxStore {
  private sequence = 0;
  /**
   * Tells this store's rows from another instance's written in the same millisecond. Per instance,
   * not per call: RowKeys of successive calls must sort in call order (stamp, writer, sequence).
   */
  private readonly writer = randomBytes(3).toString('hex');

  constructor(private readonly table: TableClient) {}

  private entryOf(entity: Record<string, unknown>): OutboxEntry {
    return parseEntity(outboxEntity, this.table.tableName, entity);
  }

  /**
   * Writes messages before anything is sent, in creation order per receiver (also across calls:
   * a caller may write a long list in several calls).
   */
  async enqueue(messages: readonly NewOutboxMessage[], now: Date): Promise<number> {
    const byPartition = new Map<string, TransactionAction[]>();
    const stamp = String(now.getTime()).padStart(15, '0');
    for (const { receiver, route, message } of messages) {
      const partitionKey = outboxPartition(receiver);
      this.sequence += 1;
      const entity: OutboxRow = {
        partitionKey,
        rowKey: `${stamp}-${this.writer}-${String(this.sequence).padStart(9, '0')}`,
        receiver,
        route,
        kind: message.kind,
        body: JSON.stringify(message.body),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now.toISOString(),
        attemptStartedAt: '',
        createdAt: now.toISOString(),
        deliveryId: randomUUID(),
        alertCount: message.alertCount,
        summary: message.summary.slice(0, 500),
        lastStatus: 0,
        lastError: '',
        sentAt: '',
      };
      addTo<TransactionAction>(byPartition, partitionKey, ['create', entity]);
    }
    try {
      // Order within a receiver is the RowKey order, so batches may land in any order.
      await submitAll(this.table, byPartition, (action) => action);
    } catch (error) {
      throw toFleetGuardError(error, 'writing the alert outbox');
    }
    return messages.length;
  }

  /**
   * Messages still to send (pending, retrying, or claimed by a drain), oldest first, read a page at
   * a time: a drain usually stops early (a message waiting for its retry holds back the rest), and a
   * large backlog never has to be in memory at once. Tables return a partition in RowKey order,
   * which is creation order.
   */
  async *activeEntries(receiver: string, pageSize = ACTIVE_PAGE_SIZE): AsyncGenerator<OutboxEntry, void, undefined> {
    const statuses = ACTIVE.map((status) => odata`status eq ${status}`).join(' or ');
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: `${odata`PartitionKey eq ${outboxPartition(receiver)}`} and (${statuses})` } })
      .byPage({ maxPageSize: pageSize });
    for (;;) {
      let page: IteratorResult<Array<Record<string, unknown> & { etag: string }>>;
      try {
        page = await pages.next();
      } catch (error) {
        throw toFleetGuardError(error, `reading the outbox of ${receiver}`);
      }
      if (page.done === true) return;
      for (const row of page.value) yield this.entryOf(row);
    }
  }

  /** How many messages of a receiver are still to send (for tests and benchmarks). */
  async activeCount(receiver: string): Promise<number> {
    let count = 0;
    const entries = this.activeEntries(receiver, 1000);
    while ((await entries.next()).done !== true) count += 1;
    return count;
  }

  /** All messages of a receiver, any status (for listings and tests). */
  async allEntries(receiver: string): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${outboxPartition(receiver)}` },
      })) {
        entries.push(this.entryOf(row));
      }
    } catch (error) {
      throw toFleetGuardError(error, `reading the outbox of ${receiver}`);
    }
    return entries.sort((left, right) => left.rowKey.localeCompare(right.rowKey));
  }

  /**
   * Writes a new state of an entry, only if nobody changed it since it was read. Returns the
   * entry with its new ETag, or undefined when another drain got there first. Only the changed
   * properties are sent (Merge): a claim or a result is a few hundred bytes, where replacing the
   * row would upload the message body (up to tens of kilobytes) twice per delivery.
   */
  async update(entry: OutboxEntry, change: Partial<Omit<OutboxEntry, 'partitionKey' | 'rowKey' | 'etag'>>): Promise<OutboxEntry | undefined> {
    try {
      const response = await this.table.updateEntity({ ...change, partitionKey: entry.partitionKey, rowKey: entry.rowKey }, 'Merge', { etag: entry.etag });
      return { ...entry, ...change, etag: response.etag ?? '' };
    } catch (error) {
      if (isStatus(error, 412, 404)) return undefined;
      throw toFleetGuardError(error, `updating outbox entry ${entry.rowKey}`);
    }
  }
}
