/**
 * Alert state in one Azure table, by partition:
 *   outbox-{receiver}  messages to send, in creation order (RowKey), with their delivery status
 *   nflog-{receiver}-{0-f} what was last notified per finding (dedup and repeat interval)
 *   silence            silences
 *   inhibit            clusters whose per-finding alerts are held back (upgrades in progress)
 * Receiver names become hashes in keys (table keys forbid some characters).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import pLimit from 'p-limit';

import { ensureTable } from '../azure/tables.js';
import { FleetGuardError, toFleetGuardError } from '../errors.js';
import { resourceKey } from '../model/cluster.js';
import type { NotificationLogEntry, Silence, SilenceMatchers } from './alert.js';
import type { RenderedMessage } from './notifiers/common.js';

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

const ACTIVE: OutboxStatus[] = ['pending', 'retrying', 'sending'];

/** Outbox rows read per request by a drain. */
const ACTIVE_PAGE_SIZE = 100;

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

export function outboxPartition(receiver: string): string {
  return `outbox-${hash(receiver)}`;
}

/**
 * The notification log of a receiver is spread over 16 partitions by the fingerprint's first hex
 * digit: large fleets would otherwise put every row of a receiver in one hot partition.
 */
function logPartition(receiver: string, fingerprint: string): string {
  return `nflog-${hash(receiver)}-${fingerprint.slice(0, 1)}`;
}

/** Partitions written at once (transactions of up to 100 rows each). */
const WRITE_CONCURRENCY = 8;

/**
 * Property text per transaction. Azure Tables refuses a transaction over 4 MiB, and 100 outbox
 * rows near the 27,000-character message budget, JSON-escaped, come close to it; smaller batches
 * also bound what the SDK holds serialized in memory.
 */
const TRANSACTION_CHARACTERS = 1_000_000;

function entityCharacters(action: TransactionAction): number {
  let characters = 0;
  for (const value of Object.values(action[1])) characters += typeof value === 'string' ? value.length : 16;
  return characters;
}

