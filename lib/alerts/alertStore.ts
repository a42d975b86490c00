/**
 * Alert state in one Azure table, one focused store per concern (lib/alerts/store/), by partition:
 *   outbox-{receiver}  messages to send, in creation order (RowKey), with their delivery status (outbox.ts)
 *   nflog-{receiver}-{0-f} what was last notified per finding: dedup and repeat interval (notificationLog.ts)
 *   silence            silences (silences.ts)
 *   inhibit            clusters whose per-finding alerts are held back during upgrades (inhibitions.ts)
 *   digest-{route}, held  alerts kept for a route's digest, resolves held by a mute (digests.ts)
 *   slackreplay        Slack request signatures already acted on, refused if replayed (slackReplays.ts)
 *   ack-{0-f}          the latest acknowledgement per finding, from PagerDuty or Slack (acknowledgements.ts)
 *   whevent-{source}-{hour} processed webhook event ids, refused when delivered again (webhookEvents.ts)
 *   slackmsg-{receiver} Slack app messages posted per alert group: channel, ts, alerts shown (slackMessages.ts)
 * Receiver names become hashes in keys (table keys forbid some characters).
 *
 * `AlertStore` is the thin facade the pipeline, the drain and the silences API are built with: one
 * table client, its stores, and their methods under the names callers already use. New code
 * may take just the part it needs (`store.outbox`, `store.silences`, ...).
 */
import type { TableClient } from '@azure/data-tables';

import { ensureTable } from '../azure/tables.js';
import type { AcknowledgementPort } from './interactionContract.js';
import { AcknowledgementStore } from './store/acknowledgements.js';
import { DigestStore } from './store/digests.js';
import { InhibitionStore } from './store/inhibitions.js';
import { NotificationLogStore } from './store/notificationLog.js';
import { OutboxStore } from './store/outbox.js';
import { SilenceStore } from './store/silences.js';
import { SlackMessageStore } from './store/slackMessages.js';
import { SlackReplayStore } from './store/slackReplays.js';
import { WebhookEventStore } from './store/webhookEvents.js';

export { type NewOutboxMessage, type OutboxEntry, outboxPartition, type OutboxStatus } from './store/outbox.js';

export class AlertStore {
  readonly outbox: OutboxStore;
  readonly notificationLog: NotificationLogStore;
  readonly silences: SilenceStore;
  readonly inhibitions: InhibitionStore;
  readonly digests: DigestStore;
  readonly slackReplays: SlackReplayStore;
  readonly webhookEvents: WebhookEventStore;
  readonly slackMessages: SlackMessageStore;
  /** The latest acknowledgement per finding (store/acknowledgements.ts), unless the caller passes another `AcknowledgementPort`. */
  readonly acknowledgements: AcknowledgementPort;

  constructor(
    private readonly table: TableClient,
    options: { acknowledgements?: AcknowledgementPort } = {},
  ) {
    this.outbox = new OutboxStore(table);
    this.notificationLog = new NotificationLogStore(table);
    this.silences = new SilenceStore(table);
    this.inhibitions = new InhibitionStore(table);
    this.digests = new DigestStore(table);
    this.slackReplays = new SlackReplayStore(table);
    this.webhookEvents = new WebhookEventStore(table);
    this.slackMessages = new SlackMessageStore(table, this.outbox);
    this.acknowledgements = options.acknowledgements ?? new AcknowledgementStore(table);
  }

  ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  enqueue(...args: Parameters<OutboxStore['enqueue']>): ReturnType<OutboxStore['enqueue']> {
    return this.outbox.enqueue(...args);
  }

  activeEntries(...args: Parameters<OutboxStore['activeEntries']>): ReturnType<OutboxStore['activeEntries']> {
    return this.outbox.activeEntries(...args);
  }

  activeCount(...args: Parameters<OutboxStore['activeCount']>): ReturnType<OutboxStore['activeCount']> {
    return this.outbox.activeCount(...args);
  }

  allEntries(...args: Parameters<OutboxStore['allEntries']>): ReturnType<OutboxStore['allEntries']> {
    return this.outbox.allEntries(...args);
  }

  update(...args: Parameters<OutboxStore['update']>): ReturnType<OutboxStore['update']> {
    return this.outbox.update(...args);
  }

  readLog(...args: Parameters<NotificationLogStore['readLog']>): ReturnType<NotificationLogStore['readLog']> {
    return this.notificationLog.readLog(...args);
  }

  writeLog(...args: Parameters<NotificationLogStore['writeLog']>): ReturnType<NotificationLogStore['writeLog']> {
    return this.notificationLog.writeLog(...args);
  }

  createSilence(...args: Parameters<SilenceStore['createSilence']>): ReturnType<SilenceStore['createSilence']> {
    return this.silences.createSilence(...args);
  }

  listSilences(...args: Parameters<SilenceStore['listSilences']>): ReturnType<SilenceStore['listSilences']> {
    return this.silences.listSilences(...args);
  }

  expireSilence(...args: Parameters<SilenceStore['expireSilence']>): ReturnType<SilenceStore['expireSilence']> {
    return this.silences.expireSilence(...args);
  }

  inhibitCluster(...args: Parameters<InhibitionStore['inhibitCluster']>): ReturnType<InhibitionStore['inhibitCluster']> {
    return this.inhibitions.inhibitCluster(...args);
  }

  releaseCluster(...args: Parameters<InhibitionStore['releaseCluster']>): ReturnType<InhibitionStore['releaseCluster']> {
    return this.inhibitions.releaseCluster(...args);
  }

  inhibitedClusters(...args: Parameters<InhibitionStore['inhibitedClusters']>): ReturnType<InhibitionStore['inhibitedClusters']> {
    return this.inhibitions.inhibitedClusters(...args);
  }
}
