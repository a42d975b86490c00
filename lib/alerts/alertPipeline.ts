/**
 * From lifecycle changes to the outbox: the changes a sweep or an event wrote become alerts,
 * the planner routes, holds back, groups and de-duplicates them, and the rendered messages are
 * written to the outbox before anything is sent. The notification log is written after the
 * outbox, so a crash in between re-plans (a possible duplicate) rather than losing an alert.
 * What a digest route would send is buffered for its digest instead (lib/alerts/digests.ts), and
 * resolves a muted route held back are kept to plan again (`releaseHeld`), in the same order.
 */
import { toFleetGuardError } from '../errors.js';
import type { LifecycleChange } from '../findings/lifecycle.js';
import type { Alert, PlannedNotification } from './alert.js';
import type { AlertingConfig } from './alertingConfig.js';
import type { AlertStore, NewOutboxMessage } from './alertStore.js';
import { latestOccurrence } from './digestSchedule.js';
import { planNotifications, routeMuted } from './planner.js';
import type { KeptAlert, StoredKeptAlert } from './store/digests.js';
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
    return this.enqueueAlerts(alertsFromChanges(changes), now);
  }

  /** Plans the resolves muted routes held back again (after a mute ends they go out; still muted, they stay held). */
  async releaseHeld(now: Date): Promise<EnqueueResult> {
    const held = await this.store.digests.held();
    // Planning reads the whole notification log: only when a held resolve's route is no longer muted
    // (or gone from the routing), not every drain of a weekend's mute.
    const routes = new Map(this.config.routes.map((route) => [route.name, route]));
    const due = held.filter((row) => {
      const route = routes.get(row.route);
      return route === undefined || !routeMuted(route, this.config.timeIntervals, now);
    });
    const latest = new Map(due.map((row) => [row.alert.finding.fingerprint, row.alert]));
    return this.enqueueAlerts([...latest.values()], now, held);
  }

  /** Digest routes get the alerts they would send; other routes get messages. */
  private async bufferDigests(notifications: readonly PlannedNotification[], now: Date): Promise<PlannedNotification[]> {
    const direct: PlannedNotification[] = [];
    const buffered: KeptAlert[] = [];
    const after = new Map<string, string>();
    for (const notification of notifications) {
      const digest = this.config.routes.find((route) => route.name === notification.route)?.digest;
      if (digest === undefined) {
        direct.push(notification);
        continue;
      }
      if (!after.has(notification.route)) after.set(notification.route, latestOccurrence(digest, now) ?? '');
      for (const alert of notification.alerts) buffered.push({ route: notification.route, alert, after: after.get(notification.route) ?? '' });
    }
    if (buffered.length > 0) await this.store.digests.buffer(buffered);
    return direct;
  }

  async enqueueAlerts(alerts: readonly Alert[], now: Date, knownHeld?: readonly StoredKeptAlert[]): Promise<EnqueueResult> {
    if (alerts.length === 0) return { alerts: 0, notifications: 0, messages: 0, silenced: 0, inhibited: 0 };
    try {
      await this.store.ensureTable();
      const [silences, inhibitedClusters, log, held, acknowledgements] = await Promise.all([
        this.store.listSilences(),
        this.store.inhibitedClusters(now),
        this.store.readLog([...this.config.receivers.keys()]),
        knownHeld ?? this.store.digests.held(),
        this.store.acknowledgements.current(alerts.filter((alert) => alert.status === 'firing').map((alert) => alert.finding.fingerprint)),
      ]);
      const { timeIntervals } = this.config;
      const plan = planNotifications({ alerts, routes: this.config.routes, silences, inhibitedClusters, log, now, timeIntervals, acknowledgements });
      const messages = await this.writeOutbox(await this.bufferDigests(plan.notifications, now), now);
      await this.store.writeLog(plan.logUpdates);
      if (plan.held.length > 0) await this.store.digests.hold(plan.held.map((kept) => ({ ...kept, after: '' })));
      // A kept resolve this run planned again and did not hold (sent, or the finding fires again) is done.
      const planned = new Set(alerts.map((alert) => alert.finding.fingerprint));
      const stillHeld = new Set(plan.held.map((kept) => `${kept.route}|${kept.alert.finding.fingerprint}`));
      const done = held.filter((row) => planned.has(row.alert.finding.fingerprint) && !stillHeld.has(`${row.route}|${row.alert.finding.fingerprint}`));
      if (done.length > 0) await this.store.digests.remove(done);
      return { alerts: alerts.length, notifications: plan.notifications.length, messages, silenced: plan.silenced.length, inhibited: plan.inhibited.length };
    } catch (error) {
      throw toFleetGuardError(error, 'queueing alerts');
    }
  }
}