/** Splits one partition's actions into transactions: at most 100 rows and about 1 MB of text each. */
function transactions(actions: readonly TransactionAction[]): TransactionAction[][] {
  const batches: TransactionAction[][] = [];
  let batch: TransactionAction[] = [];
  let characters = 0;
  for (const action of actions) {
    const size = entityCharacters(action);
    if (batch.length === 100 || (batch.length > 0 && characters + size > TRANSACTION_CHARACTERS)) {
      batches.push(batch);
      batch = [];
      characters = 0;
    }
    batch.push(action);
    characters += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Appends in place: rebuilding the partition's array per row made grouping quadratic. */
function addTo<T>(byPartition: Map<string, T[]>, partitionKey: string, item: T): void {
  const items = byPartition.get(partitionKey);
  if (items === undefined) byPartition.set(partitionKey, [item]);
  else items.push(item);
}

/**
 * Writes each partition's rows in transactions, partitions side by side. A partition's rows become
 * table entities only when its turn comes, so a run of tens of thousands of rows never has them
 * all serialized at once.
 */
async function submitAll<T>(table: TableClient, byPartition: Map<string, T[]>, toAction: (item: T) => TransactionAction): Promise<void> {
  const limit = pLimit(WRITE_CONCURRENCY);
  await Promise.all(
    [...byPartition.values()].map((items) =>
      limit(async () => {
        for (const batch of transactions(items.map(toAction))) await table.submitTransaction(batch);
      }),
    ),
  );
}

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return statuses.includes((error as { statusCode?: number }).statusCode ?? -1);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function toOutboxEntry(entity: Record<string, unknown> & { etag: string }): OutboxEntry {
  return {
    partitionKey: text(entity['partitionKey']),
    rowKey: text(entity['rowKey']),
    etag: entity.etag,
    receiver: text(entity['receiver']),
    route: text(entity['route']),
    kind: text(entity['kind']),
    body: text(entity['body']),
    status: text(entity['status']) as OutboxStatus,
    attempts: typeof entity['attempts'] === 'number' ? entity['attempts'] : 0,
    nextAttemptAt: text(entity['nextAttemptAt']),
    attemptStartedAt: text(entity['attemptStartedAt']),
    createdAt: text(entity['createdAt']),
    deliveryId: text(entity['deliveryId']),
    alertCount: typeof entity['alertCount'] === 'number' ? entity['alertCount'] : 0,
    summary: text(entity['summary']),
    lastStatus: typeof entity['lastStatus'] === 'number' ? entity['lastStatus'] : 0,
    lastError: text(entity['lastError']),
    sentAt: text(entity['sentAt']),
  };
}

export interface NewOutboxMessage {
  receiver: string;
  route: string;
  message: RenderedMessage;
}

export class AlertStore {
  private sequence = 0;
  /**
   * Tells this store's rows from another instance's written in the same millisecond. Per instance,
   * not per call: RowKeys of successive calls must sort in call order (stamp, writer, sequence).
   */
  private readonly writer = randomBytes(3).toString('hex');

  constructor(private readonly table: TableClient) {}

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
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
      const entity = {
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
      for (const row of page.value) yield toOutboxEntry(row);
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
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${outboxPartition(receiver)}` } })) {
        entries.push(toOutboxEntry(row));
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

  async readLog(receivers: readonly string[]): Promise<Map<string, NotificationLogEntry>> {
    const log = new Map<string, NotificationLogEntry>();
    try {
      for (const receiver of receivers) {
        const prefix = `nflog-${hash(receiver)}`;
        // '-' < '.' : one range query covers the receiver's 16 partitions.
        for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey ge ${`${prefix}-`} and PartitionKey lt ${`${prefix}.`}` } })) {
          const state = row['state'];
          if (state !== 'firing' && state !== 'resolved') continue;
          const fingerprint = text(row['rowKey']);
          log.set(`${receiver}|${fingerprint}`, { receiver, fingerprint, state, lastNotifiedAt: text(row['lastNotifiedAt']) });
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
    const toAction = (entry: NotificationLogEntry): TransactionAction => [
      'upsert',
      { partitionKey: logPartition(entry.receiver, entry.fingerprint), rowKey: entry.fingerprint, receiver: entry.receiver, state: entry.state, lastNotifiedAt: entry.lastNotifiedAt },
      'Replace',
    ];
    try {
      await submitAll(this.table, byPartition, toAction);
    } catch (error) {
      throw toFleetGuardError(error, 'writing the notification log');
    }
  }

  async createSilence(matchers: SilenceMatchers, options: { startsAt: Date; endsAt: Date; createdBy: string; comment: string }): Promise<Silence> {
    if (matchers.ruleId === undefined && matchers.cluster === undefined && (matchers.tags === undefined || Object.keys(matchers.tags).length === 0)) {
      throw new FleetGuardError('badInput', 'a silence needs at least one matcher (rule, cluster or tag)');
    }
    if (options.endsAt.getTime() <= options.startsAt.getTime()) throw new FleetGuardError('badInput', 'a silence must end after it starts');
    const silence: Silence = {
      id: randomUUID(),
      matchers,
      startsAt: options.startsAt.toISOString(),
      endsAt: options.endsAt.toISOString(),
      createdBy: options.createdBy,
      comment: options.comment,
    };
    try {
      await this.table.createEntity({ partitionKey: 'silence', rowKey: silence.id, matchers: JSON.stringify(matchers), startsAt: silence.startsAt, endsAt: silence.endsAt, createdBy: silence.createdBy, comment: silence.comment });
    } catch (error) {
      throw toFleetGuardError(error, 'creating the silence');
    }
    return silence;
  }

  async listSilences(): Promise<Silence[]> {
    const silences: Silence[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'silence'}` } })) {
        let matchers: SilenceMatchers = {};
        try {
          matchers = JSON.parse(text(row['matchers'])) as SilenceMatchers;
        } catch {
          continue;
        }
        silences.push({ id: text(row['rowKey']), matchers, startsAt: text(row['startsAt']), endsAt: text(row['endsAt']), createdBy: text(row['createdBy']), comment: text(row['comment']) });
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, 'reading silences');
    }
    return silences.sort((left, right) => left.startsAt.localeCompare(right.startsAt));
  }

  /** Ends a silence now; false when there is no such silence. */
  async expireSilence(id: string, now: Date, expiredBy: string): Promise<boolean> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>('silence', id);
      const endsAt = Date.parse(text(row['endsAt']));
      const end = new Date(Math.min(endsAt, now.getTime())).toISOString();
      await this.table.updateEntity({ ...row, partitionKey: 'silence', rowKey: id, endsAt: end, expiredBy }, 'Replace', { etag: row.etag });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw toFleetGuardError(error, `expiring silence ${id}`);
    }
  }

  /** Holds back a cluster's per-finding alerts until `until` (the rollout issue sets these). */
  async inhibitCluster(clusterId: string, reason: string, until: Date): Promise<void> {
    try {
      await this.table.upsertEntity({ partitionKey: 'inhibit', rowKey: hash(resourceKey(clusterId)), clusterId, reason, until: until.toISOString() }, 'Replace');
    } catch (error) {
      throw toFleetGuardError(error, `inhibiting alerts of ${clusterId}`);
    }
  }

  async releaseCluster(clusterId: string): Promise<void> {
    try {
      await this.table.deleteEntity('inhibit', hash(resourceKey(clusterId)));
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, `releasing alerts of ${clusterId}`);
    }
  }

  async inhibitedClusters(now: Date): Promise<Set<string>> {
    const clusters = new Set<string>();
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${'inhibit'}` } })) {
        if (Date.parse(text(row['until'])) > now.getTime()) clusters.add(resourceKey(text(row['clusterId'])));
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, 'reading alert inhibitions');
    }
    return clusters;
  }
}
