/**
 * From lifecycle changes to the outbox: the changes a sweep or an event wrote become alerts,
 * the planner routes, holds back, groups and de-duplicates them, and the rendered messages are
 * written to the outbox before anything is sent. The notification log is written after the
 * outbox, so a crash in between re-plans (a possible duplicate) rather than losing an alert.
 */
import { toFleetGuardError } from '../errors.js';
import type { LifecycleChange } from '../findings/lifecycle.js';
import type { Alert, PlannedNotification } from './alert.js';
import type { AlertingConfig } from './alertingConfig.js';
import type { AlertStore, NewOutboxMessage } from './alertStore.js';
import { planNotifications } from './planner.js';
import { renderNotification } from './vendors/index.js';

export interface EnqueueResult {
  alerts: number;
  notifications: number;
  messages: number;
  silenced: number;
  inhibited: number;
}

export function alertsFromChanges(changes: readonly LifecycleChange[]): Alert[] {
  return changes.map((change) => ({ status: change.kind === 'resolved' ? 'resolved' : 'firing', finding: change.next }));
}

/**
 * Messages rendered and written at a time. A large run (thousands of findings) would otherwise hold
 * every rendered body twice (object and row) until the last one is written.
 */
const OUTBOX_CHUNK = 250;

export class AlertPipeline {
  constructor(
    private readonly config: AlertingConfig,
    private readonly store: AlertStore,
  ) {}

  /** Renders and writes in chunks, in plan order; returns how many messages were written. */
  private async writeOutbox(notifications: readonly PlannedNotification[], now: Date): Promise<number> {
    let written = 0;
    let chunk: NewOutboxMessage[] = [];
    for (const notification of notifications) {
      const receiver = this.config.receivers.get(notification.receiver);
      if (receiver === undefined) continue;
      for (const message of renderNotification(notification, receiver)) chunk.push({ receiver: receiver.name, route: notification.route, message });
      if (chunk.length >= OUTBOX_CHUNK) {
        written += await this.store.enqueue(chunk, now);
        chunk = [];
      }
    }
    if (chunk.length > 0) written += await this.store.enqueue(chunk, now);
    return written;
  }

  async enqueue(changes: readonly LifecycleChange[], now: Date): Promise<EnqueueResult> {
    const alerts = alertsFromChanges(changes);
    if (alerts.length === 0) return { alerts: 0, notifications: 0, messages: 0, silenced: 0, inhibited: 0 };
    try {
      await this.store.ensureTable();
      const [silences, inhibitedClusters, log, acknowledgements] = await Promise.all([
        this.store.listSilences(),
        this.store.inhibitedClusters(now),
        this.store.readLog([...this.config.receivers.keys()]),
        this.store.acknowledgements.current(alerts.filter((alert) => alert.status === 'firing').map((alert) => alert.finding.fingerprint)),
      ]);
      const plan = planNotifications({ alerts, routes: this.config.routes, silences, inhibitedClusters, log, now, acknowledgements });
      const messages = await this.writeOutbox(plan.notifications, now);
      await this.store.writeLog(plan.logUpdates);
      return { alerts: alerts.length, notifications: plan.notifications.length, messages, silenced: plan.silenced.length, inhibited: plan.inhibited.length };
    } catch (error) {
      throw toFleetGuardError(error, 'queueing alerts');
    }
  }
}
