/**
 * Slack app messages (partitions `slackmsg-{receiver hash}`): one row per Slack message posted for
 * an alert group, holding its `channel` and `ts` (the message's identity for chat.update and its
 * thread) and the alerts it shows. RowKey is the message key, `{group hash}-{sequence}`: a group's
 * messages sort together, in posting order (a large group's parts, then a later message when the
 * group fired again after it had fully resolved). Writes are ETag-conditional.
 *
 * It implements `SlackMessagePort` (interactionContract.ts): `find` for a button's message, and
 * `requestRefresh`, which queues a refresh (a chat.update re-rendered from the record with the
 * current silences and acknowledgements) in the receiver's outbox, behind whatever is queued there.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';

import { type EntityOf, jsonText, safeParseEntity, textOrEmpty } from '../../azure/tableEntity.js';
import { toFleetGuardError } from '../../errors.js';
import type { PostedAlert, PostedSlackMessage, SlackMessagePort, SlackMessageRef } from '../interactionContract.js';
import type { NewOutboxMessage, OutboxStore } from './outbox.js';
import { isStatus, keyHash } from './tableWrites.js';

/** The outbox kind of the Slack app vendor (vendors/slackApp), whose steps read a refresh body. */
export const SLACK_APP_KIND = 'slackApp';

export function slackMessagePartition(receiver: string): string {
  return `slackmsg-${keyHash(receiver)}`;
}

/** The key prefix of a group's messages (route and group key hashed: table keys forbid some characters). */
export function slackGroupPrefix(route: string, groupKey: string): string {
  return keyHash(`${route}\n${groupKey}`);
}

/** The key of a group's message number `sequence` (0-based). */
export function slackMessageKey(route: string, groupKey: string, sequence: number): string {
  return `${slackGroupPrefix(route, groupKey)}-${String(sequence).padStart(6, '0')}`;
}

/** The sequence number in a message key (-1 when it is not one of ours). */
export function slackMessageSequence(messageKey: string): number {
  const match = /-(\d{6})$/.exec(messageKey);
  return match === null ? -1 : Number(match[1]);
}

const postedAlert = z.object({
  fingerprint: z.string(),
  ruleId: z.string(),
  resourceId: z.string(),
  clusterName: z.string(),
  subscriptionId: z.string(),
  severity: z.string(),
  title: z.string(),
  status: z.enum(['firing', 'resolved']),
});

const alertsJson = jsonText(
  (value): PostedAlert[] | undefined => {
    const parsed = z.array(postedAlert).safeParse(value);
    return parsed.success ? parsed.data : undefined;
  },
  () => [],
);

const groupByJson = jsonText(
  (value): string[] | undefined => {
    const parsed = z.array(z.string()).safeParse(value);
    return parsed.success ? parsed.data : undefined;
  },
  () => [],
);

/** A message row; one without a channel or ts is skipped (it cannot be updated). */
const messageEntity = z.object({
  rowKey: z.string().min(1),
  receiver: z.string().min(1),
  route: textOrEmpty,
  groupKey: textOrEmpty,
  groupBy: groupByJson,
  channel: z.string().min(1),
  ts: z.string().min(1),
  postedAt: textOrEmpty,
  alerts: alertsJson,
});

/** A record as read, with the ETag its conditional update needs. */
export interface StoredSlackMessage extends PostedSlackMessage {
  etag: string;
}

export class SlackMessageStore implements SlackMessagePort {
  constructor(
    private readonly table: TableClient,
    private readonly outbox: OutboxStore,
  ) {}

  private recordOf(row: Record<string, unknown> & { etag?: string }): StoredSlackMessage | undefined {
    const parsed = safeParseEntity(messageEntity, this.table.tableName, row);
    if ('error' in parsed) return undefined;
    const { rowKey, ...rest } = parsed.value;
    return { ...rest, messageKey: rowKey, etag: row.etag ?? '' };
  }

  private async list(filter: string, what: string): Promise<StoredSlackMessage[]> {
    const records: StoredSlackMessage[] = [];
    try {
      for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        const record = this.recordOf(row);
        if (record !== undefined) records.push(record);
      }
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, what);
    }
    return records.sort((left, right) => left.messageKey.localeCompare(right.messageKey));
  }

  /** Every message of one group of one receiver, oldest first. */
  group(receiver: string, route: string, groupKey: string): Promise<StoredSlackMessage[]> {
    const prefix = slackGroupPrefix(route, groupKey);
    // '-' < '.': one range covers the group's sequence numbers.
    return this.list(
      odata`PartitionKey eq ${slackMessagePartition(receiver)} and RowKey ge ${`${prefix}-`} and RowKey lt ${`${prefix}.`}`,
      `reading the Slack messages of receiver ${receiver}`,
    );
  }

  async find(ref: SlackMessageRef): Promise<StoredSlackMessage | undefined> {
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(slackMessagePartition(ref.receiver), ref.messageKey);
      return this.recordOf(row);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw toFleetGuardError(error, `reading Slack message ${ref.messageKey} of receiver ${ref.receiver}`);
    }
  }

  /** Records a message Slack just posted. False when it was already recorded (a step replayed). */
  async create(message: PostedSlackMessage): Promise<boolean> {
    const row: EntityOf<typeof messageEntity> = {
      partitionKey: slackMessagePartition(message.receiver),
      rowKey: message.messageKey,
      receiver: message.receiver,
      route: message.route,
      groupKey: message.groupKey,
      groupBy: JSON.stringify(message.groupBy),
      channel: message.channel,
      ts: message.ts,
      postedAt: message.postedAt,
      alerts: JSON.stringify(message.alerts),
    };
    try {
      await this.table.createEntity(row);
      return true;
    } catch (error) {
      if (isStatus(error, 409)) return false;
      throw toFleetGuardError(error, `recording Slack message ${message.messageKey}`);
    }
  }

  /**
   * Writes what a message now shows, only if nobody changed the record since it was read. Returns
   * false on a conflict (the caller re-reads) or when the record is gone.
   */
  async updateAlerts(record: StoredSlackMessage, alerts: readonly PostedAlert[]): Promise<boolean> {
    try {
      await this.table.updateEntity(
        { partitionKey: slackMessagePartition(record.receiver), rowKey: record.messageKey, alerts: JSON.stringify(alerts) },
        'Merge',
        { etag: record.etag },
      );
      return true;
    } catch (error) {
      if (isStatus(error, 412, 404)) return false;
      throw toFleetGuardError(error, `updating Slack message ${record.messageKey}`);
    }
  }

  /** Forgets a message Slack no longer has (deleted by a person): the group's next change posts anew. */
  async forget(ref: SlackMessageRef): Promise<void> {
    try {
      await this.table.deleteEntity(slackMessagePartition(ref.receiver), ref.messageKey);
    } catch (error) {
      if (!isStatus(error, 404)) throw toFleetGuardError(error, `forgetting Slack message ${ref.messageKey}`);
    }
  }

  /**
   * The newest message of every receiver that shows one of these fingerprints. A scan of the
   * Slack message partitions: they hold one row per message posted, far fewer than findings.
   */
  async showing(fingerprints: readonly string[]): Promise<StoredSlackMessage[]> {
    const wanted = new Set(fingerprints);
    const all = await this.list(odata`PartitionKey ge ${'slackmsg-'} and PartitionKey lt ${'slackmsg.'}`, 'reading the Slack messages');
    const newest = new Map<string, StoredSlackMessage>();
    for (const record of all) {
      for (const alert of record.alerts) if (wanted.has(alert.fingerprint)) newest.set(`${record.receiver}\n${alert.fingerprint}`, record);
    }
    return [...new Map([...newest.values()].map((record) => [`${record.receiver}\n${record.messageKey}`, record])).values()];
  }

  async requestRefresh(target: { refs: readonly SlackMessageRef[] } | { fingerprints: readonly string[] }, now: Date): Promise<void> {
    const refs: SlackMessageRef[] =
      'refs' in target ? [...target.refs] : (await this.showing(target.fingerprints)).map(({ receiver, messageKey }) => ({ receiver, messageKey }));
    const unique = new Map(refs.map((ref) => [`${ref.receiver}\n${ref.messageKey}`, ref]));
    const messages: NewOutboxMessage[] = [...unique.values()].map((ref) => ({
      receiver: ref.receiver,
      route: '',
      message: {
        kind: SLACK_APP_KIND,
        body: { intent: 'refresh', messageKey: ref.messageKey },
        alertCount: 0,
        summary: `refresh of Slack message ${ref.messageKey}`,
      },
    }));
    if (messages.length > 0) await this.outbox.enqueue(messages, now);
  }
}
